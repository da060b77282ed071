"""Differential test: random conditions and facts give the same hits on both engines."""

from __future__ import annotations

from typing import Any

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import PolicyError
from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import Rule, RuleSet

PATHS = [("a",), ("b",), ("c", "d"), ("c", "e")]
TEXTS = ["", "x", "xy", "身份", "BJ01", "id_no"]
NUMBERS = [-2, 0, 1, 1.5, 3, 2**31]
PATTERNS = ["x.*", "(id|身份)(_no)?", "[a-z]+", "\\d+", "B.01"]

texts = st.sampled_from(TEXTS)
numbers = st.sampled_from(NUMBERS) | st.integers(-5, 5) | st.floats(-10, 10, allow_nan=False,
                                                                      width=32).map(float)
scalars = texts | numbers | st.booleans()
values = scalars | st.none() | st.lists(scalars, max_size=3)


def _nest(flat: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    fact: dict[str, Any] = {}
    for path, value in flat.items():
        node = fact
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return fact


facts = st.dictionaries(st.sampled_from(PATHS), values, max_size=4).map(_nest)
paths = st.sampled_from(PATHS)


def _safe_literal(value: float | int | str | bool) -> bool:
    # rule literals are written by durable as plain JSON numbers (no exponent)
    return not isinstance(value, float) or "e" not in repr(value)


literals = scalars.filter(_safe_literal)


@st.composite
def atoms(draw: st.DrawFn, under_not: bool) -> Condition:
    op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains",
                               "exists", "field", "matches"]))
    path = draw(paths)
    if op == "exists":
        return Exists(path, draw(st.booleans()))
    if op == "field":
        return Compare(draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"])), path,
                       FieldRef(draw(paths)))
    if op in ("lt", "le", "gt", "ge"):
        return Compare(op, path, draw(numbers.filter(_safe_literal)))
    if op in ("in", "not_in"):
        return Compare(op, path, tuple(draw(st.lists(literals, min_size=1, max_size=3))))
    if op == "matches" and not under_not:
        return Compare(op, path, draw(st.sampled_from(PATTERNS)))
    if op == "matches":
        op = "eq"
    return Compare(op, path, draw(literals))


def conditions(depth: int = 2, negated: bool = False) -> st.SearchStrategy[Condition]:
    # `matches` may appear only where it is not negated (the language forbids it)
    leaf = atoms(under_not=negated)
    if depth == 0:
        return leaf
    sub = conditions(depth - 1, negated)
    return st.one_of(
        leaf,
        st.lists(sub, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(sub, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        conditions(depth - 1, not negated).map(Not),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(conditions(), min_size=1, max_size=5), st.lists(facts, min_size=1, max_size=6))
def test_compiled_and_durable_engines_return_the_same_hits(
    whens: list[Condition], fact_list: list[dict[str, Any]]
) -> None:
    ruleset = RuleSet("differential", tuple(Rule(f"r{i}", w) for i, w in enumerate(whens)))
    compiled = CompiledEvaluator(ruleset)
    try:
        durable = DurableEvaluator(ruleset)
    except PolicyError as exc:  # a documented limit of the durable engine, not a disagreement
        assert {p.code for p in exc.problems} == {"durable_too_complex"}
        reject()
    for fact in fact_list:
        assert durable.matches(fact) == compiled.matches(fact), (whens, fact)
