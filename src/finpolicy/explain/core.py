"""Explaining one decision: record and trace it, find the obstacles, search for changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finpolicy.errors import InputError
from finpolicy.explain.explainer import Explainer
from finpolicy.explain.model import Explanation, Obstacle, Suggestion
from finpolicy.explain.record import analyse
from finpolicy.explain.search import search
from finpolicy.explain.words import rule_obstacles, rule_traces
from finpolicy.runtime import Runtime

__all__ = ["explain_case"]


def explain_case(explainer: Explainer, runtime: Runtime, case: Mapping[str, Any], *,
                 limit: int = 5) -> Explanation:
    """The explanation of the decision on ``case`` (its mapping form, with ``as_of``).

    Raises:
        InputError: ``limit`` is not a whole number of at least 1 (with none, "no change
            gives a better outcome" would be said of a decision that has one).
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError.one("limit", f"expected a whole number of at least 1, got "
                                      f"`{limit!r}`", "bad_option", limit)
    analysis = analyse(explainer, runtime, case)
    why: list[Obstacle] = []
    suggestions: list[Suggestion] = []
    if analysis.target is not None:
        domain_why = explainer.obstacles(analysis)
        why = rule_obstacles(analysis) if domain_why is None else domain_why
        suggestions = search(analysis, limit=limit)
    notes = explainer.notes(analysis)
    if analysis.target is not None and not suggestions and explainer.immutable:
        notes.append(f"what decides this cannot be changed by a person: {explainer.immutable}")
    return Explanation(domain=explainer.domain, decision=analysis.decision, input=dict(case),
                       target=analysis.target, rules=rule_traces(analysis),
                       why_not=tuple(why), suggestions=tuple(suggestions), notes=tuple(notes))
