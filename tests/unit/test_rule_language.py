"""The rule language: parsing with located errors, patterns, and rendering in words."""

from __future__ import annotations

import pytest

from finpolicy.documents.yamlsource import parse_yaml
from finpolicy.rules.conditions import All, Any, Compare, Exists, FieldRef, Not
from finpolicy.rules.parse import ConditionParser
from finpolicy.rules.patterns import PatternError, compile_pattern
from finpolicy.rules.render import render

FIELDS = {"customer.age": "number", "customer.kind": "text", "product.rank": "number",
          "customer.rank": "number", "roles": "list", "name": "text", "consent": "boolean"}


def _parse(text: str, fields: dict | None = FIELDS):
    source = parse_yaml(text, "policy.yaml")
    parser = ConditionParser(source, fields)
    return parser.parse(source.data["when"], ("when",)), parser.problems


def test_parses_nested_conditions_and_field_references() -> None:
    cond, problems = _parse("""
when:
  all:
    - {field: customer.age, ge: 65}
    - any:
        - {field: product.rank, gt: {field: customer.rank}}
        - not: {field: roles, contains: teller}
    - {field: consent, exists: true}
""")
    assert not problems
    assert cond == All((
        Compare("ge", ("customer", "age"), 65),
        Any((Compare("gt", ("product", "rank"), FieldRef(("customer", "rank"))),
             Not(Compare("contains", ("roles",), "teller")))),
        Exists(("consent",), True),
    ))


def test_misspelt_operator_is_named_with_line_and_suggestion() -> None:
    _, (problem,) = _parse("when:\n  all:\n    - {field: customer.age, gte: 65}\n")
    assert (problem.file, problem.line, problem.path) == ("policy.yaml", 3, "when.all[0].gte")
    assert problem.message == ("unknown operator `gte` (did you mean `ge`?); valid: all, any, "
                               "not, field, exists, eq, ne, lt, le, gt, ge, in, not_in, "
                               "matches, contains")
    assert problem.code == "unknown_operator"


def test_unknown_field_is_named_with_suggestion() -> None:
    _, (problem,) = _parse("when: {field: customer.agee, ge: 65}\n")
    assert problem.message == "unknown field `customer.agee` (did you mean `customer.age`?)"


def test_wrong_literal_type_is_reported() -> None:
    _, (problem,) = _parse("when: {field: customer.age, ge: sixty}\n")
    assert problem.message == "`ge` expects a number, got text `sixty`"
    _, (problem,) = _parse("when: {field: customer.kind, eq: 3}\n")
    assert problem.code == "type_mismatch" and "expected text" in problem.message


def test_every_problem_is_collected_not_just_the_first() -> None:
    _, problems = _parse("""
when:
  any:
    - {field: customer.age, gte: 1}
    - {field: nope, eq: 1}
    - {field: name, matches: "(unclosed"}
""")
    assert [p.line for p in problems] == [4, 5, 6]
    assert [p.code for p in problems] == ["unknown_operator", "unknown_field", "bad_pattern"]


def test_negated_matches_is_rejected_because_durable_cannot_negate_it() -> None:
    _, (problem,) = _parse("when: {not: {field: name, matches: 'id.*'}}\n")
    assert problem.code == "negated_match"
    # double negation is fine
    cond, problems = _parse("when: {not: {not: {field: name, matches: 'id.*'}}}\n")
    assert not problems and cond is not None


def test_a_number_too_small_for_durable_rules_to_read_is_refused() -> None:
    """durable_rules reads no exponent, and JSON writes 0.00001 as 1e-05: a pack with such a
    literal loaded, then the durable engine could not be built (found by the loading fuzz)."""
    for literal in ("0.00001", "1.0e-300", "-0.00003"):
        _, (problem,) = _parse(f"when: {{field: customer.age, gt: {literal}}}\n")
        assert problem.code == "bad_operand" and "too small" in problem.message
        _, (problem,) = _parse(f"when: {{field: customer.age, in: [1, {literal}]}}\n")
        assert problem.code == "bad_operand"
    for fine in ("0", "0.0", "0.0001", "-0.00025", "12345.678"):
        cond, problems = _parse(f"when: {{field: customer.age, gt: {fine}}}\n")
        assert not problems and cond is not None, fine


def test_mixed_and_malformed_nodes_are_rejected() -> None:
    assert _parse("when: {all: [], any: []}\n")[1][0].code == "mixed_condition"
    assert _parse("when: {field: name}\n")[1][0].code == "operator_count"
    assert _parse("when: {field: name, eq: a, ne: b}\n")[1][0].code == "operator_count"
    assert _parse("when: {field: name, in: []}\n")[1][0].code == "bad_operand"
    assert _parse("when: [1]\n")[1][0].code == "condition_type"
    assert _parse("when: {field: 'a..b', eq: 1}\n", None)[1][0].code == "bad_path"


@pytest.mark.parametrize(("pattern", "yes", "no"), [
    ("id.*", ["id", "id_number"], ["my_id", "ID"]),
    ("(id|身份证)(_?(number|no|号码?))?", ["身份证号码", "id_no", "id"], ["身份证号码码"]),
    ("\\d{6}", ["123456"], ["12345", "1234567"]),
    ("[^0-9]x", ["ax", "身x"], ["1x"]),
    ("a\\.b", ["a.b"], ["axb"]),
])
def test_patterns_match_the_whole_value(pattern: str, yes: list[str], no: list[str]) -> None:
    compiled = compile_pattern(pattern)
    assert all(compiled.fullmatch(v) for v in yes)
    assert not any(compiled.fullmatch(v) for v in no)


@pytest.mark.parametrize("pattern", ["^id", "id$", "a{1,99}", "(", "[", "a**", "\\q", "a\\"])
def test_patterns_outside_the_subset_are_rejected(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_patterns_translate_to_re2_syntax_with_explicit_classes() -> None:
    assert compile_pattern("a\\.b").regex == "a\\.b"
    assert compile_pattern("\\d+").regex == "[0-9]+"


def test_conditions_render_in_plain_english() -> None:
    cond = All((Compare("ge", ("customer", "age"), 65),
                Compare("gt", ("product", "rank"), FieldRef(("customer", "rank"))),
                Not(Compare("in", ("purpose",), ("marketing", "analytics")))))
    assert render(cond) == ("the customer's age is at least 65 and the rank of the product's "
                            "risk rating is greater than the rank of the customer's risk "
                            "tolerance and the purpose is none of “marketing”, “analytics”")
    assert render(cond, labels={}) == (
        "the customer's age is at least 65 and the product's rank is greater than the "
        "customer's rank and the purpose is none of “marketing”, “analytics”")
    assert render(All(())) == "always"
    assert render(Exists(("guardian_consent",), False)) == "the guardian consent is not given"
