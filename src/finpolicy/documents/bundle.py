"""Bundles: a folder of policy documents with a manifest, versions chosen by date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs
import yaml
from pydantic import ValidationError

from finpolicy.documents.digests import bundle_json, canonical_json, sha256
from finpolicy.documents.fieldhints import HintingParser
from finpolicy.documents.git import shown_as, shown_problems
from finpolicy.documents.invisible import invisible_text
from finpolicy.documents.lock import LOCK_CODES, check_lock
from finpolicy.documents.models import Envelope, Manifest, Metadata, VocabularySpec
from finpolicy.documents.packpaths import (
    DEFAULT_PACK,
    link_target,
    misplaced_documents,
    resolve_bundle_path,
    shipped_packs,
)
from finpolicy.documents.partial import check_pruned
from finpolicy.documents.problems import (
    misnamed_vocabularies,
    not_a_policy_document,
    pydantic_problems,
)
from finpolicy.documents.registry import BuildContext, CompiledPolicy, PolicyKind, kinds
from finpolicy.documents.rulelines import rule_lines
from finpolicy.documents.standin import stand_in_envelope
from finpolicy.documents.version_checks import DocumentHeader, check_versions
from finpolicy.documents.yamlsource import (
    MAX_FILE_BYTES,
    SourceDocument,
    parse_yaml,
    yaml_problem,
)
from finpolicy.errorcodes import declare
from finpolicy.errors import FinpolicyError, InputError, NotInForceError, PolicyError, Problem
from finpolicy.rules.parse import ConditionParser, FieldTypes, suggest
from finpolicy.rules.vocabulary import Vocabularies

__all__ = ["DEFAULT_PACK", "MANIFEST", "Bundle", "PolicyDocument", "assemble_bundle",
           "collect_documents", "link_target", "load_bundle", "load_document", "load_unpinned",
           "read_policy_text", "resolve_bundle_path", "rule_lines", "shipped_packs"]

declare("policy", {"bad_file_name": "A file of the pack is named so that loading would skip "
                                    "it (`access.YAML`)."})

MANIFEST = "bundle.yaml"
_OTHER_MANIFEST = "bundle.yml"  # a manifest misnamed, when bundle.yaml is missing

P = TypeVar("P", bound=CompiledPolicy, covariant=True)


@attrs.frozen(slots=True)
class PolicyDocument(Generic[P]):
    """One validated, compiled policy document (one version of one policy).

    ``policy`` is what the kind compiled the spec into (``PolicyDocument[SuitabilityRules]``
    for a suitability policy).
    """

    file: str
    kind: str
    metadata: Metadata
    spec: Any
    policy: P
    digest: str
    data: Any = attrs.field(eq=False, repr=False)
    source: SourceDocument | None = attrs.field(default=None, eq=False, repr=False)
    canonical: str = attrs.field(default="", eq=False, repr=False)
    vocabulary: Vocabularies = attrs.field(factory=Vocabularies, eq=False, repr=False)

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def key(self) -> str:
        return f"{self.metadata.id}@{self.metadata.version}"

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The distinct ids of the rules of every rule set, in order (what coverage counts)."""
        ids: dict[str, None] = {}
        for ruleset in self.policy.rulesets.values():
            ids.update((r.id, None) for r in ruleset.rules)
        return tuple(ids)


@attrs.frozen(slots=True)
class Bundle:
    """A validated set of policy documents. Immutable; build one with ``load_bundle``."""

    name: str
    version: str
    description: str
    root: str
    documents: tuple[PolicyDocument[Any], ...]
    digest: str
    manifest: Manifest = attrs.field(eq=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by content, its digest and files: unpickled, the bundle is loaded again
        from them (once per process), refusing any other digest."""
        from finpolicy.documents.shipping import pack_bundle, shipped_bundle

        digest, files = pack_bundle(self)
        return (shipped_bundle, (digest, tuple(sorted(files.items()))))

    def __repr__(self) -> str:
        # (the documents' own reprs would run to a quarter of a megabyte for cn-banking)
        return (f"<Bundle {self.name} {self.version} {self.digest[:12]} at {self.root} "
                f"({len(self.documents)} documents)>")

    def __copy__(self) -> Bundle:
        return self  # (immutable)

    def __deepcopy__(self, memo: dict[int, Any]) -> Bundle:
        return self

    def policies(self, kind: str | None = None) -> tuple[PolicyDocument[Any], ...]:
        """Every document (every version), optionally of one kind."""
        return tuple(d for d in self.documents if kind is None or d.kind == kind)

    def versions(self, policy_id: str) -> tuple[PolicyDocument[Any], ...]:
        """All versions of one policy, oldest window first."""
        return tuple(sorted((d for d in self.documents if d.id == policy_id),
                            key=lambda d: d.metadata.effective_from))

    def in_force(self, kind: str, on: dt.date | dt.datetime | str,
                 policy_id: str | None = None) -> PolicyDocument[Any]:
        """The version of ``kind`` (or of ``policy_id``) in force on ``on``: a date, its ISO
        text or an aware datetime (its own date), as an evaluation's ``as_of``.

        Raises:
            NotInForceError: when the bundle has no such policy or none is in force that day.
            InputError: ``on`` is no date (a naive datetime, text that is no ISO date).
        """
        if type(on) is not dt.date:
            from finpolicy.inputs import evaluation_date

            if on is None:  # (not "today" unasked, as an as_of of None is)
                raise InputError.one("on", "expected a date, got None", "bad_date")
            on = evaluation_date(on, field="on")
        docs = [d for d in self.documents if d.kind == kind and
                (policy_id is None or d.id == policy_id)]
        if not docs:
            ids = sorted({d.id for d in self.documents if d.kind == kind})
            raise NotInForceError(kind, policy_id or "*", on, [], ids=ids)
        found = [d for d in docs if d.metadata.in_force(on)]
        if not found:
            raise NotInForceError(kind, policy_id or docs[0].id, on,
                                  [f"{d.version}: {d.metadata.window()}" for d in docs])
        if len(found) > 1:
            raise NotInForceError(kind, "*", on, [], several=sorted({d.id for d in found}))
        return found[0]

    def __iter__(self) -> Iterator[PolicyDocument[Any]]:
        return iter(self.documents)


def load_bundle(path: str | Path | None = None, *, expect_digest: str | None = None,
                trusted_keys: Iterable[Any] | None = None,
                min_version: str | None = None) -> Bundle:
    """Load, validate and compile a bundle: all of it, or raise ``PolicyError`` listing every
    problem.

    A ``bundle.lock`` in the folder pins each released version's content (see
    ``finpolicy.documents.lock``).

    Args:
        path: a bundle folder; the name of a shipped pack (``"uk-fca"``); ``git:REV:PATH``,
            the folder as a git revision holds it (``"git:v1.2.0:policies/cn-banking"``,
            PATH from the current directory; read-only, its files named ``REV:PATH/file``);
            or ``None`` for the default pack, ``cn-banking``.
        expect_digest: refuse the bundle unless its digest is this (either case).
        trusted_keys: Ed25519 public keys (PEM paths, PEM bytes or key objects); refuse the
            bundle unless one of them signed it as it is, lock file included, and every
            signature in ``bundle.sig`` is intact (see ``finpolicy.documents.signing``).
        min_version: refuse a bundle whose version (``bundle.yaml``) is older than this
            one (``downgrade``): an older release put back, signed or not, is not loaded.

    Raises:
        PolicyError: every problem of the bundle, its lock, digest, signatures or version.
        InputError: ``git:REV:PATH`` that git cannot extract (no such revision, or no such
            path at it, or a path outside the repository), as on the command line; an
            ``expect_digest`` that is no digest or a ``min_version`` that is no version.
    """
    from finpolicy.documents.pins import check_pins

    bundle, lock_problems = load_unpinned(path)
    check = check_pins(bundle, lock_problems, expect_digest=expect_digest,
                       trusted_keys=trusted_keys, signatures=trusted_keys is not None,
                       min_version=min_version)
    if check.problems:
        raise PolicyError(shown_problems(bundle.root, check.problems))
    return bundle


def load_unpinned(path: str | Path | None) -> tuple[Bundle, list[Problem]]:
    """The bundle at ``path`` whatever its lock file says, and the lock's problems (what
    ``finpolicy bundle lock`` and ``bundle verify`` need; ``load_bundle`` refuses them).

    Raises:
        PolicyError: every problem, when any is not the lock's.
    """
    root, manifest, documents, problems = collect_documents(path)
    if manifest is None or any(p.code not in LOCK_CODES for p in problems):
        raise PolicyError(problems)
    return assemble_bundle(root, manifest, documents), problems


def collect_documents(path: str | Path | None,
                      drafts: list[PolicyDocument[Any]] | None = None,
                      ) -> tuple[Path, Manifest | None, list[PolicyDocument[Any]],
                                 list[Problem]]:
    """Every valid document of the bundle at ``path``, and every problem found (the manifest,
    each document, version windows, the lock file), without raising for them. What invalid
    documents build to all the same is appended to ``drafts``.

    Raises:
        PolicyError: only when ``path`` names no bundle (see ``resolve_bundle_path``).
    """
    root = resolve_bundle_path(path)
    if not root.is_dir():
        raise PolicyError([Problem(str(path), None, "", "no such bundle folder", "no_bundle")])
    problems: list[Problem] = []
    manifest = _load_manifest(root, problems)
    documents: list[PolicyDocument[Any]] = []
    misnamed = not (root / MANIFEST).is_file()
    files = sorted(p for p in root.iterdir() if p.suffix in (".yaml", ".yml")
                   and p.name != MANIFEST and p.is_file()
                   and not (misnamed and p.name == _OTHER_MANIFEST))
    problems.extend(Problem(_display(root, p), None, "", f"`{p.name}` would be skipped: a "
                            f"policy file's name ends in `.yaml` or `.yml`, in lower case",
                            "bad_file_name")
                    for p in sorted(root.iterdir())
                    if p.suffix.lower() in (".yaml", ".yml") and p.suffix not in (".yaml", ".yml"))
    problems.extend(Problem(_display(root, p), line, "apiVersion", "a policy document in a "
                            f"folder of the pack would be skipped: loading reads the policy "
                            f"files beside {MANIFEST} only; move it there", "misplaced_document")
                    for p, line in misplaced_documents(root))
    if not files:
        problems.append(Problem(str(root), None, "", "bundle has no policy documents",
                                "empty_bundle"))
    headers: list[DocumentHeader] = []
    for file in files:
        doc = load_document(file, problems, display=_display(root, file), headers=headers,
                            vocabulary=manifest.vocabulary if manifest is not None else None,
                            drafts=drafts)
        if doc is not None:
            documents.append(doc)
    # windows are checked for every document whose envelope is valid, even if its spec is not,
    # so one run reports every problem; not gaps when a file could not be read at all (it may
    # hold the version between: `ge: 065` in one version reported a gap before the YAML error)
    check_versions(headers, problems, gaps=len(headers) == len(files))
    check_lock(root, documents, problems)
    return root, manifest, documents, shown_problems(root, problems)


def assemble_bundle(root: Path, manifest: Manifest,
                    documents: list[PolicyDocument[Any]]) -> Bundle:
    """The bundle of ``documents`` (all valid)."""
    digest = sha256(bundle_json(manifest, documents))
    # absolute: a reload or replay after the process changed folder reads the same pack
    return Bundle(manifest.name, manifest.version, manifest.description, str(root.absolute()),
                  tuple(sorted(documents, key=lambda d: (d.kind, d.id,
                                                          d.metadata.effective_from))),
                  digest, manifest)


def _display(root: Path, file: Path) -> str:
    shown = shown_as(root)
    if shown is not None:  # a pack at a git revision: never its temporary folder
        return f"{shown}/{file.relative_to(root).as_posix()}"
    try:
        return str(file.relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def read_policy_text(file: Path, display: str, problems: list[Problem]) -> str | None:
    """The UTF-8 text of a policy file, or ``None`` after recording why it cannot be read."""
    try:
        with file.open("rb") as handle:  # read up to the limit, even if the file grows
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(display, None, "", f"cannot read: {exc.strerror or exc}",
                                "unreadable"))
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(display, None, "", f"file is larger than "
                                f"{MAX_FILE_BYTES // 2**20} MiB", "file_too_large"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:  # a GBK or Windows-1252 file, say: name where
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(display, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}"
                                f"); save the file as UTF-8", "unreadable"))
        return None


def _read(file: Path, display: str, problems: list[Problem]) -> SourceDocument | None:
    text = read_policy_text(file, display, problems)
    if text is None:
        return None
    duplicates: list[Any] = []  # reported, and the rest of the file checked all the same
    try:
        source = parse_yaml(text, display, duplicates)
    except yaml.YAMLError as exc:
        problems.append(yaml_problem(display, exc, text))
        return None
    problems.extend(yaml_problem(display, duplicate, text) for duplicate in duplicates)
    hidden = invisible_text(source)
    if hidden is not None:
        problems.append(hidden)
        return None
    return source


def _load_manifest(root: Path, problems: list[Problem]) -> Manifest | None:
    file = root / MANIFEST
    display = _display(root, file)
    if not file.is_file():
        other = root / _OTHER_MANIFEST
        hint = (f" (`{_OTHER_MANIFEST}` is here: the manifest is named `{MANIFEST}`)"
                if other.is_file() else "")
        problems.append(Problem(display, None, "", f"missing `{MANIFEST}` manifest{hint}",
                                "no_manifest"))
        return None
    source = _read(file, display, problems)
    if source is None:
        return None
    try:
        manifest = Manifest.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, (), Manifest))
        return None
    problems.extend(misnamed_vocabularies(manifest.vocabulary, source, ("vocabulary",)))
    return manifest


def load_document(file: Path, problems: list[Problem], *, display: str | None = None,
                  headers: list[DocumentHeader] | None = None,
                  vocabulary: Mapping[str, VocabularySpec] | None = None,
                  drafts: list[PolicyDocument[Any]] | None = None,
                  ) -> PolicyDocument[Any] | None:
    """Load one policy document, appending problems; ``None`` when it is invalid.

    ``vocabulary`` is the bundle's (the policy's own ``spec.vocabulary`` adds to it). A spec
    with schema errors is still checked without the parts holding them, so that one run
    reports every problem; what an invalid document builds to all the same is appended to
    ``drafts`` (for checks across the pack, never for evaluation).
    """
    display = display or str(file)
    found = _read_envelope(file, display, problems)
    if found is None:
        return None
    source, envelope, whole = found  # not whole: a stand-in, to check the spec all the same
    if headers is not None and whole:
        headers.append(DocumentHeader(display, envelope.kind, envelope.metadata, source))
    kind = _kind_of(envelope, source, problems)
    if kind is None:
        return None
    build = _builder(display, envelope, kind, vocabulary or {})
    try:
        spec = kind.spec_model.model_validate(envelope.spec)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, ("spec",), kind.spec_model))
        draft, pruned = check_pruned(source, kind.spec_model, envelope.spec,
                                     exc.errors(include_url=False), build)
        problems.extend(pruned)
        if draft is not None and drafts is not None and whole:
            drafts.append(draft)
        return None
    try:
        document, local = build(spec, source)
    except _KindFailed as failed:
        problems.append(failed.problem)
        return None
    problems.extend(local)
    if local or not whole:
        if drafts is not None and whole:
            drafts.append(document)
        return None
    return document


def _read_envelope(file: Path, display: str, problems: list[Problem],
                   ) -> tuple[SourceDocument, Envelope, bool] | None:
    """The parsed document and its validated envelope (or, ``False`` after it, a stand-in for
    one whose metadata has errors), or ``None`` after recording why not."""
    source = _read(file, display, problems)
    if source is None:
        return None
    unfit = not_a_policy_document(source)
    if unfit is not None:
        problems.append(unfit)
        return None
    try:
        envelope = Envelope.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, (), Envelope))
        stand_in = stand_in_envelope(source.data, exc.errors(include_url=False))
        if stand_in is not None:
            return source, stand_in, False
        _check_spec_schema(source, problems)
        return None
    return source, envelope, True


def _kind_of(envelope: Envelope, source: SourceDocument,
             problems: list[Problem]) -> PolicyKind[Any, Any] | None:
    """The registered kind the envelope names, or ``None`` after recording that it is unknown."""
    registry = kinds()
    kind = registry.get(envelope.kind)
    if kind is None:
        problems.append(source.problem(("kind",), f"unknown kind `{envelope.kind}`"
                                       f"{suggest(envelope.kind, registry)}: no registered "
                                       "domain declares it (a plug-in domain's kinds are "
                                       "known once its package is installed; `finpolicy "
                                       "domains` lists them)", "unknown_kind"))
    return kind


class _KindFailed(Exception):
    """A kind's build raised: its problem, for ``load_document`` to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


_Build = Callable[[Any, SourceDocument], tuple[PolicyDocument[Any], list[Problem]]]


def _builder(display: str, envelope: Envelope, kind: PolicyKind[Any, Any],
             shared: Mapping[str, VocabularySpec]) -> _Build:
    """What builds a spec of this document with ``kind`` (``check_pruned`` calls it too)."""

    def build(spec: Any, src: SourceDocument) -> tuple[PolicyDocument[Any], list[Problem]]:
        local: list[Problem] = []

        def parser(fields: FieldTypes | None = None) -> ConditionParser:
            return HintingParser(src, fields)

        own = getattr(spec, "vocabulary", {}) or {}
        vocabulary = Vocabularies.merge(shared, own)
        context = BuildContext(src, envelope.metadata, parser, local, vocabulary)
        local.extend(misnamed_vocabularies(own, src, ("spec", "vocabulary")))
        for name, declared in own.items():
            if declared.cite is not None:
                context.check_cite(declared.cite, ("vocabulary", name, "cite"))
        try:
            policy = kind.compile(spec, context)
        except FinpolicyError:
            raise
        except Exception as exc:  # a plug-in kind's bug: all or nothing, naming the file
            where = f"{getattr(kind.build, '__module__', '?')}." \
                    f"{getattr(kind.build, '__qualname__', 'build')}"
            raise _KindFailed(src.problem(
                ("spec",), f"policy kind `{kind.name}` cannot compile this document: its "
                           f"build ({where}) raised {type(exc).__name__}: {exc}",
                "kind_failed")) from exc
        canonical = canonical_json(src.data)
        digest = sha256(canonical)
        return PolicyDocument(display, envelope.kind, envelope.metadata, spec, policy, digest,
                              src.data, src, canonical, vocabulary), local

    return build


def _check_spec_schema(source: SourceDocument, problems: list[Problem]) -> None:
    """Report the spec's schema errors of a document whose envelope is invalid, when its kind
    is known (so one run reports both)."""
    data = source.data
    kind = kinds().get(data.get("kind")) if isinstance(data.get("kind"), str) else None
    if kind is None or not isinstance(data.get("spec"), dict):
        return
    try:
        kind.spec_model.model_validate(data["spec"])
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, ("spec",), kind.spec_model))
