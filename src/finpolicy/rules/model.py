"""The one rule form every domain compiles its spec into."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

from finpolicy.rules.conditions import ALWAYS, Condition, paths


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen(slots=True)
class Rule:
    """One rule: when ``when`` holds for the facts, ``effect`` applies.

    Attributes:
        id: unique within its policy; named in every decision it contributes to.
        when: the condition over the domain's derived facts.
        effect: the domain's outcome parameters (``outcome``, ``level``, ``allow`` …).
        obligations: duties that come with the decision (``audit_log``, ``dual_recording`` …).
        reason: one sentence for people, shown in explanations.
        cite: the source (regulation article or handbook section).
    """

    id: str
    when: Condition = ALWAYS
    effect: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping, eq=False)
    obligations: tuple[str, ...] = ()
    reason: str = ""
    cite: str = ""

    @property
    def effect_items(self) -> tuple[tuple[str, Any], ...]:
        return tuple(sorted(self.effect.items()))


@attrs.frozen(slots=True)
class RuleSet:
    """An ordered set of rules evaluated together against one fact."""

    name: str
    rules: tuple[Rule, ...]

    def paths(self) -> set[tuple[str, ...]]:
        out: set[tuple[str, ...]] = set()
        for rule in self.rules:
            out |= paths(rule.when)
        return out
