"""A change in circumstances reported after the evaluation date is an error, with or without
an assessment on file (as a birth date after it is)."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
ON = dt.date(2026, 3, 2)
FUND = fp.Product(id="tdf-2045", kind="fund", risk_level="R3")


@pytest.mark.parametrize("assessed", [None, dt.date(2026, 1, 5)])
def test_a_change_reported_after_the_day_is_refused(assessed: dt.date | None) -> None:
    # without an assessment it was taken silently (assessment-missing), with one refused
    customer = fp.Customer(id="c1", risk_level="C3", assessment_date=assessed,
                           change_reported_at=dt.date(2026, 4, 1))
    with pytest.raises(fp.InputError) as caught:
        ENGINE.check_suitability(customer, FUND, as_of=ON)
    problem = caught.value.problems[0]
    assert (problem.path, problem.code) == ("customer.change_reported_at",
                                            "after_evaluation_date")
    assert problem.message == ("change reported on 2026-04-01, after the evaluation date "
                               "2026-03-02")


def test_a_book_names_the_row() -> None:
    pa = pytest.importorskip("pyarrow")
    book = pa.table({"id": ["c1", "c2"], "change_reported_at": [None, dt.date(2026, 4, 1)]})
    with pytest.raises(fp.InputError) as caught:
        ENGINE.evaluate_table("suitability", book, as_of=ON, products=[FUND])
    assert caught.value.problems[0].path == "customer.change_reported_at"
    assert caught.value.problems[0].line == 2


def test_a_change_reported_without_an_assessment_by_the_day_is_no_error() -> None:
    customer = fp.Customer(id="c1", change_reported_at=dt.date(2026, 3, 2))
    d = ENGINE.check_suitability(customer, FUND, as_of=ON)
    assert d.outcome == "unsuitable" and "assessment-missing" in d.rule_ids
