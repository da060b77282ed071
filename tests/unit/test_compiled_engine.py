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
