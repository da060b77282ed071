"""Checks across the versions of one policy in a bundle: one kind, distinct versions, and
effective windows that neither overlap nor leave days between them."""

from __future__ import annotations

import datetime as dt
import itertools

import attrs

from finpolicy.documents.models import Metadata
from finpolicy.documents.yamlsource import SourceDocument
from finpolicy.errorcodes import declare
from finpolicy.errors import Problem

__all__ = ["DocumentHeader", "check_versions"]

declare("policy", {"version_gap": "Days lie between two versions of a policy when none is in "
                                  "force."})


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


def check_versions(documents: list[DocumentHeader], problems: list[Problem], *,
                   gaps: bool = True) -> None:
    """Append a problem for each policy id declared with several kinds, each repeated version
    and each effective window overlapping the one before it or, when ``gaps``, leaving days
    after it."""
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
            elif gaps and a_until + dt.timedelta(days=1) < b.metadata.effective_from:
                problems.append(_gap(a, b, a_until))


def _gap(a: DocumentHeader, b: DocumentHeader, a_until: dt.date) -> Problem:
    """Days between two versions when none is in force: every decision on them would fail
    (``effective_until`` is the last day in force, so the next version begins the day after)."""
    first, last = a_until + dt.timedelta(days=1), b.metadata.effective_from - dt.timedelta(days=1)
    days = f"on {first}" if first == last else f"from {first} to {last}"
    return Problem(a.file, _line(a, "effective_until"), "metadata.effective_until",
                   f"no version of `{a.id}` is in force {days}, between {a.version} (until "
                   f"{a_until}, its last day) and {b.version} (from {b.metadata.effective_from},"
                   f" {b.file}): every decision then would fail; end {a.version} on {last}",
                   "version_gap")


def _line(doc: DocumentHeader, key: str) -> int | None:
    """The line of ``metadata.<key>`` in the document."""
    return doc.source.line_of(("metadata", key))
