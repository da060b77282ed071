"""The numeric boundaries a policy's rules draw: every comparison of a field with a number.

Pictures take their sample inputs from these (ages either side of every age threshold, amounts
either side of every share), so a changed threshold shows in the picture; the consistency check
(``docgen.consistency``) compares the numbers a description states with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.rules.conditions import All, Compare, Condition, Not
from finpolicy.rules.conditions import Any as AnyOf

__all__ = ["Threshold", "either_side", "thresholds", "untouched"]

Number = int | float


@attrs.frozen(slots=True)
class Threshold:
    """One comparison ``path op value`` of a rule, ``value`` a number."""

    path: str
    op: str
    value: Number
    rule_id: str
    ruleset: str

    def holds(self, x: Number) -> bool:
        """Whether ``x`` satisfies the comparison (as the engines compare numbers)."""
        v = self.value
        return {"eq": x == v, "ne": x != v, "lt": x < v, "le": x <= v, "gt": x > v,
                "ge": x >= v}.get(self.op, False)

    def sides(self, step: Number = 1) -> tuple[Number, Number]:
        """The two values either side of the boundary, lower first: ``ge 65`` → (64, 65),
        ``gt 0.5`` → (0.5, 0.5 + step), ``le 17`` → (17, 18), ``eq 3`` → (2, 3)."""
        v = self.value
        if self.op in ("gt", "le"):
            return v, _plus(v, step)
        return _plus(v, -step), v

    def words(self) -> str:
        """``customer.age ≥ 65 (rule elderly-high-risk)``."""
        symbol = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}[self.op]
        return f"{self.path} {symbol} {_text(self.value)} (rule {self.rule_id})"


def _plus(v: Number, step: Number) -> Number:
    out = v + step
    # 0.1 + 0.2 and friends: keep as many decimals as the inputs have
    return round(out, 9) if isinstance(out, float) else out


def _text(v: Number) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _compares(cond: Condition) -> Iterator[Compare]:
    match cond:
        case All(items) | AnyOf(items):
            for item in items:
                yield from _compares(item)
        case Not(item):
            yield from _compares(item)
        case Compare():
            yield cond


def thresholds(doc: PolicyDocument[Any],
               accept: Callable[[str], bool] = lambda path: True) -> list[Threshold]:
    """Every comparison of a field with a number in ``doc``'s rules (every rule set), in rule
    order, for the field paths ``accept`` takes."""
    out = []
    for name, ruleset in doc.policy.rulesets.items():
        for rule in ruleset.rules:
            for cmp in _compares(rule.when):
                value = cmp.value
                if (cmp.op in ("eq", "ne", "lt", "le", "gt", "ge")
                        and isinstance(value, int | float) and not isinstance(value, bool)
                        and accept(cmp.dotted)):
                    out.append(Threshold(cmp.dotted, cmp.op, value, rule.id, name))
    return out


def either_side(found: list[Threshold], step: Number = 1) -> list[Number]:
    """The values either side of every threshold in ``found``, ascending, each once."""
    return sorted({x for t in found for x in t.sides(step)})


def untouched(found: list[Threshold], step: Number = 1) -> Number | None:
    """The lowest value either side of the thresholds that meets no rule's comparisons (all
    of a rule's, as ``ge 8`` and ``lt 18`` bound one rule's ages together): an age between
    the minors' and the elderly rules, say; ``None`` when there are no thresholds, the lowest
    value when every value meets a rule's."""
    values = either_side(found, step)
    if not values:
        return None
    rules: dict[tuple[str, str], list[Threshold]] = {}
    for t in found:
        rules.setdefault((t.ruleset, t.rule_id), []).append(t)
    return next((x for x in values
                 if not any(all(t.holds(x) for t in ts) for ts in rules.values())), values[0])
