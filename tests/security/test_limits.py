"""Bounded memory: every text, id and list an input model takes has a documented cap, and a
value over it is an InputError naming the field (generated lengths, characters and fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy import limits
from finpolicy.domains.registry import domains

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
GRANT = {"id": "g1", "grantee": "u1", "purpose": "p", "resource_type": "t", "data_level": "l",
         "category": "c", "requested_at": AT, "expires_at": AT}
BASES: dict[type[Any], dict[str, Any]] = {
    fp.Subject: {"id": "u1"},
    fp.Resource: {"type": "t", "data_level": "l", "category": "c"},
    fp.AccessGrant: GRANT,
    fp.AccessRequest: {"subject": {"id": "u1"}, "action": "read", "purpose": "p",
                       "resource": {"type": "t", "data_level": "l", "category": "c"}},
    fp.RoleAssignment: {"subject_id": "u1", "role": "teller"},
    fp.UsageRecord: {"grant_id": "g1", "used_at": AT},
    fp.Customer: {"id": "c1"},
    fp.Product: {"id": "p1", "kind": "fund", "risk_level": "R1"},
    fp.Complaint: {"id": "c1", "received_at": AT, "channel": "phone", "category": "product"},
    fp.ComplaintEvent: {"kind": "acknowledged", "at": AT},
    fp.DataField: {"name": "n"},
    fp.SaleContext: {},
    fp.Consent: {"id": "k1", "customer": "c1", "purpose": "p", "given_at": AT},
    fp.Recipient: {"name": "r", "kind": "third_party"},
    fp.ProcessingRequest: {"customer": "c1", "purpose": "p"},
    fp.ContactRecord: {"customer": "c1", "channel": "sms", "purpose": "p", "at": AT},
    fp.CampaignCustomer: {"id": "c1"},
    fp.Refusal: {"refused_at": AT},
}
# models of flags, dates and closed choices only: nothing in them can grow (a time zone is
# one of zoneinfo's names, capped before it is looked up)
NOTHING_TO_CAP = {fp.SaleContext}
ID, TERM, TEXT = limits.MAX_ID_LENGTH, limits.MAX_TERM_LENGTH, limits.MAX_TEXT_LENGTH
ITEMS, LONG = limits.MAX_ITEMS, limits.MAX_LONG_ITEMS
# (model, field, shape, cap): shape "text" (the value), "items" (the list), "item" (one entry
# of the list), "key" (one key of the mapping)
CAPS: list[tuple[type[Any], str, str, int]] = [
    (fp.Subject, "id", "text", ID), (fp.Subject, "roles", "items", ITEMS),
    (fp.Subject, "roles", "item", TERM), (fp.Subject, "department", "text", TERM),
    (fp.Subject, "branch", "text", TERM),
    (fp.Resource, "type", "text", TERM), (fp.Resource, "data_level", "text", TERM),
    (fp.Resource, "category", "text", TERM), (fp.Resource, "department", "text", TERM),
    (fp.Resource, "branch", "text", TERM), (fp.Resource, "fields", "key", TERM),
    *[(fp.AccessGrant, f, "text", ID) for f in ("id", "grantee", "requested_by",
                                                 "approved_by")],
    *[(fp.AccessGrant, f, "text", TERM) for f in ("purpose", "resource_type", "data_level",
                                                   "category")],
    (fp.AccessGrant, "approver_roles", "items", ITEMS),
    (fp.AccessGrant, "approver_roles", "item", TERM),
    (fp.AccessRequest, "action", "text", TERM), (fp.AccessRequest, "purpose", "text", TERM),
    (fp.AccessRequest, "grants", "items", ITEMS),
    (fp.RoleAssignment, "subject_id", "text", ID), (fp.RoleAssignment, "role", "text", TERM),
    (fp.RoleAssignment, "assigned_by", "text", ID),
    (fp.UsageRecord, "grant_id", "text", ID), (fp.UsageRecord, "subject_id", "text", ID),
    (fp.Customer, "id", "text", ID), (fp.Customer, "risk_level", "text", TERM),
    (fp.Customer, "assessment_history", "items", LONG),
    (fp.Product, "id", "text", ID), (fp.Product, "kind", "text", TERM),
    (fp.Product, "risk_level", "text", TERM), (fp.Product, "issuer_risk_level", "text", TERM),
    (fp.Complaint, "id", "text", ID), (fp.Complaint, "channel", "text", TERM),
    (fp.Complaint, "category", "text", TERM), (fp.Complaint, "severity", "text", TERM),
    (fp.Complaint, "flags", "items", ITEMS), (fp.Complaint, "flags", "item", TERM),
    (fp.Complaint, "events", "items", LONG),
    (fp.ComplaintEvent, "kind", "text", TERM), (fp.ComplaintEvent, "note", "text", TEXT),
    (fp.DataField, "name", "text", TERM), (fp.DataField, "description", "text", TEXT),
    (fp.DataField, "tags", "items", ITEMS), (fp.DataField, "tags", "item", TERM),
    (fp.DataField, "derived_from", "items", ITEMS),
    (fp.DataField, "derived_from", "item", TERM),
    (fp.DataField, "sample_values", "item", limits.MAX_SAMPLE_LENGTH),
    *[(fp.Consent, f, "text", ID) for f in ("id", "customer")],
    (fp.Consent, "purpose", "text", TERM), (fp.Consent, "evidence", "text", TEXT),
    (fp.Consent, "notice_version", "text", TERM),
    *[(fp.Consent, f, "items", ITEMS) for f in ("channels", "data_levels", "categories",
                                                 "recipients")],
    (fp.Consent, "channels", "item", TERM), (fp.Consent, "recipients", "item", ID),
    (fp.Recipient, "name", "text", ID), (fp.Recipient, "agreement", "text", ID),
    *[(fp.ProcessingRequest, f, "text", ID) for f in ("id", "customer")],
    *[(fp.ProcessingRequest, f, "text", TERM) for f in ("purpose", "channel")],
    *[(fp.ProcessingRequest, f, "items", ITEMS) for f in ("data_levels", "categories",
                                                           "fields")],
    (fp.ProcessingRequest, "fields", "item", TERM),
    *[(fp.ContactRecord, f, "text", ID) for f in ("id", "customer", "consent_id")],
    *[(fp.ContactRecord, f, "text", TERM) for f in ("channel", "purpose")],
    (fp.CampaignCustomer, "id", "text", ID),
    (fp.CampaignCustomer, "channels", "items", ITEMS),
    (fp.CampaignCustomer, "channels", "item", TERM),
    (fp.Refusal, "id", "text", ID), (fp.Refusal, "evidence", "text", TEXT),
]
_ITEM = {("AccessRequest", "grants"): GRANT, ("Complaint", "events"): BASES[fp.ComplaintEvent],
         ("Customer", "assessment_history"): "2026-01-01"}


def _value(model: type[Any], field: str, shape: str, length: int, char: str) -> Any:
    if shape == "text":
        return "u" + char * (length - 1)
    if shape == "key":
        return {"k" + char * (length - 1): "l"}
    if shape == "item":
        return ["u" + char * (length - 1)]
    item = _ITEM.get((model.__name__, field), "x")
    return [item] * length


def test_every_input_model_of_every_domain_is_listed() -> None:
    models = {m for d in domains() for m in d.input_models}
    assert models == set(BASES)
    assert {m for m, *_ in CAPS} == set(BASES) - NOTHING_TO_CAP


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CAPS), st.integers(1, 2000),
       st.sampled_from(["a", "é", "中", "\U0001f600", " "]))
def test_a_value_over_its_cap_is_an_input_error_naming_the_field(
        cap: tuple[type[Any], str, str, int], excess: int, char: str) -> None:
    model, field, shape, limit = cap
    data = BASES[model] | {field: _value(model, field, shape, limit + excess, char)}
    with pytest.raises(fp.InputError) as caught:
        model.parse(data)
    assert [p.path.split(".")[0] for p in caught.value.problems] == [field]
    assert caught.value.problems[0].code in ("string_too_long", "too_long")
    assert str(limit) in str(caught.value)


@pytest.mark.parametrize("cap", CAPS, ids=lambda c: f"{c[0].__name__}.{c[1]}.{c[2]}")
def test_a_value_at_its_cap_is_accepted(cap: tuple[type[Any], str, str, int]) -> None:
    model, field, shape, limit = cap
    limit = min(limit, 2000)  # long lists: a sample of the cap is enough to show acceptance
    model.parse(BASES[model] | {field: _value(model, field, shape, limit, "a")})


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(min_value=int(limits.MAX_AMOUNT) + 1, max_value=10 ** 400),
                 st.floats(min_value=limits.MAX_AMOUNT * 1.0001, allow_infinity=True),
                 st.just(float("nan"))))
def test_amounts_and_assets_beyond_the_cap_are_input_errors(
        engines: dict[str, fp.PolicyEngine], number: float) -> None:
    with pytest.raises(fp.InputError) as caught:
        fp.Customer(id="c", investable_assets=number)
    assert caught.value.fields == ("investable_assets",)
    customer = fp.Customer(id="c", risk_level="C3", assessment_date="2026-01-01")
    product = fp.Product(id="p", kind="deposit", risk_level="R1")
    for engine in engines.values():
        with pytest.raises(fp.InputError) as caught:
            engine.check_suitability(customer, product, amount=number,
                                     as_of=dt.date(2026, 3, 2))
        assert caught.value.fields == ("amount",)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=limits.MAX_MONTHS + 1, max_value=10 ** 400))
def test_month_counts_beyond_the_cap_are_input_errors(months: int) -> None:
    with pytest.raises(fp.InputError) as caught:
        fp.Product(id="p", kind="fund", risk_level="R1", term_months=months)
    assert caught.value.fields == ("term_months",)
    with pytest.raises(fp.InputError):
        fp.Customer(id="c", investment_horizon_months=months)


def test_the_security_page_states_the_limits_the_code_enforces() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "security.rst").read_text(
        encoding="utf-8")
    lines = page.splitlines()
    stated = {}
    for i, line in enumerate(lines):
        if line.startswith("   * - ``MAX_"):
            stated[line.split("``")[1]] = lines[i + 1].strip().removeprefix("- ")
    numbers = {name: getattr(limits, name) for name in limits.__all__ if name.startswith("MAX_")}
    assert set(stated) == set(numbers)
    for name, value in numbers.items():
        text = stated[name]
        shown = (float(text) if "e" in text else int(text.split()[0]) * 2 ** 20
                 if text.endswith("MiB") else int(text))
        assert shown == value, name
