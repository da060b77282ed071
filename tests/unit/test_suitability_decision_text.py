"""A suitability decision's own text (``decision.explain()``, ``finpolicy eval``) says nothing
its rules contradict."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
ON = dt.date(2026, 3, 2)
FUND = fp.Product(id="tdf-2045", kind="fund", risk_level="R3")


def _text(**fields: object) -> str:
    customer = fp.Customer(id="c1", birth_date=dt.date(1980, 1, 1), **fields)  # type: ignore[arg-type]
    return ENGINE.check_suitability(customer, FUND, as_of=ON).explain()


def test_an_assessment_filled_in_by_staff_is_not_called_valid() -> None:
    # "assessed 60 days ago (valid; …)" above "assessment-filled-by-staff: … it cannot support
    # a sale"
    text = _text(risk_level="C3", assessment_date=dt.date(2026, 1, 1),
                 assessment_filled_by="staff")
    assert "assessment-filled-by-staff" in text
    assert "assessed 60 days ago (not expired; 1 that day, 1 in 12 months)" in text
    assert "valid" not in text


def test_the_third_assessment_of_a_day_is_not_called_valid() -> None:
    text = _text(risk_level="C3", assessment_date=ON, assessment_history=[ON, ON])
    assert "assessment-too-frequent-day" in text
    assert "assessed 0 days ago (not expired; 3 that day, 3 in 12 months)" in text


def test_an_expired_assessment_is_called_expired() -> None:
    text = _text(risk_level="C3", assessment_date=dt.date(2025, 3, 1))
    assert "assessed 366 days ago (expired; 1 that day, 1 in 12 months)" in text


def test_an_assessment_without_a_level_is_not_called_no_assessment() -> None:
    # "customer c1 (not assessed)" followed by "assessed 60 days ago"
    text = _text(assessment_date=dt.date(2026, 1, 1))
    assert "customer c1 (no risk level), product tdf-2045 (R3)" in text
    assert "assessed 60 days ago" in text
    assert "customer c1 (not assessed)" in _text()
