"""What every kind does with its rule list: ids, cites, obligations, conditions.

A domain's rule spec extends ``RuleSpecBase`` with its effect fields; ``compile_rules`` checks
and parses the shared part once, so every kind reports the same problems with the same codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import Field

from finpolicy.documents.models import Strict
from finpolicy.documents.registry import BuildContext
from finpolicy.rules.model import Rule
from finpolicy.rules.parse import FieldTypes
from finpolicy.rules.vocabulary import literal_path

__all__ = ["NAME", "RuleSpecBase", "compile_rules"]

NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
"""Names the policies declare (obligations, events, milestones …): lower-case words joined
by ``_``."""


class RuleSpecBase(Strict):
    """What every rule has: an id, a condition, obligations, a reason and a cite."""

    id: str = Field(min_length=1, description="Unique id within the policy, named in "
                                              "decisions.")
    when: Any = Field(description="Condition over the domain's facts (a mapping: `all`, "
                                  "`any`, `not` or a comparison).")
    obligations: list[str] = Field(default_factory=list,
                                   description="Duties that come with the decision.")
    reason: str = Field(min_length=1, description="One sentence for people, shown in "
                                                  "explanations.")
    cite: str = Field(min_length=1, description="Source id and article or section, e.g. "
                                                "`nfra-2025-7 Art. 12`.")


R = TypeVar("R", bound=RuleSpecBase)


def compile_rules(specs: Sequence[R], ctx: BuildContext, *, fields: FieldTypes,
                  effect: Callable[[R], Mapping[str, Any]], where: str = "rules",
                  seen: set[str] | dict[str, tuple[str, int]] | None = None,
                  positions: Sequence[int] | None = None) -> list[tuple[R, Rule]]:
    """Check and parse ``specs`` (found at ``spec.<where>``, at ``positions`` in that list
    when they are a selection of it); report every problem through ``ctx`` and return each
    valid spec with its rule, in order.

    Checks: ids unique (across calls sharing ``seen``; a dict of id → ``(where, index)`` lets
    a repeat name the line of the first across calls), cites name a declared source and an
    article, obligations are names (declared ones, when the policy or bundle declares an
    ``obligations`` vocabulary), conditions parse over ``fields`` and compare facts a
    vocabulary covers with declared terms only.
    """
    parser = ctx.parser(fields)
    declared = ctx.vocabulary.obligations
    seen = {} if seen is None else seen
    out: list[tuple[R, Rule]] = []
    for n, spec in enumerate(specs):
        i = positions[n] if positions is not None else n
        # one id, one spelling: `Risk-Disclosure` and `risk-disclosure ` print as the same rule
        key = spec.id.strip().casefold()
        if key in seen:
            first = _first_line(ctx, seen, key, (where, i))
            ctx.problem((where, i, "id"), f"rule id `{spec.id}` is used twice (first at line "
                        f"{first}, again here; ids are compared without case)"
                        if first is not None else f"rule id `{spec.id}` is used twice (ids "
                        "are compared without case)", "duplicate_rule")
        elif spec.id != spec.id.strip() or not spec.id.isprintable():
            ctx.problem((where, i, "id"), f"rule id {spec.id!r} has spaces around it or "
                        "characters that do not print", "bad_rule_id")
        if isinstance(seen, dict):
            seen.setdefault(key, (where, i))
        else:
            seen.add(key)
        ctx.check_cite(spec.cite, (where, i, "cite"))
        for j, obligation in enumerate(spec.obligations):
            if not NAME.fullmatch(obligation):
                ctx.problem((where, i, "obligations", j), f"obligation `{obligation}` should be "
                            "lower-case words joined by `_`", "bad_obligation")
            elif declared is not None and obligation not in declared.terms:
                ctx.problem((where, i, "obligations", j), declared.unknown(obligation),
                            "unknown_term")
        when = parser.parse(spec.when, ("spec", where, i, "when"))
        if when is not None:
            for field, value, vocabulary in ctx.vocabulary.literals(when):
                at = literal_path(spec.when, field, value) or ()
                ctx.problem((where, i, "when", *at), f"`{field}`: {vocabulary.unknown(value)}",
                            "unknown_term")
            rule = Rule(spec.id, when, effect(spec), tuple(dict.fromkeys(spec.obligations)),
                        spec.reason, spec.cite)
            out.append((spec, rule))
    ctx.problems.extend(parser.problems)
    return out


def _first_line(ctx: BuildContext, seen: set[str] | dict[str, tuple[str, int]], key: str,
                here: tuple[str, int]) -> int | None:
    """The line of the first rule whose id is ``key``: where ``seen`` recorded it, else the
    earliest other rule of the spec's lists with that id (``None`` when lines are unknown)."""
    places = [seen[key]] if isinstance(seen, dict) else [
        (name, j) for name, items in _rule_lists(ctx.source.data)
        for j, item in enumerate(items)
        if (name, j) != here and isinstance(item, dict) and isinstance(item.get("id"), str)
        and item["id"].strip().casefold() == key]
    lines = ctx.source.lines
    return min((lines[("spec", *p, "id")] for p in places if ("spec", *p, "id") in lines),
               default=None)


def _rule_lists(data: Any) -> list[tuple[str, list[Any]]]:
    spec = data.get("spec") if isinstance(data, dict) else None
    if not isinstance(spec, dict):
        return []
    return [(name, items) for name, items in spec.items() if isinstance(items, list)]
