"""Traces and obstacles in words: clauses with the values they saw, why-not from the rules."""

from __future__ import annotations

from typing import Any, Literal

from finpolicy.explain.model import Clause, Group, Obstacle, RuleTrace
from finpolicy.explain.record import Analysis
from finpolicy.rules.conditions import All, Compare, FieldRef, Not
from finpolicy.rules.evaluate import MISSING, LeafTrace, Need, Trace, ways
from finpolicy.rules.render import render, render_path, render_value

__all__ = ["clause", "rule_obstacles", "rule_traces"]


def _plain(value: Any) -> Any:
    return None if value is MISSING else value


def _saw(leaf: LeafTrace) -> str:
    def one(value: Any) -> str:
        return "not given" if value is MISSING else render_value(value)

    condition = leaf.condition
    if isinstance(condition, Compare) and isinstance(condition.value, FieldRef):
        return (f"it is {one(leaf.value)}; {render_path(condition.value.path)} is "
                f"{one(leaf.other)}")
    return "it is not given" if leaf.value is MISSING else f"it is {one(leaf.value)}"


def clause(analysis: Analysis, leaf: LeafTrace) -> Clause:
    """A traced leaf in words."""
    condition = leaf.condition
    fields = [condition.dotted]
    values = [_plain(leaf.value)]
    if isinstance(condition, Compare) and isinstance(condition.value, FieldRef):
        fields.append(condition.value.dotted)
        values.append(_plain(leaf.other))
    return Clause(render(condition), leaf.held, _saw(leaf), tuple(fields), tuple(values),
                  analysis.changeable(leaf))


def _tree(analysis: Analysis, node: Trace) -> Group | Clause:
    if isinstance(node, LeafTrace):
        return clause(analysis, node)
    condition = node.condition
    kind: Literal["all", "any", "not"] = (
        "not" if isinstance(condition, Not) else "all" if isinstance(condition, All) else "any")
    return Group(kind, node.held, tuple(_tree(analysis, item) for item in node.items))


def rule_traces(analysis: Analysis) -> tuple[RuleTrace, ...]:
    """Every traced rule's condition tree in words."""
    return tuple(RuleTrace(t.run.doc.id, t.run.doc.version, t.run.ruleset, t.rule.id,
                           t.rule.reason, t.rule.cite, dict(t.rule.effect), t.trace.held,
                           any(r is t.rule for r in t.run.matched), _tree(analysis, t.trace))
                 for t in analysis.traced)


# --- why not ----------------------------------------------------------------------------------

def _clauses(analysis: Analysis, found: list[tuple[Need, ...]]) -> tuple[Clause, ...]:
    seen: dict[int, LeafTrace] = {}
    for way in found:
        for need in way:
            seen.setdefault(id(need.leaf), need.leaf)
    return tuple(clause(analysis, leaf) for leaf in seen.values())


def rule_obstacles(analysis: Analysis) -> list[Obstacle]:
    """Blocking rules that hold, then the nearest enabling rules that fail (fewest failed
    comparisons first), each with the comparisons in the way."""
    explainer = analysis.explainer
    anything = lambda leaf: True  # noqa: E731  (every leaf, changeable or not)
    out: list[Obstacle] = []
    for t in analysis.traced:
        if t.role == "blocks" and t.trace.held:
            raw = ways(t.trace, False, anything)
            out.append(Obstacle("rule", t.rule.id, "blocks", explainer.effect(t.rule),
                                t.rule.reason, t.rule.cite, _clauses(analysis, raw),
                                len(raw[0]) if raw else 0,
                                bool(ways(t.trace, False, analysis.changeable))))
    target = analysis.target
    enablers = [t for t in analysis.traced if t.role == "enables"]
    if target is not None and explainer.needs_enabler(target) and \
            not any(t.trace.held for t in enablers):
        near = []
        for t in enablers:
            raw = ways(t.trace, True, anything)
            if raw:
                near.append(Obstacle("rule", t.rule.id, "enables", explainer.effect(t.rule),
                                     t.rule.reason, t.rule.cite, _clauses(analysis, raw[:1]),
                                     len(raw[0]),
                                     bool(ways(t.trace, True, analysis.changeable))))
        near.sort(key=lambda o: (o.failed, not o.changeable))
        out += near[:3]
    return out
