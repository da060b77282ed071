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
"""

from __future__ import annotations

import html
import importlib
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from finpolicy import docgen
from finpolicy.docgen import consistency
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle, resolve_bundle_path
from finpolicy.errors import FinpolicyError

__all__ = ["setup"]

_LOG = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "docgen" / "static"
_CACHE: dict[tuple[Any, ...], tuple[Bundle, Any]] = {}
_LOCK = threading.Lock()


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

def _section(title: str, ident: str) -> nodes.section:
    section = nodes.section(ids=[nodes.make_id(ident)])
    section += nodes.title(title, title)
    return section


def _para(*parts: nodes.Node | str, classes: Sequence[str] = ()) -> nodes.paragraph:
    para = nodes.paragraph(classes=list(classes))
    for part in parts:
        para += nodes.Text(part) if isinstance(part, str) else part
    return para


def _fields(items: Iterable[tuple[str, nodes.Node | str]]) -> nodes.field_list:
    out = nodes.field_list()
    for name, body in items:
        field = nodes.field()
        field += nodes.field_name(name, name)
        content = nodes.field_body()
        content += body if isinstance(body, nodes.Element) and not isinstance(
            body, nodes.Inline) else _para(body)
        field += content
        out += field
    return out


def _table(header: Sequence[str], rows: Iterable[Sequence[str | nodes.Node]], *,
           widths: Sequence[int] | None = None) -> nodes.table:
    # a wide table is marked, so the printable edition can give it a landscape page
    wide = ["finpolicy-wide"] if len(header) >= 7 else []
    table = nodes.table(classes=["finpolicy-table", "colwidths-given", *wide], width="100%")
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths or [1] * len(header):
        group += nodes.colspec(colwidth=width)

    def row_of(cells: Sequence[str | nodes.Node]) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += _para(cell) if isinstance(cell, str | nodes.Inline | nodes.Text) else cell
            row += entry
        return row

    head = nodes.thead()
    head += row_of(header)
    group += head
    body = nodes.tbody()
    for cells in rows:
        body += row_of(cells)
    group += body
    return table


def _raw(markup: str, label: str) -> nodes.raw:
    # a wide picture scrolls inside its own box instead of widening the page; the box is a
    # named region that takes the keyboard focus, so it can be scrolled without a mouse
    return nodes.raw("", f'<div class="finpolicy-scroll" role="region" tabindex="0" '
                         f'aria-label="{html.escape(label, quote=True)}">{markup}</div>',
                     format="html")


def web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) address (the only kind shown as a link: a
    policy file is not trusted to put ``javascript:`` or ``file:`` links in the docs)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) \
        and not any(c.isspace() or ord(c) < 32 for c in url.strip())


def _source_link(url: str) -> nodes.Node:
    if web_url(url):
        clean = url.strip()
        return nodes.reference(clean, clean, refuri=clean)
    return _literal(url)


def _literal(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def _rich(text: str) -> nodes.paragraph:
    """A paragraph where `backticked` words (as docstrings and descriptions write them) are
    shown as code."""
    parts: list[nodes.Node | str] = []
    for i, piece in enumerate(text.split("`")):
        if piece:
            parts.append(_literal(piece) if i % 2 else piece)
    if text.count("`") % 2:  # unbalanced: show it as written
        parts = [text]
    return _para(*parts)


def _cell(text: str) -> nodes.Node:
    """A table cell: one paragraph per ``|``-separated entry."""
    parts = text.split(" | ")
    if len(parts) == 1:
        return _rich(text)
    box = nodes.container()
    for part in parts:
        box += _rich(part)
    return box


# --- rendering policies --------------------------------------------------------------------------

def policy_nodes(doc: PolicyDocument[Any], engine: Any, *,
                 pictures: bool = True) -> list[nodes.Node]:
    """Metadata, pictures, the spec's tables, sources and every rule of one document
    version."""
    m = doc.metadata
    until = str(m.effective_until) if m.effective_until else "further notice"
    out: list[nodes.Node] = [_fields([
        ("Policy", _literal(m.id)),
        ("Version", m.version),
        ("Kind", doc.kind),
        ("In force", f"{m.effective_from} to {until} (inclusive)"),
        ("Jurisdiction", m.jurisdiction),
        ("Owner", m.owner),
        ("Document", _literal(Path(doc.file).name)),
    ])]
    if m.description:
        out.append(_para(" ".join(m.description.split())))
    if pictures:
        for title, markup in docgen.pictures(engine, doc):
            section = _section(title, f"{m.id}-{m.version}-{title}")
            section += _raw(markup, f"{title} of {m.id} {m.version}")
            out.append(section)
    tables = docgen.spec_tables(doc)
    if tables:
        section = _section("Tables", f"{m.id}-{m.version}-tables")
        for title, header, rows in tables:
            section += nodes.rubric(title, title)
            # columns as wide as their longest line (within limits), items of a list of
            # entries one per line
            widths = []
            for i, head in enumerate(header):
                longest = max([len(head)] + [len(part) for row in rows
                                             for part in row[i].split(" | ")])
                widths.append(min(max(longest, 4), 48))
            section += _table(header, [[_cell(cell) for cell in row] for row in rows],
                              widths=widths)
        out.append(section)
    if m.sources:
        sources = _section("Sources", f"{m.id}-{m.version}-sources")
        listing = nodes.bullet_list()
        for source in m.sources:
            item = nodes.list_item()
            parts: list[nodes.Node | str] = [_literal(source.id), f" — {source.title}"]
            if source.article:
                parts.append(f", {source.article}")
            if source.url:
                parts += [" (", _source_link(source.url), ")"]
            item += _para(*parts)
            listing += item
        sources += listing
        out.append(sources)
    language = docgen.pack_language(getattr(engine, "bundle", None))
    views = {(v.ruleset, v.id): v for v in docgen.rule_views(doc, language=language)}
    for name, ruleset in doc.policy.rulesets.items():
        section = _section(f"Rules: {name}", f"{m.id}-{m.version}-rules-{name}")
        if not ruleset.rules:
            section += _para("This rule set has no rules.")
        terms = nodes.definition_list(classes=["finpolicy-rules"])
        for rule in ruleset.rules:
            view = views[name, rule.id]
            entry = nodes.definition_list_item()
            term = nodes.term(ids=[nodes.make_id(f"rule-{m.id}-{m.version}-{name}-"
                                                 f"{rule.id}")])
            term += _literal(rule.id)
            entry += term
            body = nodes.definition()
            body += _para(nodes.strong("When ", "When "), f"{view.condition}: ",
                          nodes.strong(view.effect, view.effect), ".")
            if view.reason:
                body += _para(view.reason)
            extra = []
            if view.obligations:
                extra.append(("Obligations", _para(*_join_literals(view.obligations))))
            if view.cite:
                extra.append(("Cite", _para(_cite_text(view.cite, m.sources))))
            if extra:
                body += _fields(extra)
            entry += body
            terms += entry
        section += terms
        out.append(section)
    invariants = docgen.invariant_views(doc, language=language)
    if invariants:
        section = _section("Invariants", f"{m.id}-{m.version}-invariants")
        section += _para("Checked by ", _literal("finpolicy.testing"),
                         " on generated inputs: whenever the first part holds, so must the "
                         "second.")
        terms = nodes.definition_list(classes=["finpolicy-invariants"])
        for name, given, expect, cite in invariants:
            entry = nodes.definition_list_item()
            entry += nodes.term(name, name)
            body = nodes.definition()
            body += _para(nodes.strong("Whenever ", "Whenever "), f"{given}, ",
                          nodes.strong("then ", "then "), f"{expect}.")
            if cite:
                body += _fields([("Cite", _para(_cite_text(cite, m.sources)))])
            entry += body
            terms += entry
        section += terms
        out.append(section)
    return out


def _join_literals(words: Sequence[str]) -> list[nodes.Node | str]:
    parts: list[nodes.Node | str] = []
    for i, word in enumerate(words):
        if i:
            parts.append(", ")
        parts.append(_literal(word))
    return parts


def _cite_text(cite: str, sources: Sequence[Any]) -> str:
    first = cite.split(maxsplit=1)[0] if cite else ""
    source = next((s for s in sources if s.id == first), None)
    return f"{cite} ({source.title})" if source is not None else cite


def versions_nodes(docs: Sequence[PolicyDocument[Any]], engine: Any, *,
                   pictures: bool = True) -> list[nodes.Node]:
    """A line naming the versions, then one section per version of one policy, newest
    first."""
    versions = ", ".join(f"{d.version} ({d.metadata.window()})" for d in docs)
    out: list[nodes.Node] = [_para(f"{docs[-1].kind}; versions: {versions}.")]
    for doc in reversed(docs):  # the newest first: most readers want the current text
        inner = _section(f"Version {doc.version}", f"{doc.id}-{doc.version}")
        inner.extend(policy_nodes(doc, engine, pictures=pictures))
        out.append(inner)
    return out


def select(bundle: Bundle, only: str | None = None,
           version: str | None = None) -> dict[str, tuple[PolicyDocument[Any], ...]]:
    """Policy id → versions, narrowed to one policy and one version when asked."""
    groups = docgen.policy_groups(bundle)
    if only is not None:
        if only not in groups:
            raise FinpolicyError(f"bundle `{bundle.name}` has no policy `{only}` "
                                 f"(it has {', '.join(groups)})")
        groups = {only: groups[only]}
    if version is not None:
        groups = {k: tuple(d for d in docs if d.version == version)
                  for k, docs in groups.items()}
        if not all(groups.values()):
            raise FinpolicyError(f"no version `{version}` of {', '.join(groups)}")
    return groups


def bundle_nodes(bundle: Bundle, engine: Any, *, pictures: bool = True) -> list[nodes.Node]:
    """One section per policy (every version), in the bundle's order."""
    out: list[nodes.Node] = []
    for policy_id, docs in select(bundle).items():
        section = _section(f"{docs[-1].metadata.title} ({policy_id})", f"policy-{policy_id}")
        section.extend(versions_nodes(docs, engine, pictures=pictures))
        out.append(section)
    return out


def history_nodes(bundle: Bundle, policy_id: str | None = None,
                  engine: Any = None) -> list[nodes.Node]:
    """For each pair of consecutive versions: the rules added, removed and changed."""
    out: list[nodes.Node] = []
    for old, new in docgen.version_pairs(bundle):
        if policy_id is not None and old.id != policy_id:
            continue
        section = _section(f"{old.id}: {old.version} → {new.version}",
                           f"history-{old.id}-{old.version}-{new.version}")
        section += _para(f"{old.version} was in force {old.metadata.window()}; "
                         f"{new.version} from {new.metadata.effective_from}.")
        changes = docgen.rule_changes(old, new)
        if not changes:
            section += _para("No rule changed.")
        for kind in ("added", "changed", "removed"):
            picked = [c for c in changes if c.change == kind]
            if not picked:
                continue
            section += nodes.rubric(f"Rules {kind}", f"Rules {kind} ({len(picked)})")
            listing = nodes.definition_list(classes=["finpolicy-changes"])
            for change in picked:
                item = nodes.definition_list_item()
                term = nodes.term()
                term += [_literal(change.rule_id), nodes.Text(f" (rule set {change.ruleset})")]
                item += term
                body = nodes.definition()
                details = nodes.bullet_list()
                for line in change.details:
                    entry = nodes.list_item()
                    entry += _para(line)
                    details += entry
                body += details
                item += body
                listing += item
            section += listing
        if engine is not None:
            for title, markup in docgen.decision_changes(engine, old, new):
                sub = _section(title, f"history-{old.id}-{old.version}-{new.version}-{title}")
                sub += _raw(markup, f"{title}: {old.id} {old.version} to {new.version}")
                section += sub
        out.append(section)
    if not out:
        out.append(_para("No policy here has more than one version."))
    return out


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
        raise self.error(f"{self.name}: {exc}")

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
            head = _para(f"Bundle {bundle.name} {bundle.version}, digest ",
                         _literal(bundle.digest[:16]), ". ",
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
        return [_raw(docgen.picture(name, engine, docs[-1]), f"{name} of {docs[-1].key}")]


class KindsDirective(SphinxDirective):
    """``.. finpolicy:kinds::`` — the document envelope and every registered kind's spec."""

    def run(self) -> list[nodes.Node]:
        from finpolicy.documents.models import Envelope, Manifest
        from finpolicy.documents.registry import kinds

        out: list[nodes.Node] = []
        envelope = _section("Every document", "kind-envelope")
        envelope.extend(model_nodes(Envelope, "envelope"))
        out.append(envelope)
        manifest = _section("The bundle manifest (bundle.yaml)", "kind-manifest")
        manifest.extend(model_nodes(Manifest, "manifest"))
        out.append(manifest)
        for name, kind in sorted(kinds().items()):
            section = _section(name, f"kind-{name}")
            if kind.summary:
                section += _para(kind.summary)
            section += _para("The fields of ", _literal("spec"), f" in a {name}:")
            section.extend(model_nodes(kind.spec_model, f"kind-{name}"))
            out.append(section)
        return out


def model_nodes(model: Any, prefix: str, *, nested: bool = True) -> list[nodes.Node]:
    """A fields table for a pydantic model and (unless ``nested`` is false) each model it
    nests."""
    out: list[nodes.Node] = []
    tables = docgen.schema_rows(model)
    for i, (title, rows) in enumerate(tables if nested else tables[:1]):
        table = _table(["Field", "Type", "Required", "Default", "Description"],
                       [[_literal(f), t, r, _literal(d) if d else "", _rich(desc)]
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
        rows = [[_literal(c.code), c.kind, _rich(c.summary), c.origin]
                for c in docgen.error_codes()]
        return [_table(["Code", "Kind", "Meaning", "Declared by"], rows,
                       widths=[3, 2, 9, 2])]


class CliDirective(SphinxDirective):
    """``.. finpolicy:cli::`` — the help of ``finpolicy`` and of every subcommand."""

    def run(self) -> list[nodes.Node]:
        import click

        from finpolicy.cli import main

        out: list[nodes.Node] = []
        settings = {**main.context_settings, "terminal_width": 88, "max_content_width": 88}
        root = click.Context(main, info_name="finpolicy", **settings)
        top = _section("finpolicy", "cli-finpolicy")
        top += nodes.literal_block(text=main.get_help(root), language="text")
        out.append(top)
        for name in sorted(main.list_commands(root)):
            command = main.get_command(root, name)
            if command is None:
                continue
            section = _section(f"finpolicy {name}", f"cli-{name}")
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
