"""Invariants declared in policy documents, parsed like rule conditions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from finpolicy.rules.conditions import ALWAYS, Condition

DECISION_FIELDS: Mapping[str, str] = {
    "decision.outcome": "text",
    "decision.obligations": "list",
    "decision.rules": "list",
}


@attrs.frozen(slots=True)
class Invariant:
    """A parsed invariant: for every input where ``given`` holds, ``expect`` holds too."""

    name: str
    given: Condition
    expect: Condition
    cite: str | None = None


def parse_invariants(specs: Sequence[Any], ctx: Any, fields: Mapping[str, str],
                     extra_fields: Mapping[str, str] | None = None) -> tuple[Invariant, ...]:
    """Parse ``spec.invariants``; problems go to ``ctx`` like those of rules."""
    vocabulary = {**fields, **DECISION_FIELDS, **(extra_fields or {})}
    parser = ctx.parser_factory(vocabulary)
    out = []
    for i, spec in enumerate(specs):
        where = ("spec", "invariants", i)
        given = ALWAYS if spec.given is None else parser.parse(spec.given, (*where, "given"))
        expect = parser.parse(spec.expect, (*where, "expect"))
        if spec.cite and spec.cite.split()[0] not in ctx.metadata.source_ids():
            ctx.problem(("invariants", i, "cite"), f"cite `{spec.cite}` names no source in "
                                                   "metadata.sources", "unknown_source")
        if given is not None and expect is not None:
            out.append(Invariant(spec.name, given, expect, spec.cite))
    ctx.problems.extend(parser.problems)
    return tuple(out)
