"""The compiled engine memoises by the typed values its rules read, and never confuses types."""

from __future__ import annotations

from finpolicy.engines.compiled import CACHE_PROBE, CompiledEvaluator
from tests.helpers.rulesets import ruleset_from_data

RULES = [
    {"id": "one", "when": {"field": "x", "eq": 1}},
    {"id": "yes", "when": {"field": "x", "eq": True}},
    {"id": "has_one", "when": {"field": "xs", "contains": 1}},
    {"id": "has_true", "when": {"field": "xs", "contains": True}},
]


def test_memoised_results_keep_booleans_apart_from_numbers() -> None:
    evaluator = CompiledEvaluator(ruleset_from_data("types", RULES))
    for _ in range(3):  # first a miss, then hits: the answers must not move
        assert evaluator.matches({"x": 1, "xs": [1]}) == (0, 2)
        assert evaluator.matches({"x": True, "xs": [True]}) == (1, 3)
        assert evaluator.matches({"x": 1.0, "xs": [1.0]}) == (0, 2)


def test_unhashable_and_odd_values_are_evaluated_not_cached_wrongly() -> None:
    evaluator = CompiledEvaluator(ruleset_from_data("odd", RULES))
    assert evaluator.matches({"x": {"a": 1}, "xs": [{"b": 2}, 1]}) == (2,)
    assert evaluator.matches({"x": float("nan")}) == ()
    assert evaluator.matches({"x": {"a": 2}, "xs": [{"b": 3}, True]}) == (3,)


def test_a_cache_that_rarely_hits_switches_itself_off() -> None:
    evaluator = CompiledEvaluator(ruleset_from_data("numbers",
                                                    [{"id": "big", "when": {"field": "n",
                                                                            "gt": 10}}]))
    for n in range(CACHE_PROBE + 10):
        assert evaluator.matches({"n": n}) == ((0,) if n > 10 else ())
    state = evaluator.matches.__globals__["_state"]
    assert state[0] is False
