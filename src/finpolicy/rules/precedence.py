"""How the matching rules of a rule set combine, in the form lint reasons about.

A kind states, for each rule, its ``Standing``: rules compete only within one ``slot``; among
matching rules of one slot the highest ``rank`` decides what ``decides`` names, and every
matching rule contributes its ``adds`` (obligations) whatever its rank. From this lint can tell
that a rule is shadowed (a rule of the same rank deciding the same, adding at least as much,
holds whenever it does) or overridden (stronger rules hold whenever it does, adding at least as
much): either way, removing it changes no decision.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping
from typing import Any

import attrs

from finpolicy.rules.conditions import Scalar
from finpolicy.rules.model import Rule

__all__ = ["Authoring", "Standing", "deny_overrides"]


@attrs.frozen(slots=True)
class Standing:
    """Where one rule stands among the rules of its rule set.

    Attributes:
        slot: rules compete only with rules of the same slot.
        rank: a matching rule of higher rank overrides what lower ones decide.
        decides: what the rule decides when it wins (``"deny"``, an outcome, a level …).
        adds: what it contributes whether or not it wins (obligations).
    """

    slot: Hashable
    rank: int
    decides: Hashable
    adds: frozenset[Hashable] = frozenset()


def _no_domains(spec: Any) -> Mapping[str, Collection[Scalar]]:
    return {}


@attrs.frozen(slots=True)
class Authoring:
    """What authoring tools (``finpolicy lint``) know of a kind beyond its field types.

    Attributes:
        standing: ``(rule set name, rule) → Standing``, or ``None`` for a rule that competes
            with no other (lint then checks only that it can fire).
        domains: ``spec → {dotted path: values}``: every value a fact can take under this
            policy when present (for a list fact: every element); an empty collection for a
            fact no input can carry under this policy.
    """

    standing: Callable[[str, Rule], Standing | None]
    domains: Callable[[Any], Mapping[str, Collection[Scalar]]] = _no_domains


def deny_overrides(rule: Rule) -> Standing:
    """The standing of a rule under deny-overrides: ``deny`` outranks ``allow``, and an
    ``obligation`` rule adds its obligations for the outcomes it ``applies_to``."""
    effect = rule.effect["effect"]
    if effect == "obligation":
        return Standing("obligation", 0, "obligation", frozenset(
            (o, outcome) for o in rule.obligations for outcome in rule.effect["applies_to"]))
    return Standing("decision", 1 if effect == "deny" else 0, effect)
