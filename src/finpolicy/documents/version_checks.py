"""Checks across the versions of one policy in a bundle: one kind, distinct versions, and
effective windows that do not overlap."""

from __future__ import annotations

import itertools

import attrs

from finpolicy.documents.models import Metadata
from finpolicy.documents.yamlsource import SourceDocument
from finpolicy.errors import Problem

__all__ = ["DocumentHeader", "check_versions"]


@attrs.frozen
class DocumentHeader:
    """What version checks need of a document: where it is, its kind and metadata."""

    file: str
    kind: str
    metadata: Metadata
    source: SourceDocument

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def version(self) -> str:
        return self.metadata.version


def check_versions(documents: list[DocumentHeader], problems: list[Problem]) -> None:
    """Append a problem for each policy id declared with several kinds, each repeated version
    and each effective window overlapping the one before it."""
    by_id: dict[str, list[DocumentHeader]] = {}
    for doc in documents:
        by_id.setdefault(doc.id, []).append(doc)
    for docs in by_id.values():
        docs.sort(key=lambda d: d.metadata.effective_from)
        kinds_seen = {d.kind for d in docs}
        if len(kinds_seen) > 1:
            for d in docs[1:]:
                problems.append(Problem(d.file, _line(d, "id"), "metadata.id",
                                        f"policy `{d.id}` is declared with several kinds: "
                                        f"{', '.join(sorted(kinds_seen))}", "kind_conflict"))
        versions: dict[str, DocumentHeader] = {}
        for d in docs:
            if d.version in versions:
                problems.append(Problem(d.file, _line(d, "version"), "metadata.version",
                                        f"version `{d.version}` of `{d.id}` is also in "
                                        f"{versions[d.version].file}", "duplicate_version"))
            versions[d.version] = d
        for a, b in itertools.pairwise(docs):
            a_until = a.metadata.effective_until
            if a_until is None or a_until >= b.metadata.effective_from:
                problems.append(Problem(
                    b.file, _line(b, "effective_from"), "metadata.effective_from",
                    f"effective window {b.metadata.window()} of `{b.id}` {b.version} overlaps "
                    f"{a.metadata.window()} of version {a.version} ({a.file})",
                    "version_overlap"))


def _line(doc: DocumentHeader, key: str) -> int | None:
    """The line of ``metadata.<key>`` in the document."""
    return doc.source.line_of(("metadata", key))
