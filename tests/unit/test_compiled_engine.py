"""The compiled engine never confuses types, indexed or not."""

from __future__ import annotations

import pytest

from finpolicy.engines.compiled import CompiledEvaluator
from tests.helpers.rulesets import ruleset_from_data

RULES = [
    {"id": "one", "when": {"field": "x", "eq": 1}},
    {"id": "yes", "when": {"field": "x", "eq": True}},
    {"id": "has_one", "when": {"field": "xs", "contains": 1}},
    {"id": "has_true", "when": {"field": "xs", "contains": True}},
]


@pytest.mark.parametrize("index", [False, True])
def test_repeated_facts_keep_booleans_apart_from_numbers(index: bool) -> None:
    evaluator = CompiledEvaluator(ruleset_from_data("types", RULES), index=index)
    for _ in range(3):  # the answers must not move between calls
        assert evaluator.matches({"x": 1, "xs": [1]}) == (0, 2)
        assert evaluator.matches({"x": True, "xs": [True]}) == (1, 3)
        assert evaluator.matches({"x": 1.0, "xs": [1.0]}) == (0, 2)


@pytest.mark.parametrize("index", [False, True])
def test_unhashable_and_odd_values_are_evaluated_not_looked_up_wrongly(index: bool) -> None:
    evaluator = CompiledEvaluator(ruleset_from_data("odd", RULES), index=index)
    assert evaluator.matches({"x": {"a": 1}, "xs": [{"b": 2}, 1]}) == (2,)
    assert evaluator.matches({"x": float("nan")}) == ()
    assert evaluator.matches({"x": {"a": 2}, "xs": [{"b": 3}, True]}) == (3,)


def test_distinct_megabyte_texts_leave_no_memory_behind() -> None:
    import tracemalloc

    evaluator = CompiledEvaluator(ruleset_from_data("texts", [
        {"id": "labelled", "when": {"field": "label", "eq": "x"}},
        {"id": "pattern", "when": {"field": "name", "matches": "x.*"}},
    ]))
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for i in range(50):
            fact = {"label": f"{i:04d}" + "y" * 1_000_000, "name": f"{i:04d}" + "z" * 9_000}
            assert evaluator.matches(fact) == ()
            del fact
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000, f"{grown:,} bytes kept after 50 one-megabyte inputs"


@pytest.mark.parametrize("engine", ["compiled", "durable"])
def test_conditions_built_in_python_deeper_than_the_cap_are_a_policy_error(engine: str) -> None:
    from finpolicy.engines import make_evaluator
    from finpolicy.errors import PolicyError
    from finpolicy.rules.conditions import Compare, Not
    from finpolicy.rules.model import Rule, RuleSet

    cond = Compare("eq", ("x",), 1)
    for _ in range(500):
        cond = Not(cond)
    with pytest.raises(PolicyError) as info:
        make_evaluator(RuleSet("deep", (Rule("deep", cond),)), engine)
    assert [p.code for p in info.value.problems] == ["condition_depth"]
