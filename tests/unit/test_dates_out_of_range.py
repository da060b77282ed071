"""Dates and times at the ends of the calendar (years 1 and 9999): every call gives a
decision or finpolicy's own ``InputError`` naming the field (``date_out_of_range``), never
Python's ``OverflowError`` — a time whose local day (in the policy's or the customer's zone)
or whose deadline falls outside years 1 to 9999 cannot be computed with. Before, these raised
``OverflowError`` out of the typed API (and the service answered 500)."""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.serve.endpoints import endpoints
from tests.helpers.serve_bodies import BODIES, COMPLAINT, CONSENT, CORE_READ, CUSTOMER, PRODUCT

pa = pytest.importorskip("pyarrow")

LATE = "9999-12-31T23:59:59-23:59"  # 10000-01-01 in UTC
EARLY = "0001-01-01T00:00:00+14:00"  # year 0 in UTC
LAST_HOUR = "9999-12-31T23:00:00+00:00"  # in UTC, but 10000-01-01 in Beijing
EXTREMES = [LATE, EARLY, LAST_HOUR, "0001-01-01T00:00:00-12:00", "9999-12-31T23:59:59+14:00",
            "9999-12-30T00:00:00+08:00", "9999-12-31T22:00:00+08:00", "9999-12-31",
            "9999-12-30", "0001-01-01"]
ENGINE = fp.PolicyEngine()


def _out_of_range(exc: pytest.ExceptionInfo[fp.InputError], field: str) -> None:
    [problem] = exc.value.problems
    assert (problem.path, problem.code) == (field, "date_out_of_range"), exc.value
    assert "out of the range finpolicy can compute with" in problem.message


@pytest.mark.parametrize("when", [LATE, EARLY, LAST_HOUR])
def test_an_assessment_without_a_day_in_the_policys_zone_is_an_input_error(when: str) -> None:
    customer = {**CUSTOMER, "assessment_date": when}
    with pytest.raises(fp.InputError) as check:
        ENGINE.check_suitability(customer, PRODUCT, amount=1000, as_of="2026-03-02")
    _out_of_range(check, "customer.assessment_date")
    with pytest.raises(fp.InputError) as products:
        ENGINE.suitable_products(customer, [PRODUCT], as_of="2026-03-02")
    _out_of_range(products, "customer.assessment_date")


def test_earlier_assessments_and_reported_changes_are_named_too() -> None:
    customer = {**CUSTOMER, "assessment_history": ["2025-01-01", EARLY]}
    with pytest.raises(fp.InputError) as history:
        ENGINE.check_suitability(customer, PRODUCT, as_of="2026-03-02")
    _out_of_range(history, "customer.assessment_history.1")
    with pytest.raises(fp.InputError) as reported:
        ENGINE.check_suitability({**CUSTOMER, "change_reported_at": LATE}, PRODUCT,
                                 as_of="2026-03-02")
    _out_of_range(reported, "customer.change_reported_at")


def test_a_campaign_time_without_a_local_time_is_an_input_error() -> None:
    for when in (LATE, LAST_HOUR):
        with pytest.raises(fp.InputError) as plan:
            ENGINE.plan_campaign([{"id": "cu-1"}], channels=["sms"], as_of=when)
        _out_of_range(plan, "as_of")


def test_a_campaign_whose_next_allowed_time_is_past_year_9999_is_an_input_error() -> None:
    # 22:00 in Beijing on the last day: SMS waits for 08:00 the next morning, in year 10000
    with pytest.raises(fp.InputError) as plan:
        ENGINE.plan_campaign([{"id": "cu-1"}], consents=[CONSENT], channels=["sms"],
                             as_of="9999-12-31T22:00:00+08:00")
    _out_of_range(plan, "as_of")
    assert "next time customer `cu-1` may be contacted" in plan.value.problems[0].message


def test_a_processing_time_without_a_local_time_is_an_input_error_not_a_denial() -> None:
    request = {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "as_of": LATE}
    with pytest.raises(fp.InputError) as check:  # was a denial "evaluation failed: Overflow…"
        ENGINE.check_processing(request, consents=[CONSENT])
    _out_of_range(check, "request.as_of")


def test_consents_at_the_ends_of_the_calendar_are_reviewed_exactly() -> None:
    """A consent's end (given_at + consent_days, withdrawn_at + the delay) past year 9999 is
    later than every review time: nothing to refuse."""
    late = ENGINE.review_consents([{**CONSENT, "given_at": LATE}],
                                  as_of="2026-03-02T10:00:00+08:00")
    assert late.consents_reviewed == 1
    last = "9999-12-30T00:00:00+08:00"
    report = ENGINE.review_consents([{**CONSENT, "given_at": last, "withdrawn_at": last}],
                                    as_of=last)
    assert report.consents_reviewed == 1
    decision = ENGINE.check_processing(
        {"customer": "cu-1", "purpose": "marketing", "channel": "email", "as_of": last},
        consents=[{**CONSENT, "channels": ["email"], "given_at": last}])
    assert "lapsed" not in " ".join(decision.consent_failures)


def test_a_reviewed_contact_without_a_local_time_names_its_field() -> None:
    contact = {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "at": LATE}
    with pytest.raises(fp.InputError) as review:
        ENGINE.review_consents([CONSENT], contacts=[contact],
                               as_of="2026-03-02T10:00:00+08:00")
    _out_of_range(review, "contacts.0.at")


def test_a_complaint_time_with_no_utc_time_names_as_of() -> None:
    for call in (lambda: ENGINE.complaint_sla(COMPLAINT, as_of=LATE),
                 lambda: ENGINE.complaint_sla_batch([COMPLAINT], as_of=EARLY)):
        with pytest.raises(fp.InputError) as sla:
            call()
        _out_of_range(sla, "as_of")


def test_explanations_leave_out_moves_that_cannot_be_dated() -> None:
    # a grant from the last hours of year 9999 would end past it: not suggested
    read = {**CORE_READ, "as_of": "9999-12-31T10:00:00+08:00"}
    explained = ENGINE.explain("authorize", read)
    assert explained.outcome == "deny"
    assert all("grant" not in s.levers for s in explained.suggestions)
    # a reassessment a year after one on the last day would fall past it: not suggested
    last = {**CUSTOMER, "assessment_date": "9999-12-31", "birth_date": "9999-12-31"}
    explained = ENGINE.explain("check_suitability", last, PRODUCT, as_of="9999-12-31")
    assert explained.outcome == "unsuitable"
    consent = {**CONSENT, "given_at": EARLY}
    request = {"customer": "cu-1", "purpose": "marketing", "channel": "sms",
               "as_of": "2026-03-02T10:00:00+08:00"}
    assert ENGINE.explain("check_processing", request, consents=[consent]).outcome


def test_tables_leave_such_rows_to_the_row_engine_which_names_the_field() -> None:
    row = {**{f"customer.{k}": str(v) for k, v in CUSTOMER.items()},
           **{f"product.{k}": str(v) for k, v in PRODUCT.items()},
           "customer.assessment_date": LATE}
    with pytest.raises(fp.InputError) as suitability:
        ENGINE.evaluate_table("suitability", pa.Table.from_pylist([row]), as_of="2026-03-02")
    _out_of_range(suitability, "customer.assessment_date")
    complaint = {"id": "c", "received_at": LAST_HOUR, "channel": "phone", "category": "service"}
    with pytest.raises(fp.InputError) as received:
        ENGINE.evaluate_table("complaints", pa.Table.from_pylist([complaint]),
                              as_of="2026-03-02T10:00:00+08:00")
    assert received.value.problems[0].code == "date_out_of_range"
    with pytest.raises(fp.InputError) as as_of:
        ENGINE.evaluate_table("complaints", pa.Table.from_pylist([{**complaint,
                              "received_at": "2026-03-01T10:00:00+08:00"}]), as_of=LATE)
    _out_of_range(as_of, "as_of")


_DATE = re.compile(r"^\d{4}-\d\d-\d\d(T.*)?$")


def _dates(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _dates(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _dates(v, (*path, i))
    elif isinstance(value, str) and _DATE.match(value):
        yield path


def _with(body: dict[str, Any], path: tuple[Any, ...], value: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: f"{e.domain}.{e.method}")
def test_every_operation_decides_or_refuses_extreme_dates_with_an_input_error(
        endpoint: Any) -> None:
    """Each date or time of each served operation's sample body, and its ``as_of``, set to
    each end of the calendar, as the service parses it: a result, or a finpolicy error."""
    body = BODIES[f"{endpoint.domain}/{endpoint.method}"]
    places = {*_dates(body), ("as_of",)} if "as_of" in endpoint.model.model_fields \
        else set(_dates(body))
    for path in sorted(places, key=str):
        for value in EXTREMES:
            try:
                call = endpoint.model.model_validate(_with(body, path, value))
            except ValueError:  # the schema refuses it (a date where a time is needed)
                continue
            with contextlib.suppress(fp.FinpolicyError):  # a result, or finpolicy's error
                ENGINE.call(endpoint.method, call.arguments())
