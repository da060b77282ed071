"""pydantic's own entry points of an input model, as a service calls them on a request body:
``model_validate``, ``model_validate_json``, ``model_validate_strings``. Each raises
``InputError`` naming the field, as the constructor does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import finpolicy as fp

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
REQUEST: dict[str, Any] = {
    "subject": {"id": "u1", "roles": ["teller"]}, "action": "read",
    "resource": {"type": "customer_record", "data_level": "ordinary",
                 "category": "basic_identity"},
    "purpose": "account_service", "as_of": AT.isoformat()}


@pytest.mark.parametrize(("validate", "fields", "message"), [
    (lambda: fp.Customer.model_validate({"id": "c1", "risk_level": 3}), ("risk_level",),
     "input should be a valid string"),
    (lambda: fp.Customer.model_validate_json('{"id": "c1", "investable_assets": -1}'),
     ("investable_assets",), "greater than or equal to 0"),
    (lambda: fp.Customer.model_validate_strings({"id": "c1", "birth_date": "1962-13-01"}),
     ("birth_date",), "expected an ISO date"),
    (lambda: fp.AccessRequest.model_validate(
        {**REQUEST, "subject": {"id": "u1", "roles": ["teller", 7]},
         "as_of": "2026-03-02T10:00:00"}),
     ("subject.roles.1", "as_of"), "needs a time zone offset"),
    (lambda: fp.Complaint.model_validate_json('{"id": "k1", '), ("",), "invalid JSON"),
])
def test_pydantic_validation_of_an_input_raises_input_error_naming_the_field(
        validate: Any, fields: tuple[str, ...], message: str) -> None:
    # it was pydantic's ValidationError, one error without a path whose message held ours:
    # "Value error, invalid Customer: risk_level: ..."
    with pytest.raises(fp.InputError, match=message) as caught:
        validate()
    assert caught.value.fields == fields
    assert not str(caught.value).count("Value error")


def test_a_validated_body_decides_as_the_constructed_input() -> None:
    engine = fp.PolicyEngine()
    parsed = fp.AccessRequest.model_validate_json(fp.AccessRequest(**REQUEST).model_dump_json())
    assert parsed == fp.AccessRequest(**REQUEST)
    assert engine.authorize(parsed) == engine.authorize(REQUEST)
    assert fp.AccessRequest.model_validate(parsed) == parsed
