"""YAML loading keeps line numbers; errors keep their parts and render one per line."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import typing
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, PlainValidator

from finpolicy.documents.yamlsource import parse_yaml, yaml_problem
from finpolicy.errors import InputError, InputProblem, PolicyError, Problem
from finpolicy.inputs import DATE_TEXT, NUMBER, TIME_TEXT, InputModel


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


@pytest.mark.parametrize("text", ["a:\n\tb: 1\n", "a:\n  - x\n\t- y\n", "a:\n  -\tb: 1\n  - c\n",
                                  "a:\n  b: 1\n\tc: 2\n"])
def test_a_tab_the_parser_stumbles_on_is_named(text: str) -> None:
    # libyaml said only "found character that cannot start any token"
    with pytest.raises(yaml.YAMLError) as caught:
        parse_yaml(text, "p.yaml")
    problem = yaml_problem("p.yaml", caught.value, text)
    assert problem.message.startswith("invalid yaml: a tab where YAML takes only spaces")
    assert problem.line == text.count("\n", 0, text.index("\t")) + 1


def test_a_yaml_error_with_no_tab_says_only_what_the_parser_said() -> None:
    text = "a: [1, 2\n"
    with pytest.raises(yaml.YAMLError) as caught:
        parse_yaml(text, "p.yaml")
    assert "tab" not in yaml_problem("p.yaml", caught.value, text).message


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


# --- times and numbers in inputs -------------------------------------------------------------

def _input_models() -> list[type[BaseModel]]:
    from finpolicy.domains.base import Call
    from finpolicy.domains.registry import domains

    for domain in domains():  # their models load with them
        for name in (domain.explain, *(c.__module__ for c in domain.calls.values())):
            if name:
                importlib.import_module(name)
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [InputModel, Call]
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return sorted({m for m in found if m.__module__.startswith("finpolicy.")},
                  key=lambda m: f"{m.__module__}.{m.__qualname__}")


def _unguarded(annotation: Any, guarded: bool = False) -> list[str]:
    """The time and number types in ``annotation`` without the validator that refuses what
    pydantic would read wrongly (a number for a time, true for a number)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        marks = any(m in (TIME_TEXT, DATE_TEXT, NUMBER) or isinstance(m, PlainValidator)
                    for m in extra)
        return _unguarded(base, guarded or marks)
    if annotation in (dt.date, dt.datetime, dt.time, int, float) or \
            getattr(annotation, "__name__", "") == "AwareDatetime":
        return [] if guarded else [getattr(annotation, "__name__", str(annotation))]
    return [found for arg in typing.get_args(annotation) for found in _unguarded(arg, guarded)]


def test_every_time_and_number_of_an_input_refuses_what_pydantic_would_misread() -> None:
    """pydantic reads `received_at: 7` as 1970-01-01T00:00:07Z and `investable_assets: true`
    as 1: every input model (and every serve call body) uses the types of finpolicy.inputs."""
    models = _input_models()
    assert len(models) > 20
    bare = {f"{m.__module__}.{m.__qualname__}.{name}": found
            for m in models for name, field in m.model_fields.items()
            for found in [_unguarded(field.rebuild_annotation())] if found}
    assert not bare


@pytest.mark.parametrize(("domain", "data", "message"), [
    ("consent", {"request": {"customer": "cu-1", "purpose": "marketing", "channel": "sms"},
                 "consents": [{"id": "c", "customer": "cu-1", "purpose": "marketing",
                               "channels": ["sms"], "separate": True, "given_at": 1767225600,
                               "notice_version": "privacy-2025"}]},
     "consents.0.given_at: expected an ISO datetime with a time zone offset as text "
     "(2026-03-01T09:00:00+08:00), got the number `1767225600`"),
    ("complaints", {"complaint": {"id": "c", "received_at": 7, "channel": "phone",
                                  "category": "service"}},
     "received_at: expected an ISO datetime with a time zone offset as text "
     "(2026-03-01T09:00:00+08:00), got the number `7`"),
    ("access", {"subject": {"id": "u", "roles": ["teller"]}, "action": "read",
                "purpose": "account_service", "as_of": 1767225600.5,
                "resource": {"type": "customer_record", "data_level": "ordinary",
                             "category": "basic_identity"}},
     "as_of: expected an ISO datetime"),
    ("suitability", {"customer": {"id": "c", "investable_assets": True},
                     "product": {"id": "p", "kind": "fund", "risk_level": "R1"}},
     "customer.investable_assets: expected a number, got `true`"),
    ("suitability", {"customer": {"id": "c"},
                     "product": {"id": "p", "kind": "fund", "risk_level": "R1",
                                 "term_months": True}},
     "product.term_months: expected a number, got `true`"),
])
def test_a_number_for_a_time_or_true_for_a_number_is_refused_naming_the_field(
        domain: str, data: dict[str, Any], message: str) -> None:
    import finpolicy as fp
    from finpolicy.domains.registry import domain as find

    with pytest.raises(InputError, match=re.escape(message)):
        find(domain).evaluate_input(fp.PolicyEngine().runtime, data,
                                    as_of=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC))
