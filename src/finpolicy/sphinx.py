"""Sphinx extension: render policy bundles, the YAML reference, error codes and CLI help.

Add ``extensions = ["finpolicy.sphinx"]`` to ``conf.py``, then in any page::

    .. finpolicy:bundle:: cn-banking          (a shipped pack name or a folder)
    .. finpolicy:policy:: cn-suitability      (one policy, every version, newest first)
       :bundle: ../../policies/cn-banking
    .. finpolicy:history:: cn-suitability     (what changed between consecutive versions)
    .. finpolicy:picture:: suitability-matrix (one picture a domain declares, by name)
    .. finpolicy:kinds::                      (the YAML reference of every policy kind)
    .. finpolicy:model:: finpolicy.documents.models.Metadata
    .. finpolicy:error-codes::
    .. finpolicy:cli::                        (``finpolicy --help`` and every subcommand's)

Relative bundle paths are resolved against the page's folder, then the documentation's root;
a bare name is a shipped pack. ``finpolicy_bundle`` in ``conf.py`` sets the default bundle
(the shipped ``cn-banking`` pack when unset). Pictures are raw HTML, shown by HTML builders.

A domain's picture that raises is an error of the directive naming the domain, the picture and
the policy (``finpolicy.domains.base.DomainError``), not a crash of Sphinx; a build run inside
``domain_errors()`` (``finpolicy docs``) also finds these errors there, to stop with them.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from finpolicy import docgen
from finpolicy.docgen import consistency
from finpolicy.docgen.doctree import (
    bundle_nodes,
    history_nodes,
    node_literal,
    node_para,
    node_raw,
    node_rich,
    node_section,
    node_table,
    select,
    versions_nodes,
)
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle, resolve_bundle_path
from finpolicy.domains.base import DomainError
from finpolicy.errors import FinpolicyError

__all__ = ["domain_errors", "setup"]

_LOG = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "docgen" / "static"
_CACHE: dict[tuple[Any, ...], tuple[Bundle, Any]] = {}
_LOCK = threading.Lock()
_FAILED: contextvars.ContextVar[list[DomainError] | None] = contextvars.ContextVar(
    "finpolicy_domain_errors", default=None)


@contextlib.contextmanager
def domain_errors() -> Iterator[list[DomainError]]:
    """The ``DomainError`` s (a domain's picture that raised) the directives meet in a Sphinx
    build run inside this block, in the order met; the directives report each as an error of
    their own too."""
    found: list[DomainError] = []
    token = _FAILED.set(found)
    try:
        yield found
    finally:
        _FAILED.reset(token)


def _noted(exc: Exception) -> Exception:
    failed = _FAILED.get()
    if failed is not None and isinstance(exc, DomainError):
        failed.append(exc)
    return exc


def _bundle_and_engine(path: Path | str | None) -> tuple[Bundle, Any]:
    """Load each bundle (and compile its engine) once per process and per content: the key
    includes the files' sizes and times, so an edited pack is loaded again."""
    from finpolicy.engine import PolicyEngine

    root = Path(resolve_bundle_path(path)).resolve()
    try:
        files = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                             for p in root.iterdir() if p.is_file()))
    except OSError:
        files = ()
    key = (str(root), files)
    with _LOCK:
        if key not in _CACHE:
            bundle = load_bundle(root)
            _CACHE[key] = (bundle, PolicyEngine(bundle))
        return _CACHE[key]


# --- node helpers --------------------------------------------------------------------------------


# --- directives ----------------------------------------------------------------------------------

class _BundleDirective(SphinxDirective):
    """Shared: find the bundle (argument or ``:bundle:`` option or ``finpolicy_bundle``)."""

    def bundle_path(self, value: str | None) -> Path | str | None:
        value = value or self.config.finpolicy_bundle
        if not value:
            return None
        here = Path(self.env.srcdir) / Path(self.env.docname).parent
        for base in (here, Path(self.env.srcdir)):
            candidate = (base / value).resolve()
            if candidate.is_dir():
                return candidate
        # a shipped pack's name; a path that exists nowhere is reported from the page's folder
        return (here / value).resolve() if "/" in value else value

    def load(self, value: str | None) -> tuple[Bundle, Any]:
        bundle, engine = _bundle_and_engine(self.bundle_path(value))
        # rebuild the page when a policy file changes
        for doc in bundle.documents:
            self.env.note_dependency(str(Path(bundle.root) / Path(doc.file).name))
        return bundle, engine

    def fail(self, exc: Exception) -> list[nodes.Node]:
        raise self.error(f"{self.name}: {_noted(exc)}")

    def check_words(self, docs: Iterable[PolicyDocument[Any]]) -> None:
        """Warn (once per build and document) where a description or a reason states a number
        the rules contradict; ``-W`` makes the warnings fail the build."""
        domain = self.env.get_domain("finpolicy")
        checked: dict[str, list[str]] = domain.data.setdefault("checked", {})
        for doc in docs:
            if any(doc.digest in digests for digests in checked.values()):
                continue
            checked.setdefault(self.env.docname, []).append(doc.digest)
            for found in consistency.check_document(doc):
                _LOG.warning(found.message, location=f"{doc.file}:{found.line or 1}",
                             type="finpolicy", subtype=found.code)


class BundleDirective(_BundleDirective):
    """``.. finpolicy:bundle:: PATH-or-pack`` — every policy of a bundle."""

    optional_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"no-pictures": directives.flag}

    def run(self) -> list[nodes.Node]:
        try:
            bundle, engine = self.load(self.arguments[0] if self.arguments else None)
            self.check_words(bundle.documents)
            head = node_para(f"Bundle {bundle.name} {bundle.version}, digest ",
                         node_literal(bundle.digest[:16]), ". ",
                         " ".join(bundle.description.split()))
            return [head, *bundle_nodes(bundle, engine,
                                        pictures="no-pictures" not in self.options)]
        except FinpolicyError as exc:
            return self.fail(exc)


class PolicyDirective(_BundleDirective):
    """``.. finpolicy:policy:: ID`` — one policy, every version (or ``:version:``).

    The page supplies the heading; the directive gives a section per version.
    """

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {
        "bundle": directives.unchanged, "version": directives.unchanged,
        "no-pictures": directives.flag}

    def run(self) -> list[nodes.Node]:
        try:
            bundle, engine = self.load(self.options.get("bundle"))
            docs = select(bundle, self.arguments[0], self.options.get("version"))
            self.check_words(docs[self.arguments[0]])
            return versions_nodes(docs[self.arguments[0]], engine,
                                  pictures="no-pictures" not in self.options)
        except FinpolicyError as exc:
            return self.fail(exc)


class HistoryDirective(_BundleDirective):
    """``.. finpolicy:history:: [ID]`` — changes between consecutive versions."""

    optional_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"bundle": directives.unchanged,
                                             "no-decisions": directives.flag}

    def run(self) -> list[nodes.Node]:
        try:
            bundle, engine = self.load(self.options.get("bundle"))
            return history_nodes(bundle, self.arguments[0] if self.arguments else None,
                                 None if "no-decisions" in self.options else engine)
        except FinpolicyError as exc:
            return self.fail(exc)


class PictureDirective(_BundleDirective):
    """``.. finpolicy:picture:: NAME`` — one picture of the policy of its kind in force."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {
        "bundle": directives.unchanged, "policy": directives.unchanged,
        "version": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        known = docgen.registered_pictures()
        if name not in known:
            raise self.error(f"unknown picture `{name}`, expected one of {', '.join(known)}")
        kind, _ = known[name]
        try:
            bundle, engine = self.load(self.options.get("bundle"))
        except FinpolicyError as exc:
            return self.fail(exc)
        docs = [d for d in bundle.policies(kind)
                if self.options.get("policy") in (None, d.id)
                and self.options.get("version") in (None, d.version)]
        if not docs:
            raise self.error(f"no {kind} in bundle `{bundle.name}` matches")
        try:
            markup = docgen.picture(name, engine, docs[-1])
        except DomainError as exc:
            return self.fail(exc)
        return [node_raw(markup, f"{name} of {docs[-1].key}")]


class KindsDirective(SphinxDirective):
    """``.. finpolicy:kinds::`` — the document envelope and every registered kind's spec."""

    def run(self) -> list[nodes.Node]:
        from finpolicy.documents.models import Envelope, Manifest
        from finpolicy.documents.registry import kinds

        out: list[nodes.Node] = []
        envelope = node_section("Every document", "kind-envelope")
        envelope.extend(model_nodes(Envelope, "envelope"))
        out.append(envelope)
        manifest = node_section("The bundle manifest (bundle.yaml)", "kind-manifest")
        manifest.extend(model_nodes(Manifest, "manifest"))
        out.append(manifest)
        for name, kind in sorted(kinds().items()):
            section = node_section(name, f"kind-{name}")
            if kind.summary:
                section += node_para(kind.summary)
            section += node_para("The fields of ", node_literal("spec"), f" in a {name}:")
            section.extend(model_nodes(kind.spec_model, f"kind-{name}"))
            out.append(section)
        return out


def model_nodes(model: Any, prefix: str, *, nested: bool = True) -> list[nodes.Node]:
    """A fields table for a pydantic model and (unless ``nested`` is false) each model it
    nests."""
    out: list[nodes.Node] = []
    tables = docgen.schema_rows(model)
    for i, (title, rows) in enumerate(tables if nested else tables[:1]):
        table = node_table(["Field", "Type", "Required", "Default", "Description"],
                       [[node_literal(f), t, r, node_literal(d) if d else "", node_rich(desc)]
                        for f, t, r, d, desc in rows], widths=[3, 3, 1, 2, 6])
        if i == 0:
            out.append(table)
        else:
            section = nodes.rubric(title, title, ids=[nodes.make_id(f"{prefix}-{title}")])
            out += [section, table]
    return out


class ModelDirective(SphinxDirective):
    """``.. finpolicy:model:: dotted.path.Model`` — the fields of one pydantic model (and of
    the models it nests, unless ``:no-nested:``)."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"no-nested": directives.flag}

    def run(self) -> list[nodes.Node]:
        module, _, name = self.arguments[0].rpartition(".")
        try:
            model = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as exc:
            raise self.error(f"cannot import `{self.arguments[0]}`: {exc}") from None
        return model_nodes(model, f"model-{name}", nested="no-nested" not in self.options)


class ErrorCodesDirective(SphinxDirective):
    """``.. finpolicy:error-codes::`` — every declared error code (``finpolicy.errorcodes``)."""

    def run(self) -> list[nodes.Node]:
        rows = [[node_literal(c.code), c.kind, node_rich(c.summary), c.origin]
                for c in docgen.error_codes()]
        return [node_table(["Code", "Kind", "Meaning", "Declared by"], rows,
                       widths=[3, 2, 9, 2])]


class CliDirective(SphinxDirective):
    """``.. finpolicy:cli::`` — the help of ``finpolicy`` and of every subcommand."""

    def run(self) -> list[nodes.Node]:
        import click

        from finpolicy.cli import main

        out: list[nodes.Node] = []
        settings = {**main.context_settings, "terminal_width": 88, "max_content_width": 88}
        root = click.Context(main, info_name="finpolicy", **settings)
        top = node_section("finpolicy", "cli-finpolicy")
        top += nodes.literal_block(text=main.get_help(root), language="text")
        out.append(top)
        for name in sorted(main.list_commands(root)):
            command = main.get_command(root, name)
            if command is None:
                continue
            section = node_section(f"finpolicy {name}", f"cli-{name}")
            ctx = click.Context(command, info_name=name, parent=root, terminal_width=88,
                                max_content_width=88)
            section += nodes.literal_block(text=command.get_help(ctx), language="text")
            out.append(section)
        return out


class FinpolicyDomain(Domain):
    """The ``finpolicy`` domain: directives, and which page checked the words of which policy
    document (so each document's findings are reported once per build)."""

    name = "finpolicy"
    label = "finpolicy"
    directives: ClassVar[dict[str, Any]] = {
        "bundle": BundleDirective,
        "policy": PolicyDirective,
        "history": HistoryDirective,
        "picture": PictureDirective,
        "kinds": KindsDirective,
        "model": ModelDirective,
        "error-codes": ErrorCodesDirective,
        "cli": CliDirective,
    }
    initial_data: ClassVar[dict[str, Any]] = {"checked": {}}
    data_version = 1  # an environment pickled before "checked" existed is read anew

    def clear_doc(self, docname: str) -> None:
        self.data.setdefault("checked", {}).pop(docname, None)

    def merge_domaindata(self, docnames: Any, otherdata: Any) -> None:
        checked = self.data.setdefault("checked", {})
        for docname in docnames:
            if docname in otherdata.get("checked", {}):
                checked[docname] = otherdata["checked"][docname]

    def resolve_any_xref(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


def _focusable_table_boxes(app: Sphinx, pagename: str, templatename: str,
                           context: dict[str, Any], doctree: Any) -> None:
    # themes such as furo wrap every table in a box that scrolls sideways when the table is
    # wider than the column; a scrolling box must take the keyboard focus to be scrolled
    # without a mouse
    body = context.get("body")
    if isinstance(body, str):
        context["body"] = body.replace('<div class="table-wrapper',
                                       '<div tabindex="0" class="table-wrapper')


def _add_static(app: Sphinx) -> None:
    # the pictures' style sheet (``docgen/static/finpolicy.css``), for HTML builders
    app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``finpolicy`` domain, its configuration values and its style sheet."""
    app.add_config_value("finpolicy_bundle", None, "env", types=frozenset({str, type(None)}))
    app.add_domain(FinpolicyDomain)
    app.connect("builder-inited", _add_static)
    app.connect("html-page-context", _focusable_table_boxes)
    app.add_css_file("finpolicy.css")
    from finpolicy import __version__

    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
