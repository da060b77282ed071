"""The names classification rules compare facts with, checked when the policy is built.

Field names reach the rules normalised (``Contact-Phone`` is ``contact_phone``) and tags in
lower case, so a rule written with another spelling — ``eq: ID_NUMBER``, ``matches:
"ZZ_SECRET.*"`` — never matches and the field falls to the default level, with nothing said;
a rule on a detector finpolicy does not have never holds either (one the policy does not
run is a choice: ``content.detectors`` turns detectors off, and their rules with them).
"""

from __future__ import annotations

from typing import Any

from finpolicy.domains.classification.names import normalise_name
from finpolicy.domains.detectors import DETECTORS
from finpolicy.identity import clean_term
from finpolicy.rules.vocabulary import hint, written_literals

__all__ = ["check_rule_literals"]


def check_rule_literals(spec: Any, ctx: Any) -> None:
    """Report through ``ctx`` every literal of the rules that no field can carry."""
    for i, rule in enumerate(spec.rules):
        for field, op, value, at in written_literals(rule.when):
            message = _problem(field, op, value)
            if message is not None:
                ctx.problem(("rules", i, "when", *at), f"`{field}`: {message}", "unknown_term")


def _problem(field: str, op: str, value: str) -> str | None:
    if field == "field.name" and op == "matches":
        if _upper_outside_classes(value):
            return (f"field names reach the rules in lower case, so the pattern `{value}` "
                    "never matches a capital letter: write it in lower case")
    elif field == "field.name" and normalise_name(value) != value:
        return (f"field names reach the rules normalised, so `{value}` never matches: write "
                f"`{normalise_name(value)}`")
    elif field == "field.tags" and op != "matches" and clean_term(value).lower() != value:
        return (f"tags reach the rules in lower case, so `{value}` never matches: write "
                f"`{clean_term(value).lower()}`")
    elif field == "detected" and op != "matches" and value not in DETECTORS:
        return f"`{value}` is no detector finpolicy has{hint(value, sorted(DETECTORS))}"
    return None


def _upper_outside_classes(pattern: str) -> bool:
    """Whether ``pattern`` has a capital letter that is a literal character: not escaped
    (``\\S``), not in a character class (``[A-Za-z]``)."""
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char.isascii() and char.isupper():
            return True
    return False
