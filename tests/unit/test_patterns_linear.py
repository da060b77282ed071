"""``matches`` takes time linear in the text for every pattern the subset accepts.

RE2 matches in time proportional to the text times the size of the pattern's automaton; the
subset bounds that size (``MAX_PROGRAM`` instructions), so the cost per character is bounded
whatever the pattern and the text. These tests state that without timing anything: every
accepted pattern's automaton is within the bound, the patterns that make backtracking engines
take hours are accepted and small, and matching several patterns at once gives the answers
of matching each alone, also when RE2's set matcher runs out of memory (it then answers
"none", which must not be taken for a real "none"). How long the slowest such match takes is
measured by the benchmark (``python benchmarks/run.py --only patterns``).
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import InputError
from finpolicy.rules.conditions import Compare
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.patterns import (
    MAX_MATCH_TEXT,
    MAX_PROGRAM,
    PatternError,
    PatternSet,
    compile_pattern,
)

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


def _size(pattern: str) -> int:
    return int(compile_pattern(pattern)._compiled.ProgramSize())


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_patterns_that_make_backtracking_explode_are_small_automata(pattern: str) -> None:
    assert _size(pattern) <= MAX_PROGRAM


@settings(max_examples=150, deadline=None)
@given(_patterns(depth=3))
def test_every_accepted_pattern_is_an_automaton_within_the_bound(pattern: str) -> None:
    try:
        size = _size(pattern)
    except PatternError as exc:
        assert "too large" in str(exc) or "repetition" in str(exc) or "position" in str(exc)
        return
    assert size <= MAX_PROGRAM


def test_a_pattern_whose_automaton_is_too_large_is_refused_saying_so() -> None:
    with pytest.raises(PatternError, match=r"automaton has 3,\d{3} instructions \(at most 1,000\)"):
        compile_pattern("(((a{1,32}a{1,32})){0,5}){0,5}")


@settings(max_examples=100, deadline=None)
@given(st.lists(_patterns(depth=2), min_size=1, max_size=4), st.data())
def test_a_set_of_patterns_answers_as_each_pattern_alone(sources: list[str],
                                                         data: st.DataObject) -> None:
    patterns = []
    for source in sources:
        try:
            patterns.append(compile_pattern(source))
        except PatternError:
            continue
    assume(patterns)
    together = PatternSet(patterns)
    for text in [*_adversarial("".join(sources)), data.draw(st.text("ab_.1 身", max_size=40))]:
        alone = [i for i, p in enumerate(patterns) if p.fullmatch(text)]
        assert sorted(together.match(text)) == alone


class _OutOfMemory:
    """RE2's set matcher as it answers when its automaton runs out of memory: no match."""

    def Match(self, text: bytes) -> list[int]:  # RE2's spelling
        return []


def test_a_set_matcher_out_of_memory_is_not_taken_for_no_match() -> None:
    patterns = [compile_pattern("a{1,32}_"), compile_pattern("a*_"), compile_pattern("b")]
    together = PatternSet(patterns)
    text = "a" * 20 + "_"
    assert sorted(together.match(text)) == [0, 1]
    together._set = _OutOfMemory()
    assert together.match(text) == [0, 1]  # matched one pattern at a time instead
    assert together.match("c") == []


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
