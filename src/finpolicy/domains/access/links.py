"""How an access policy must agree with the classification policy in force beside it.

A classification policy says, per data level, whether using data of that level needs approval
(``handling.<level>.approval_required``). The access policy enforces it: every action on such
a level must need an approved grant (``approval.requirements``), and the level must be one the
access policy knows. ``finpolicy validate`` runs this check over every pair of versions whose
effective windows overlap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from finpolicy.domains.access.spec import KIND as ACCESS_KIND
from finpolicy.errors import Problem

__all__ = ["check_classification_link"]

_CLASSIFICATION_KIND = "ClassificationPolicy"


def _overlap(a: Any, b: Any) -> bool:
    end_a = a.metadata.effective_until or dt.date.max
    end_b = b.metadata.effective_until or dt.date.max
    return bool(a.metadata.effective_from <= end_b and b.metadata.effective_from <= end_a)


def check_classification_link(documents: Sequence[Any]) -> Iterator[Problem]:
    """Problems where an access policy lets through, without a grant, data its classification
    policy says needs approval."""
    access = [d for d in documents if d.kind == ACCESS_KIND]
    classification = [d for d in documents if d.kind == _CLASSIFICATION_KIND]
    for doc in access:
        tables = doc.policy
        line = doc.source.line_of(("spec", "approval", "requirements")) if doc.source else None
        for other in classification:
            if not _overlap(doc, other):
                continue
            needing = sorted(str(level) for level, handling in other.policy.handling.items()
                             if handling.approval_required)
            source = f"{other.id} {other.version} ({Path(other.file).name})"
            for level in needing:
                if level not in tables.levels:
                    yield Problem(doc.file, doc.source.line_of(("spec", "levels"))
                                  if doc.source else None, "spec.levels",
                                  f"level `{level}` needs approval in {source} but is not a "
                                  f"level of {doc.id} {doc.version}", "cross_policy")
                    continue
                free = sorted(a for a in tables.actions if (a, level) not in tables.grant_needed)
                if free:
                    yield Problem(
                        doc.file, line, "spec.approval.requirements",
                        f"{source} says `{level}` data needs approval (approval_required: "
                        f"true) but {doc.id} {doc.version} lets "
                        f"{', '.join(f'`{a}`' for a in free)} through without a grant; add "
                        f"`{level}` to a requirement covering every action", "cross_policy")
