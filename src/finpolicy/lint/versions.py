"""Lint checks across the documents of a bundle: the versions of one policy, and the policies
of one kind in force at once."""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
import re
from typing import Any

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.lint.findings import Finding

__all__ = ["bundle_findings"]

_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-(.+))?", re.ASCII)


def bundle_findings(bundle: Bundle) -> list[Finding]:
    """The findings about how the documents of ``bundle`` stand to one another (not yet
    silenced by comments)."""
    return [*_version_order(bundle), *_several_in_force(bundle)]


def _semver_key(version: str) -> tuple[Any, ...]:
    """Semantic-version precedence: a pre-release (``2.0.0-rc.1``) before its release, and
    its numeric identifiers compared as numbers."""
    found = _SEMVER.fullmatch(version)
    if found is None:  # (validation refuses it: never here)
        return (version,)
    major, minor, patch, pre = found.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    parts = tuple((0, int(p), "") if p.isdecimal() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0, parts)


def _line(doc: PolicyDocument[Any], key: str) -> int | None:
    return doc.source.line_of(("metadata", key)) if doc.source is not None else None


def _name(doc: PolicyDocument[Any]) -> str:
    return pathlib.PurePath(doc.file).name


def _version_order(bundle: Bundle) -> list[Finding]:
    """A version in force after another of the same policy but not numbered above it: a
    copied file whose version was not raised, or raised from the wrong one (decisions would
    name `2.2.0` for a text that came after `2.3.0`)."""
    found = []
    for policy_id in sorted({d.id for d in bundle.documents}):
        for before, doc in itertools.pairwise(bundle.versions(policy_id)):
            if _semver_key(doc.version) > _semver_key(before.version):
                continue
            found.append(Finding(
                "FPL010", "warning", doc.file, _line(doc, "version"), doc.key,
                "metadata.version",
                f"version {doc.version} comes into force on {doc.metadata.effective_from}, "
                f"after {before.version} ({before.metadata.window()}, {_name(before)}), but "
                "is not numbered above it"))
    return found


def _span(bundle: Bundle, policy_id: str) -> tuple[dt.date, dt.date | None]:
    """The days some version of ``policy_id`` is in force (one stretch: validation refuses
    days between versions); ``None`` for an open end."""
    versions = bundle.versions(policy_id)
    return versions[0].metadata.effective_from, versions[-1].metadata.effective_until


def _several_in_force(bundle: Bundle) -> list[Finding]:
    """Two policies of one kind in force on the same days (a draft left beside the released
    one): every call that names no policy (``policy=``, ``--policy``) is refused on those
    days, the application's included."""
    found = []
    for kind in sorted({d.kind for d in bundle.documents}):
        ids = sorted({d.id for d in bundle.policies(kind)})
        for first, second in itertools.combinations(ids, 2):
            (a_from, a_until), (b_from, b_until) = _span(bundle, first), _span(bundle, second)
            start = max(a_from, b_from)
            ends = [d for d in (a_until, b_until) if d is not None]
            end = min(ends) if ends else None
            if end is not None and end < start:
                continue
            a, b = (bundle.in_force(kind, start, i) for i in (first, second))
            days = f"from {start} to {end}" if end is not None else f"from {start} on"
            found.append(Finding(
                "FPL011", "warning", b.file, _line(b, "id"), b.key, "metadata.id",
                f"`{b.id}` and `{a.id}` ({_name(a)}) are both {kind} policies in force "
                f"{days}: a call that names neither (policy=, --policy) is refused then"))
    return found
