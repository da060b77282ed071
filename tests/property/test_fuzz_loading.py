"""Fuzzing as tests: the YAML loader and the condition parser only ever return a result or
raise finpolicy's documented errors, whatever they are given."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.yamlsource import MAX_DEPTH, SourceDocument, iter_paths, parse_yaml
from finpolicy.engines import check_bundle
from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import PolicyError
from finpolicy.rules.conditions import Condition
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.parse import MAX_CONDITION_DEPTH, ConditionParser

# Pieces of YAML (and of attacks on YAML loaders) that random texts are assembled from.
TOKENS = ["a", "b:", ": ", " ", "  ", "\n", "- ", "-", "[", "]", "{", "}", ", ", "&x ", "*x",
          "&y ", "*y", "!!set ", "!!binary ", "!!timestamp ", "!!omap ", "!!python/object:os.x ",
          "!custom ", "!!str ", "!!int ", "!!float ", "! ", ".nan", ".inf", "-.inf", "1" * 25,
          "0x" + "f" * 20, "1:30", "0o17", "1_000", "1.5e+400", "<<: ", "? ", "---\n", "...\n",
          "'", '"', "\\", "yes", "~", "null", "#c", "|\n", ">\n", "%YAML 1.1\n", "\t", "\x00",
          "2026-01-01", "é", "身份", "\u2028", "\ufeff"]

printable = st.characters(exclude_categories=("Cs", "Cc"), max_codepoint=0x2FFF)
yaml_texts = st.lists(st.sampled_from(TOKENS) | st.text(printable, max_size=4),
                      max_size=40).map("".join)

PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any, depth: int = 0) -> bool:
    """Only the plain types, finite numbers, scalar keys, within the nesting cap."""
    if depth > MAX_DEPTH + 1:
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, PLAIN) and _plain(v, depth + 1) for k, v in value.items())
    return False


@settings(max_examples=600, deadline=None)
@given(yaml_texts)
def test_the_yaml_loader_returns_plain_data_or_a_yaml_error(text: str) -> None:
    try:
        doc = parse_yaml(text, "fuzz.yaml")
    except yaml.YAMLError as exc:
        event(f"refused: {getattr(exc, 'code', type(exc).__name__)}")
        return
    event("loaded")
    assert _plain(doc.data)
    for path in iter_paths(doc.data):
        line = doc.line_of(path)
        breaks = sum(text.count(c) for c in "\n\r\x85\u2028\u2029")  # YAML 1.1 line breaks
        assert line is not None and 1 <= line <= breaks + 1


scalars = (st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
           | st.integers(-(10**18), 10**18) | st.booleans() | st.none()
           | st.floats(allow_nan=False, allow_infinity=False))
plain_data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                          max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(plain_data, st.booleans())
@example({"\x85": None, " ": None}, False)
def test_plain_data_loads_as_pyyaml_safe_load_reads_it(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    read = yaml.safe_load(text)
    if read != data:  # PyYAML's dump does not read back: a NEL (\x85) in a plain key folds
        # to a space, so {'\x85': .., ' ': ..} reads as one key given twice, which the loader
        # refuses where PyYAML keeps the last
        event("PyYAML does not read its own dump back")
        try:
            loaded = parse_yaml(text, "f.yaml").data
        except yaml.YAMLError as exc:
            assert getattr(exc, "code", None) == "duplicate_key", exc
            return
        assert loaded == read
        return
    assert parse_yaml(text, "f.yaml").data == read


# --- the condition parser -----------------------------------------------------------------------

FIELDS = ["a", "b", "c.d", "c.e"]
keys = st.sampled_from(["all", "any", "not", "field", "eq", "ne", "lt", "le", "gt", "ge", "in",
                        "not_in", "matches", "contains", "exists", "regex", "bogus", 1, True])
leaves = (st.sampled_from(FIELDS) | st.sampled_from(["x.*", "(a+)+b", "[a-", "\\d{3}", "身份.*",
                                                     "(?:x)", "a{1,99}", ""])
          | st.integers() | st.floats() | st.booleans() | st.none() | st.text(max_size=6)
          | st.just(10**400) | st.just("." * 2000))
cond_data = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(keys, inner, max_size=3), max_leaves=20)


def _well_formed() -> st.SearchStrategy[Any]:
    """Mostly valid conditions, so the parser's acceptance path is exercised too."""
    atom = st.fixed_dictionaries({"field": st.sampled_from(FIELDS)}).flatmap(
        lambda d: st.sampled_from(
            [{"eq": 1}, {"ne": "x"}, {"ge": 2.5}, {"in": ["x", 1, True]}, {"not_in": [2]},
             {"contains": "r"}, {"exists": True}, {"matches": "x.*"}, {"lt": 2**53}]
        ).map(lambda op: {**d, **op}))
    return st.recursive(atom, lambda inner: st.lists(inner, max_size=3).map(lambda xs: {"all": xs})
                        | st.lists(inner, max_size=3).map(lambda xs: {"any": xs})
                        | inner.map(lambda x: {"not": x}), max_leaves=12)


def _parse(data: Any) -> tuple[Condition | None, ConditionParser]:
    parser = ConditionParser(SourceDocument("fuzz.yaml", {"when": data}, {}))
    return parser.parse(data, ("when",)), parser


@settings(max_examples=500, deadline=None)
@given(cond_data | _well_formed())
def test_the_condition_parser_returns_a_condition_or_problems(data: Any) -> None:
    cond, parser = _parse(data)
    event("accepted" if cond is not None else "refused")
    assert (cond is None) == bool(parser.problems)
    for problem in parser.problems:
        assert problem.file == "fuzz.yaml" and problem.message and problem.code


@settings(max_examples=120, deadline=None)
@given(_well_formed() | cond_data)
def test_every_condition_the_parser_accepts_compiles_on_both_engines(data: Any) -> None:
    cond, _ = _parse(data)
    event("accepted" if cond is not None else "refused")
    if cond is None:
        return
    ruleset = RuleSet("fuzz", (Rule("r", cond),))
    CompiledEvaluator(ruleset).matches({"a": 1, "c": {"d": "x"}})
    try:
        DurableEvaluator(ruleset).matches({"a": 1, "c": {"d": "x"}})
    except PolicyError as exc:  # a documented limit of the durable engine
        assert {p.code for p in exc.problems} == {"durable_too_complex"}


def test_nesting_beyond_the_cap_is_a_problem_not_a_recursion_error() -> None:
    data: Any = {"field": "a", "eq": 1}
    for _ in range(200):
        data = {"not": data}
    cond, parser = _parse(data)
    assert cond is None and [p.code for p in parser.problems] == ["condition_depth"]
    data = {"field": "a", "eq": 1}
    for _ in range(MAX_CONDITION_DEPTH):
        data = {"all": [data]}
    assert _parse(data)[0] is not None


# --- whole documents ----------------------------------------------------------------------------

def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*path, i))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in data.items()}
    return [_replace(v, rest, value) if i == head else v for i, v in enumerate(data)]


SHIPPED = sorted((shipped_packs() / "cn-banking").glob("*.yaml"))
odd_values = plain_data | st.sampled_from([[], {}, "", -1, 0, 10**18, 1e300, "身份", "x" * 300,
                                           {"field": "x", "eq": 1}, [{"any": []}]])


def _variants(original: Any) -> st.SearchStrategy[Any]:
    """Mostly a value of the same shape (so the schema often still accepts it), sometimes
    anything."""
    if isinstance(original, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(original, int | float):
        same = st.sampled_from([0, -1, 1, 0.5, 2**53, -(2**53), 10**18, 1e300, 1e-300, 365])
    elif isinstance(original, str):
        same = st.sampled_from(["", " ", "x", original + "x", original.upper(), "身份证",
                                "a" * 500, "2026-02-30", "9999-12-31", "1.0.0", "-1"])
    elif isinstance(original, list):
        same = st.sampled_from([[], original + original, original[:1], original[::-1]])
    elif isinstance(original, dict):
        keys = list(original)
        same = st.sampled_from([{}, {**original, "extra": 1}]
                               + [{k: v for k, v in original.items() if k != key}
                                  for key in keys])
    else:
        same = st.none()
    return st.one_of(same, same, same, odd_values)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(st.sampled_from([f for f in SHIPPED if f.name != "bundle.yaml"]), st.data())
def test_a_mutated_shipped_document_loads_or_raises_a_policy_error(file: Any, data: Any) -> None:
    import tempfile
    from pathlib import Path

    import finpolicy as fp

    source = yaml.safe_load(file.read_text(encoding="utf-8"))
    # deep inside the spec, where a mutation often still passes the schema and reaches the
    # domain's build
    path = data.draw(st.sampled_from([p for p in _paths(source) if p[:1] == ("spec",)
                                      and len(p) >= 3]))
    original: Any = source
    for key in path:
        original = original[key]
    mutated = _replace(source, path, data.draw(_variants(original)))
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder)
        (pack / "bundle.yaml").write_text("name: fuzz\nversion: 1.0.0\n", encoding="utf-8")
        (pack / file.name).write_text(yaml.safe_dump(mutated, allow_unicode=True),
                                      encoding="utf-8")
        try:
            bundle = fp.load_bundle(pack)
        except fp.PolicyError as exc:
            event("refused")
            assert all(p.file.endswith(file.name) or p.file == str(pack) for p in exc.problems)
            return
        event("loaded")
        check_bundle(bundle)
