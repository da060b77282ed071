"""The suitability peer: the cn-banking suitability rules as a GoRules ZEN decision table.

The table is generated from the loaded policy (``zen_table``), not written by hand: one row
per rule, its condition translated from finpolicy's condition language into a ZEN expression
(missing values compare as finpolicy's do: ``ne`` and ``not_in`` need a value, ordered
comparisons need numbers), the rows ordered most restrictive outcome first under hit policy
*first*, so the first hit is the combined outcome (most-restrictive-wins), and a last row with
the outcome of no hit. ZEN is called through ``ZenEngine.evaluate`` with a loader.

What is compared: the *outcome* (suitable, conditional, unsuitable), not the hits or the
obligations. ZEN receives the facts the rules read — levels as ranks, age, assessment age and
counts, derived by finpolicy's fact builders once per customer and per product (finpolicy
caches them per instance too) — so the date arithmetic is not timed on ZEN's side; it
evaluates the rules and their combination. The workload is ``run.suitability_inputs`` (200
customers × 50 products, some assessments expired, some customers 65 and over, no amount and
no sale context); every pair must get the same outcome from both before anything is timed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from harness import Measurement

import finpolicy as fp
from finpolicy.domains.suitability.evaluate import (
    _sale_fact,
    customer_facts,
    policy_in_force,
    product_facts,
)
from finpolicy.domains.suitability.models import OUTCOMES
from finpolicy.domains.suitability.policy import RULESET, SuitabilityRules
from finpolicy.rules import conditions as cond

_ORDERED = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _literal(value: Any) -> str:
    """A scalar (or tuple of scalars) in ZEN's expression syntax."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(value)  # strings, numbers, true/false: the same spelling in ZEN


def _compare(node: cond.Compare) -> str:
    path = node.dotted
    if isinstance(node.value, cond.FieldRef):
        other = node.value.dotted
        if node.op in _ORDERED:
            return (f"(type({path}) == 'number' and type({other}) == 'number' and "
                    f"{path} {_ORDERED[node.op]} {other})")
        equal = f"(type({path}) == type({other}) and {path} == {other})"
        return equal if node.op == "eq" else (
            f"({path} != null and {other} != null and not {equal})")
    value = _literal(node.value)
    if node.op == "eq":
        return f"{path} == {value}"
    if node.op == "ne":
        return f"({path} != null and {path} != {value})"
    if node.op == "in":
        return f"{path} in {value}"
    if node.op == "not_in":
        return f"({path} != null and not ({path} in {value}))"
    if node.op == "contains":
        return f"(type({path}) == 'array' and contains({path}, {value}))"
    if node.op in _ORDERED:
        return f"(type({path}) == 'number' and {path} {_ORDERED[node.op]} {value})"
    raise ValueError(f"no ZEN form for the operator `{node.op}`")


def zen_expression(node: cond.Condition) -> str:
    """``node`` as a boolean ZEN expression with finpolicy's semantics for missing values."""
    if isinstance(node, cond.Compare):
        return _compare(node)
    if isinstance(node, cond.Exists):
        return f"{node.dotted} {'!=' if node.present else '=='} null"
    if isinstance(node, cond.Not):
        return f"not ({zen_expression(node.item)})"
    if isinstance(node, cond.All | cond.Any):
        if not node.items:
            return "true" if isinstance(node, cond.All) else "false"
        joiner = " and " if isinstance(node, cond.All) else " or "
        return "(" + joiner.join(zen_expression(item) for item in node.items) + ")"
    raise ValueError(f"no ZEN form for {type(node).__name__}")


def zen_table(rules: SuitabilityRules) -> str:
    """The policy's rules as one JDM decision table whose first hit is the combined outcome."""
    severity = {name: i for i, name in enumerate(OUTCOMES)}
    ordered = sorted(rules.rulesets[RULESET].rules,
                     key=lambda rule: -severity[rule.effect["outcome"]])
    rows = [{"_id": rule.id, "when": zen_expression(rule.when),
             "outcome": json.dumps(rule.effect["outcome"])} for rule in ordered]
    rows.append({"_id": "no-hit", "when": "", "outcome": json.dumps(OUTCOMES[0])})
    column = {"type": "expression"}
    table = {"hitPolicy": "first",
             "inputs": [{**column, "id": "when", "name": "when"}],
             "outputs": [{**column, "id": "outcome", "name": "outcome", "field": "outcome"}],
             "rules": rows}
    position = {"x": 0, "y": 0}
    return json.dumps({
        "nodes": [{"id": "in", "type": "inputNode", "name": "request", "position": position},
                  {"id": "suitability", "type": "decisionTableNode", "name": "suitability",
                   "position": position, "content": table},
                  {"id": "out", "type": "outputNode", "name": "response", "position": position}],
        "edges": [{"id": "e1", "type": "edge", "sourceId": "in", "targetId": "suitability"},
                  {"id": "e2", "type": "edge", "sourceId": "suitability", "targetId": "out"}]})


def zen_facts(rules: SuitabilityRules, pairs: list[tuple[Any, Any, dt.date]]
              ) -> list[dict[str, Any]]:
    """ZEN's input per pair: the facts finpolicy's rules read, derived by its fact builders
    (once per customer and product, as finpolicy caches them)."""
    out = []
    for customer, product, on in pairs:
        cf = customer_facts(rules, customer, on)
        p = product_facts(rules, product, "product")
        out.append({"customer": cf.customer, "assessment": cf.assessment, "product": p,
                    "sale": _sale_fact(cf, p, None, False, False)})
    return out


def zen_decide(rules: SuitabilityRules) -> Any:
    """``decide(facts) -> outcome`` through ``ZenEngine.evaluate`` with a loader."""
    import zen

    content = zen_table(rules)
    engine = zen.ZenEngine({"loader": lambda key: content})

    def decide(facts: dict[str, Any]) -> str:
        return str(engine.evaluate("suitability", facts)["result"]["outcome"])

    return decide


def bench_suitability_peers(console: Any, pairs: list[tuple[Any, Any, dt.date]],
                            rounds: int) -> list[Measurement]:
    """Dict floor, finpolicy compiled and durable, ZEN: same outcomes first, then timed."""
    import peers
    import sweep

    section, name = "suitability peers", f"check_suitability outcome ({len(pairs):,} pairs)"
    console.log(f"suitability peers: {len(pairs):,} customer × product pairs")
    sides: dict[str, tuple[Any, list[Any]]] = {}
    truth: list[str] = []
    bundle = fp.load_bundle()
    for engine_name in ("compiled", "durable"):
        engine = fp.PolicyEngine(bundle, engine=engine_name)
        outcomes = [engine.check_suitability(c, p, as_of=on).outcome for c, p, on in pairs]
        truth = truth or outcomes
        _check(engine_name, outcomes, truth)
        sides[engine_name] = (lambda x, e=engine: e.check_suitability(x[0], x[1], as_of=x[2]),
                              pairs if engine_name == "compiled" else pairs[: len(pairs) // 4])
    keys = [(c.id, p.id, on) for c, p, on in pairs]
    table = dict(zip(keys, truth, strict=True))
    sides = {"dict lookup (floor)": (table.__getitem__, keys), **sides}
    notes = {"dict lookup (floor)": "a precomputed outcome per pair",
             "durable": "same outcomes"}
    if peers.available("zen"):
        rules = policy_in_force(fp.PolicyEngine(bundle).runtime, pairs[0][2], None).policy
        decide, facts = zen_decide(rules), zen_facts(rules, pairs)
        _check("zen", [decide(f) for f in facts], truth)
        sides["zen"] = (decide, facts[:5_000])
        notes["zen"] = "same outcomes; input: finpolicy's derived facts, prepared before timing"
    else:
        console.log("not installed (pip install '.[bench]'): zen")
    rates = sweep.interleaved(sides, rounds=rounds)
    floor = rates["dict lookup (floor)"]
    rows = []
    for side, rate in rates.items():
        note = notes.get(side, "")
        if side != "dict lookup (floor)":
            note = f"{note}; {floor / rate:.0f}× the floor".lstrip("; ")
        rows.append(Measurement(section, name, side, rate, note=note))
    return rows


def _check(who: str, outcomes: list[str], truth: list[str]) -> None:
    if outcomes != truth:
        differ = sum(a != b for a, b in zip(outcomes, truth, strict=True))
        raise SystemExit(f"suitability peers: {who} differs from finpolicy compiled on "
                         f"{differ} pairs")
