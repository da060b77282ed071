"""``assessment_history`` lists the assessments before the current one: where times show an
entry is the current assessment itself, or later, it is refused rather than counted."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
ON = dt.date(2026, 3, 4)
FUND = fp.Product(id="tdf-2045", kind="fund", risk_level="R3")
NINE = "2026-03-02T09:00:00+08:00"  # the current assessment


def _decide(*history: str) -> fp.SuitabilityDecision:
    customer = fp.Customer(id="c1", risk_level="C3", assessment_date=NINE,
                           assessment_history=list(history))
    return ENGINE.check_suitability(customer, FUND, as_of=ON)


@pytest.mark.parametrize("again", [NINE, "2026-03-02T01:00:00+00:00"])
def test_the_current_assessment_listed_again_is_refused(again: str) -> None:
    # a feed that lists every assessment, the current one too, counted it twice: '2 that day'
    # for one assessment (and the third of a day was refused a sale on the second)
    with pytest.raises(fp.InputError) as caught:
        _decide("2026-03-02T08:00:00+08:00", again)
    problem = caught.value.problems[0]
    assert problem.path == "customer.assessment_history.1"
    assert problem.code == "after_assessment_date"
    assert "is the current assessment itself (2026-03-02T09:00:00+08:00)" in problem.message


def test_a_later_time_of_the_same_day_is_refused() -> None:
    with pytest.raises(fp.InputError) as caught:
        _decide("2026-03-02T15:00:00+08:00")
    assert caught.value.problems[0].message == (
        "2026-03-02T15:00:00+08:00 is after the current assessment "
        "(2026-03-02T09:00:00+08:00); list earlier assessments only")


def test_earlier_times_and_dates_of_the_day_count() -> None:
    d = _decide("2026-03-02T08:00:00+08:00", "2026-03-02")
    assert (d.assessments_that_day, d.assessments_12m) == (3, 3)
    assert "assessment-too-frequent-day" in d.rule_ids
