"""The names and ids access rules compare facts with, checked when the policy is built.

A rule whose literal no input can carry never fires, and nothing says so: a deny rule
``{field: request.purpose, eq: markting}`` validated and left marketing open. So:

- an action, level, category or purpose must be one the policy declares (an input naming
  another action, level or category is an input error, and an undeclared purpose is
  refused by the roles' purposes anyway, so a rule on one decides nothing);
- a role that is not declared but is one edit away from a declared role (``tellr``) is
  refused as the typo it almost surely is; a role far from every declared one
  (``contractor``) is kept, since a subject may hold roles the policy does not declare and a
  deny rule may name them;
- a person's id must be written in canonical form (``u-breakglass``, not ``U-BREAKGLASS``):
  ids reach the rules canonical, so another spelling never matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from finpolicy.identity import canonical_id
from finpolicy.rules.vocabulary import hint, written_literals

__all__ = ["check_rule_literals"]

_IDS = frozenset({"subject.id", "grant.grantee", "grant.requested_by", "grant.approved_by",
                  "assignment.subject", "assignment.assigned_by", "assignment.approved_by"})
_ROLES = frozenset({"subject.roles", "assignment.role"})


def check_rule_literals(spec: Any, ctx: Any) -> None:
    """Report through ``ctx`` every literal of the access and review rules that names no
    declared action, level, category or purpose, a near-miss of a declared role, or an id
    not in canonical form."""
    declared = {"request.action": ("action", spec.actions),
                "request.purpose": ("purpose", spec.purposes),
                "resource.level": ("level", spec.levels),
                "grant.level": ("level", spec.levels),
                "resource.category": ("category", spec.categories)}
    for where, rules in (("rules", spec.rules), ("review_rules", spec.review_rules)):
        for i, rule in enumerate(rules):
            for field, op, value, at in written_literals(rule.when):
                message = None if op == "matches" else \
                    _problem(field, value, declared, spec.roles)
                if message is not None:
                    ctx.problem((where, i, "when", *at), f"`{field}`: {message}",
                                "unknown_term")


def _problem(field: str, value: str, declared: Mapping[str, tuple[str, Any]],
             roles: Any) -> str | None:
    if field in declared:
        what, names = declared[field]
        if value not in names:
            return (f"unknown {what} `{value}`: the policy declares {', '.join(names)}"
                    f"{hint(value, names)}; a rule on it would never apply")
    elif field in _ROLES and value not in roles:
        near = difflib.get_close_matches(value, list(roles), n=1, cutoff=0.8)
        if near:
            return (f"unknown role `{value}` (did you mean `{near[0]}`?): declare it under "
                    "roles if it is meant")
    elif field in _IDS and canonical_id(value) != value:
        return (f"ids reach the rules in canonical form, so `{value}` never matches: write "
                f"`{canonical_id(value)}`")
    return None
