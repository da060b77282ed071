"""How consent rules compete, for ``finpolicy lint`` (``finpolicy.rules.precedence``)."""

from __future__ import annotations

from finpolicy.rules.model import Rule
from finpolicy.rules.precedence import Authoring, Standing

__all__ = ["AUTHORING", "PROCESSING", "REQUIREMENTS", "standing"]

REQUIREMENTS = "requirements"
PROCESSING = "processing"


def standing(ruleset: str, rule: Rule) -> Standing | None:
    """Requirements add up; processing rules: deny overrides allow, obligation rules add
    their obligations for the outcomes they apply to. Review rules do not compete."""
    if ruleset == REQUIREMENTS:
        return Standing("require", 0, "require", frozenset(rule.effect["require"]))
    if ruleset != PROCESSING:
        return None
    effect = rule.effect["effect"]
    if effect == "obligation":
        return Standing("obligation", 0, "obligation", frozenset(
            (o, outcome) for o in rule.obligations for outcome in rule.effect["applies_to"]))
    return Standing("decision", 1 if effect == "deny" else 0, effect)


AUTHORING = Authoring(standing)
