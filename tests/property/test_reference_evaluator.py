"""The reference evaluator of ``rules.evaluate`` agrees with the compiled engine, and the
leaf flips ``ways`` proposes do make a condition turn out the other way."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.rules.conditions import All, Condition, Not
from finpolicy.rules.evaluate import MISSING, LeafTrace, Trace, holds, leaves, trace, ways
from finpolicy.rules.model import Rule, RuleSet
from tests.property.test_engines_agree import conditions, facts


@settings(max_examples=300, deadline=None)
@given(st.lists(conditions(), min_size=1, max_size=5), st.lists(facts, min_size=1, max_size=4))
def test_reference_evaluator_and_compiled_engine_agree(
        whens: list[Condition], fact_list: list[dict[str, Any]]) -> None:
    ruleset = RuleSet("reference", tuple(Rule(f"r{i}", w) for i, w in enumerate(whens)))
    compiled = CompiledEvaluator(ruleset)
    for fact in fact_list:
        mine = tuple(i for i, w in enumerate(whens) if holds(w, fact))
        assert mine == compiled.matches(fact), (whens, fact)


def _with_flips(node: Trace, flipped: set[int]) -> bool:
    """The tree's value when the leaves in ``flipped`` turn out the other way."""
    if isinstance(node, LeafTrace):
        return node.held != (id(node) in flipped)
    values = [_with_flips(item, flipped) for item in node.items]
    if isinstance(node.condition, Not):
        return not values[0]
    return all(values) if isinstance(node.condition, All) else any(values)


@settings(max_examples=300, deadline=None)
@given(conditions(), facts)
def test_every_way_flips_the_condition_and_none_is_larger_than_needed(
        when: Condition, fact: dict[str, Any]) -> None:
    traced = trace(when, fact)
    for want in (True, False):
        found = ways(traced, want, lambda leaf: True)
        if traced.held == want:
            assert found == [()]
            continue
        assert [len(w) for w in found] == sorted(len(w) for w in found)
        for way in found:
            flipped = {id(n.leaf) for n in way}
            assert all(n.leaf.held != n.want for n in way)
            assert _with_flips(traced, flipped) == want
            for need in way:  # minimal: no flip can be left out
                assert _with_flips(traced, flipped - {id(need.leaf)}) != want


def test_leaves_record_the_values_they_saw() -> None:
    from finpolicy.rules.conditions import Compare, Exists, FieldRef

    when = All((Compare("gt", ("product", "rank"), FieldRef(("customer", "rank"))),
                Exists(("sale", "amount"))))
    traced = trace(when, {"product": {"rank": 4}, "customer": {"rank": 3}})
    first, second = leaves(traced)
    assert (first.held, first.value, first.other) == (True, 4, 3)
    assert (second.held, second.value) == (False, MISSING)
    assert not traced.held
