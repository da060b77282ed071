"""``matches`` takes time linear in the text for every pattern the subset accepts.

The bound checked here (10 ms for 10,000 characters) is about a hundred times what RE2 needs,
so it fails only for super-linear matching (a backtracking engine takes hours on some of these
patterns), not because the machine is busy.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import InputError
from finpolicy.rules.conditions import Compare
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.patterns import MAX_MATCH_TEXT, PatternError, PatternSet, compile_pattern

BOUND_SECONDS = 0.010

atoms = st.sampled_from(["a", "b", "_", ".", "[ab]", "[^a]", "\\d", "\\w", "\\s", "\\.", "身"])
quantifiers = st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,32}", "{0,5}"])


def _patterns(depth: int) -> st.SearchStrategy[str]:
    piece = st.tuples(atoms, quantifiers).map("".join)
    if depth == 0:
        return st.lists(piece, min_size=1, max_size=4).map("".join)
    inner = _patterns(depth - 1)
    group = st.tuples(st.lists(inner, min_size=1, max_size=3).map("|".join),
                      quantifiers).map(lambda t: f"({t[0]}){t[1]}")
    return st.lists(piece | group, min_size=1, max_size=4).map("".join)


PATHOLOGICAL = ["(a+)+b", "(a|aa)*c", "(a*)*b", "(.*a){20}", "(a|a)*b", "([ab]*a[ab]{32})*",
                ".*.*.*.*.*.*_", "(\\w+\\s?)+@", "(a?){32}a{32}"]


def _adversarial(pattern: str) -> list[str]:
    """10,000-character texts that make backtracking engines explode: long runs of what the
    pattern consumes, then a character it does not expect."""
    chars = [c for c in pattern if c.isalnum() or c in "_ "] or ["a"]
    n = MAX_MATCH_TEXT
    return ["a" * (n - 1) + "!", (chars[0] * n)[:n], ("ab" * n)[: n - 1] + "=",
            "".join(chars[i % len(chars)] for i in range(n - 1)) + "\n"]


def _best_of_three(work: object) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_known_pathological_patterns_match_long_values_in_linear_time(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    for text in _adversarial(pattern):
        assert _best_of_three(lambda t=text: compiled.fullmatch(t)) < BOUND_SECONDS, pattern


@settings(max_examples=150, deadline=None)
@given(_patterns(depth=3))
def test_any_accepted_pattern_matches_an_adversarial_value_within_the_bound(pattern: str) -> None:
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        assume(False)
        return
    together = PatternSet([compiled, compile_pattern(".*a.*a.*")])
    for text in _adversarial(pattern):
        assert _best_of_three(lambda t=text: compiled.fullmatch(t)) < BOUND_SECONDS, pattern
        assert _best_of_three(lambda t=text: together.match(t)) < BOUND_SECONDS, pattern


def test_the_subset_bounds_pattern_size_and_repetition() -> None:
    with pytest.raises(PatternError, match="at most 1,000"):
        compile_pattern("a" * 1001)
    with pytest.raises(PatternError, match="too large"):
        compile_pattern("((a{32}){32}){32}")
    with pytest.raises(PatternError):
        compile_pattern("a{1,33}")


@pytest.mark.parametrize("engine", [CompiledEvaluator, DurableEvaluator])
def test_texts_longer_than_the_cap_are_refused_under_matches_on_both_engines(
    engine: type,
) -> None:
    ruleset = RuleSet("long", (Rule("any", Compare("matches", ("name",), ".*")),
                               Rule("eq", Compare("eq", ("other",), "x"))))
    evaluator = engine(ruleset)
    assert evaluator.matches({"name": "n" * MAX_MATCH_TEXT}) == (0,)
    with pytest.raises(InputError) as info:
        evaluator.matches({"name": "n" * (MAX_MATCH_TEXT + 1)})
    assert info.value.problems[0].code == "text_too_long"
    assert info.value.problems[0].path == "name"
    # a long text no pattern reads is fine
    assert evaluator.matches({"other": "x" * 100_000}) == ()
