"""Grading a complaint from criteria (how serious the problem is, how far it reaches, how the
customer feels): the policy's ``grading`` raises a complaint's severity when a criterion
reaches a grade's threshold.

A complaint states its criteria as ``{criterion: level}`` (``Complaint.criteria``); its
effective severity is the most severe of its own ``severity`` and every grade of which at
least one listed criterion is at or above the listed level. Criteria not stated raise
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
from pydantic import Field

from finpolicy.documents.models import Strict
from finpolicy.errors import InputError, InputProblem

__all__ = ["CriterionSpec", "GradeSpec", "Grading", "GradingSpec", "build_grading"]


class CriterionSpec(Strict):
    """A grading criterion and its levels, lowest first."""

    name: str = Field(description="Criterion name, e.g. `reach`.")
    levels: list[str] = Field(min_length=2, description="Its levels, lowest first.")
    description: str | None = None


class GradeSpec(Strict):
    """A severity and the criterion levels that raise a complaint to it."""

    severity: str = Field(description="A severity of the policy, e.g. `major`.")
    at_least: dict[str, str] = Field(min_length=1, description="Criterion → level; any one "
                                                               "reached raises the complaint.")


class GradingSpec(Strict):
    """``spec.grading`` of a ``ComplaintPolicy``."""

    criteria: list[CriterionSpec] = Field(min_length=1)
    grades: list[GradeSpec] = Field(min_length=1)
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


@attrs.frozen(slots=True)
class Grading:
    """Compiled grading: criterion → level → rank, and thresholds per severity."""

    ranks: Mapping[str, Mapping[str, int]]
    thresholds: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    reason: str
    cite: str

    def severity(self, given: str, criteria: Mapping[str, str],
                 severity_ranks: Mapping[str, int], prefix: str = "") -> str:
        """The effective severity of a complaint of ``given`` severity with ``criteria``.

        Raises:
            InputError: a criterion or level the policy does not declare.
        """
        stated: dict[str, int] = {}
        for name, level in criteria.items():
            levels = self.ranks.get(name)
            if levels is None:
                raise _problem(f"{prefix}criteria.{name}", f"unknown criterion `{name}`, "
                               f"expected one of {', '.join(self.ranks)}", "unknown_criterion",
                               name)
            rank = levels.get(level)
            if rank is None:
                raise _problem(f"{prefix}criteria.{name}", f"unknown level `{level}`, expected "
                               f"one of {', '.join(levels)}", "unknown_level", level)
            stated[name] = rank
        best = given
        for severity, needs in self.thresholds:
            if severity_ranks[severity] > severity_ranks[best] and any(
                    stated.get(name, -1) >= rank for name, rank in needs):
                best = severity
        return best


def _problem(path: str, message: str, code: str, value: Any) -> InputError:
    return InputError([InputProblem(path, message, code, value)], model="Complaint")


def build_grading(spec: GradingSpec, severities: set[str], ctx: Any) -> Grading:
    """Check ``spec`` against the policy's severities; report problems through ``ctx``."""
    ranks: dict[str, Mapping[str, int]] = {}
    for i, criterion in enumerate(spec.criteria):
        if criterion.name in ranks:
            ctx.problem(("grading", "criteria", i, "name"),
                        f"duplicate criterion `{criterion.name}`", "duplicate_name")
        ctx.no_repeats(("grading", "criteria", i, "levels"), criterion.levels,
                       "duplicate_name")
        ranks[criterion.name] = MappingProxyType({lv: r for r, lv in
                                                 enumerate(criterion.levels)})
    thresholds: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    for i, grade in enumerate(spec.grades):
        where = ("grading", "grades", i)
        if grade.severity not in severities:
            ctx.problem((*where, "severity"), f"unknown severity `{grade.severity}`",
                        "unknown_severity")
            continue
        needs = []
        for name, level in grade.at_least.items():
            levels = ranks.get(name)
            if levels is None or level not in levels:
                ctx.problem((*where, "at_least", name), f"unknown criterion level "
                            f"`{name}: {level}`", "unknown_criterion")
                continue
            needs.append((name, levels[level]))
        thresholds.append((grade.severity, tuple(needs)))
    return Grading(MappingProxyType(ranks), tuple(thresholds), spec.reason, spec.cite)
