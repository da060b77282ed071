"""Differential test: random conditions and facts give the same hits on both engines."""

from __future__ import annotations

from typing import Any

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import InputError, PolicyError
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


# --- many rules: the rule index and the split durable engine ------------------------------------

def _outcome(evaluator: Any, fact: dict[str, Any]) -> tuple[Any, ...]:
    """The hits, or the documented error (code and field) an engine refuses the fact with."""
    try:
        return ("hits", evaluator.matches(fact))
    except InputError as exc:
        return ("refused", *((p.code, p.path) for p in exc.problems))


VOCAB = ["x", "y", "z", "身份", "BJ01"]
keyed_literals = st.sampled_from(VOCAB) | st.integers(-3, 3) | st.booleans() | st.just(0.5)


@st.composite
def indexable(draw: st.DrawFn) -> Condition:
    """Rules of the shapes the index files: equality and membership on a few fields, list
    elements, numeric bands and patterns, often joined with other tests."""
    path = draw(st.sampled_from([("a",), ("b",), ("c", "d")]))
    kind = draw(st.sampled_from(["eq", "in", "contains", "band", "matches", "any_eq",
                                 "any_band"]))
    if kind == "eq":
        head: Condition = Compare("eq", path, draw(keyed_literals))
    elif kind == "in":
        head = Compare("in", path, tuple(draw(st.lists(keyed_literals, min_size=1, max_size=3))))
    elif kind == "contains":
        head = Compare("contains", ("c", "e"), draw(keyed_literals))
    elif kind == "band":
        low = draw(st.integers(-5, 20))
        head = All((Compare(draw(st.sampled_from(["ge", "gt"])), path, low),
                    Compare(draw(st.sampled_from(["le", "lt"])), path,
                            low + draw(st.integers(0, 6)))))
    elif kind == "matches":
        head = Compare("matches", path, draw(st.sampled_from(PATTERNS)))
    elif kind == "any_band":
        head = AnyOf(tuple(All((Compare("ge", path, low), Compare("le", path, low + 2)))
                           for low in draw(st.lists(st.integers(-5, 20), min_size=1,
                                                    max_size=3))))
    else:
        head = AnyOf(tuple(Compare("eq", path, v)
                           for v in draw(st.lists(keyed_literals, min_size=1, max_size=3))))
    extra = draw(st.lists(conditions(depth=1), max_size=2))
    return All((head, *extra)) if extra else head


index_facts = st.dictionaries(
    st.sampled_from([("a",), ("b",), ("c", "d"), ("c", "e")]),
    keyed_literals | st.sampled_from(TEXTS) | st.floats(-6, 27, allow_nan=False).map(
        lambda f: round(f, 1)) | st.lists(keyed_literals, max_size=4) | st.none(),
    max_size=4).map(_nest)


@settings(max_examples=60, deadline=None)
@given(st.lists(indexable() | conditions(depth=1), min_size=24, max_size=120),
       st.lists(index_facts, min_size=1, max_size=8), st.integers(1, 40))
def test_indexed_and_split_engines_agree_with_testing_every_rule(
    whens: list[Condition], fact_list: list[dict[str, Any]], chunk: int
) -> None:
    ruleset = RuleSet("many", tuple(Rule(f"r{i}", w) for i, w in enumerate(whens)))
    reference = CompiledEvaluator(ruleset, index=False)
    indexed = CompiledEvaluator(ruleset, index=True)
    try:
        durable = DurableEvaluator(ruleset, chunk_rules=chunk, index=True)
    except PolicyError as exc:
        assert {p.code for p in exc.problems} == {"durable_too_complex"}
        reject()
    for fact in fact_list:
        want = _outcome(reference, fact)
        assert _outcome(indexed, fact) == want, fact
        assert _outcome(durable, fact) == want, fact


# --- texts and numbers at the edges --------------------------------------------------------------

EDGY = ["a", "b", '"', "\\", "\t", "\n", "\x00", "\x7f", "\u2028", "é", "身", "\ud800", " "]
edgy_text = st.lists(st.sampled_from(EDGY), max_size=5).map("".join)
literal_text = st.lists(st.sampled_from([c for c in EDGY if c != "\ud800"]),
                        max_size=4).map("".join)
EDGY_PATTERNS = ["a.b", "a\\\\b", "a\\sb", "[^a]*", ".*\\\\.*", "(a|b|é)+", ".", "a[^0-9]b"]


@settings(max_examples=120, deadline=None)
@given(st.lists(literal_text, min_size=1, max_size=4), st.lists(edgy_text, min_size=1,
                                                               max_size=6))
def test_engines_agree_on_texts_with_quotes_backslashes_and_control_characters(
    literals: list[str], texts: list[str]
) -> None:
    rules = [Rule(f"eq{i}", Compare("eq", ("t",), v)) for i, v in enumerate(literals)]
    rules += [Rule("in", Compare("in", ("t",), tuple(literals))),
              Rule("has", Compare("contains", ("l",), literals[0]))]
    rules += [Rule(f"m{i}", Compare("matches", ("t",), p)) for i, p in enumerate(EDGY_PATTERNS)]
    ruleset = RuleSet("texts", tuple(rules))
    compiled, durable = CompiledEvaluator(ruleset), DurableEvaluator(ruleset)
    for text in texts:
        fact = {"t": text, "l": [text, literals[-1]]}
        assert durable.matches(fact) == compiled.matches(fact), repr(fact)


big_numbers = (st.integers(2**53 - 3, 2**53 + 3) | st.integers(2**63 - 2, 2**63 + 2)
               | st.integers(-(2**64), 2**64) | st.sampled_from([1e16, 1e20, -1e300, 2.0**53]))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["n", "m", "id"]), big_numbers, min_size=1),
       st.lists(big_numbers, max_size=3))
def test_engines_agree_or_refuse_alike_beyond_two_to_the_53(
    values: dict[str, Any], items: list[Any]
) -> None:
    ruleset = RuleSet("numbers", (
        Rule("gt", Compare("gt", ("n",), 2**53)), Rule("eq", Compare("eq", ("n",), 2**53)),
        Rule("field", Compare("ge", ("n",), FieldRef(("m",)))),
        Rule("present", Exists(("id",))), Rule("text", Compare("eq", ("id",), "x")),
        Rule("listed", Compare("contains", ("l",), 2**53))))
    fact = {**values, "l": items}
    assert _outcome(DurableEvaluator(ruleset), fact) == _outcome(CompiledEvaluator(ruleset), fact)
