"""YAML loading keeps line numbers; errors keep their parts and render one per line."""

from __future__ import annotations

import pytest
import yaml

from finpolicy.documents.yamlsource import parse_yaml, yaml_problem
from finpolicy.errors import InputError, InputProblem, PolicyError, Problem
from finpolicy.inputs import InputModel


def test_line_map_points_at_keys_and_list_items() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    assert doc.line_of(("a",)) == 1
    assert doc.line_of(("b", 1, "c")) == 4
    assert doc.line_of(("b", 1, "missing")) == 4  # nearest ancestor


def test_dates_stay_strings_so_pydantic_reports_them() -> None:
    assert parse_yaml("d: 2026-02-01\n", "f.yaml").data == {"d": "2026-02-01"}


def test_duplicate_keys_are_yaml_errors_with_a_line() -> None:
    with pytest.raises(yaml.YAMLError) as info:
        parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    problem = yaml_problem("f.yaml", info.value)
    assert problem.line == 3 and "duplicate key `a`" in problem.message


def test_python_tags_are_refused() -> None:
    with pytest.raises(yaml.YAMLError):
        parse_yaml("a: !!python/object/apply:os.system ['true']\n", "f.yaml")


def test_policy_error_renders_every_problem_on_its_own_line() -> None:
    err = PolicyError([Problem("b.yaml", 2, "spec.x", "bad x", "c"),
                       Problem("a.yaml", 9, "", "bad file", "c")])
    assert str(err).splitlines() == ["2 problems:", "a.yaml:9: bad file", "b.yaml:2: spec.x: bad x"]
    assert isinstance(err, ValueError)


class _Example(InputModel):
    amount: float
    name: str


def test_input_models_raise_input_error_naming_the_field() -> None:
    with pytest.raises(InputError) as info:
        _Example(amount="lots", name="x")
    assert info.value.fields == ("amount",)
    assert "amount" in str(info.value) and isinstance(info.value, ValueError)


def test_input_models_reject_unknown_fields_and_infinities() -> None:
    with pytest.raises(InputError) as info:
        _Example(amount=float("inf"), name="x", extra=1)
    assert set(info.value.fields) == {"amount", "extra"}


def test_parse_prefixes_the_field_path() -> None:
    with pytest.raises(InputError) as info:
        _Example.parse({"amount": 1}, field="order")
    assert info.value.problems == (InputProblem("order.name", "field required", "missing",
                                                {"amount": 1}),)


def test_a_value_that_should_be_a_mapping_is_named_in_words_not_by_class() -> None:
    """pydantic says `input should be a valid dictionary or instance of _Example`."""
    class _Order(InputModel):
        item: _Example

    with pytest.raises(InputError) as info:
        _Order.parse({"item": ["a"]}, field="order")
    assert str(info.value) == "invalid _Order: order.item: expected a mapping of keys, got a " \
                              "list"
    with pytest.raises(InputError, match="order: expected a mapping of keys, got a text"):
        _Order.parse("x", field="order")
