"""How consent rules compete, for ``finpolicy lint`` (``finpolicy.rules.precedence``)."""

from __future__ import annotations

from finpolicy.rules.model import Rule
from finpolicy.rules.precedence import Authoring, Standing, deny_overrides

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
    return deny_overrides(rule)


AUTHORING = Authoring(standing)
