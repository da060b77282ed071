"""An id or a field name that is blank once spaces and invisible characters are removed is an
input error, never a value: a grant with id `\\u200b` or a field named `\\u200b` read as real."""

from __future__ import annotations

import pytest

import finpolicy as fp

BLANK = ["   ", "\u200b", "\ufeff ", "\u3000"]


@pytest.mark.parametrize("blank", BLANK)
def test_a_field_named_only_with_invisible_characters_is_refused(blank: str) -> None:
    with pytest.raises(fp.InputError, match="name: the field name is blank"):
        fp.DataField(name=blank)


@pytest.mark.parametrize("blank", [*BLANK, "\x00"])
def test_a_grant_whose_id_is_blank_is_refused(blank: str) -> None:
    with pytest.raises(fp.InputError) as info:
        fp.AccessGrant.parse({"id": blank})
    assert info.value.problems[0].path == "id"
    assert "blank id" in info.value.problems[0].message


def test_a_record_of_more_fields_than_a_long_list_is_refused_at_once() -> None:
    """200,000 fields took 13 s to classify one by one (a request body can carry them)."""
    from finpolicy.limits import MAX_LONG_ITEMS

    record = {f"f{i}": "x" for i in range(MAX_LONG_ITEMS + 1)}
    with pytest.raises(fp.InputError, match="more than 10,000; scan a table") as info:
        fp.PolicyEngine().classify_record(record)
    assert info.value.problems[0].code == "too_large"


def test_an_access_time_with_no_utc_time_is_out_of_range_as_the_docs_say() -> None:
    """9999-12-31T23:59-12:00 is in year 10000 in UTC: authorize decided it, while the table
    route and the decision log (which hold UTC) could not."""
    request = {"subject": {"id": "u1", "roles": ["teller"]}, "action": "read",
               "resource": {"type": "customer_record", "data_level": "ordinary",
                            "category": "basic_identity"}, "purpose": "account_service"}
    with pytest.raises(fp.InputError) as info:
        fp.AccessRequest.parse({**request, "as_of": "9999-12-31T23:59-12:00"})
    assert [(p.path, p.code) for p in info.value.problems] == [("as_of", "date_out_of_range")]
    assert fp.PolicyEngine().authorize(fp.AccessRequest.parse(
        {**request, "as_of": "9999-12-31T10:00+00:00"})).outcome in ("allow", "deny")


@pytest.mark.parametrize("blank", BLANK)
def test_a_customer_product_or_complaint_with_a_blank_id_is_refused(blank: str) -> None:
    """`Customer(id='\\u200b')` was decided (and logged, and joined on) as a customer."""
    for model, rest in ((fp.Customer, {"risk_level": "C3"}),
                        (fp.Product, {"kind": "fund", "risk_level": "R1"}),
                        (fp.Complaint, {"received_at": "2025-03-03T10:00+08:00",
                                        "channel": "phone", "category": "service",
                                        "severity": "general"})):
        with pytest.raises(fp.InputError, match="blank id") as info:
            model(id=blank, **rest)
        assert info.value.problems[0].path == "id"
    assert fp.Customer(id=" c1 ", risk_level="C3").id == " c1 "  # kept as given
