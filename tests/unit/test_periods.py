"""Periods from an event in years, months and days, counted as the Civil Code counts them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

import finpolicy as fp
from finpolicy.calendars import WorkingCalendar
from finpolicy.periods import PeriodSpec

FIVE_YEARS = fp.Period(years=5, after="relationship_end")


@pytest.mark.parametrize(("start", "last"), [
    (dt.date(2026, 3, 10), dt.date(2031, 3, 10)),   # the corresponding day (Art. 202)
    (dt.date(2028, 2, 29), dt.date(2033, 2, 28)),   # no 29 February: the month's last day
    (dt.date(2027, 2, 28), dt.date(2032, 2, 28)),   # a leap year inside changes nothing
    (dt.date(2026, 12, 31), dt.date(2031, 12, 31)),
])
def test_five_years_end_on_the_corresponding_day(start: dt.date, last: dt.date) -> None:
    assert FIVE_YEARS.last_day(start) == last
    assert not FIVE_YEARS.ended(start, last)
    assert FIVE_YEARS.ended(start, last + dt.timedelta(days=1))


def test_1825_days_fall_one_day_short_of_five_years_across_a_29_february() -> None:
    start = dt.date(2026, 3, 10)
    in_days = fp.Period(days=1825, after="relationship_end").last_day(start)
    assert in_days == dt.date(2031, 3, 9)
    assert FIVE_YEARS.last_day(start) - in_days == dt.timedelta(days=1)


def test_months_then_days_and_a_datetime_counts_on_its_date() -> None:
    period = fp.Period(months=1, days=2, after="x")
    assert period.last_day(dt.date(2026, 1, 31)) == dt.date(2026, 3, 2)  # 28 Feb + 2
    moment = dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC)
    assert period.last_day(moment) == dt.date(2026, 3, 2)


def test_a_last_day_off_moves_to_the_next_working_day_when_a_calendar_is_given() -> None:
    calendar = WorkingCalendar("CN", None, "Asia/Shanghai", dt.time(17, 0))
    one_year = fp.Period(years=1, after="closing")
    # 1 October 2026 is National Day; the holiday runs to 7 October (8 October works)
    last = one_year.last_day(dt.date(2025, 10, 1), is_working_day=calendar.is_working_day)
    assert last > dt.date(2026, 10, 1) and calendar.is_working_day(last)
    assert one_year.last_day(dt.date(2025, 10, 1)) == dt.date(2026, 10, 1)


def test_describe_reads_as_words() -> None:
    assert FIVE_YEARS.describe() == "5 years after relationship end"
    assert str(fp.Period(years=1, days=1, after="logged")) == "1 year 1 day after logged"


@pytest.mark.parametrize("data", [{"after": "x"}, {"years": 1, "after": "Not An Event"},
                                  {"years": -1, "after": "x"}, {"years": 1}])
def test_a_bad_period_spec_is_rejected(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PeriodSpec.model_validate(data)


def test_a_spec_builds_its_period() -> None:
    spec = PeriodSpec.model_validate({"years": 5, "after": "relationship_end"})
    assert spec.build() == FIVE_YEARS


@pytest.mark.parametrize(("old", "new", "code"), [
    ("    dual_recording: {years: 5,", "    dual_recordings: {years: 5,", "unknown_obligation"),
    ("    dual_recording: {years: 5, after: relationship_end,",
     "    dual_recording: {after: relationship_end,", "value_error"),
])
def test_a_suitability_retention_must_name_an_obligation_and_a_length(
        tmp_path: Path, old: str, new: str, code: str) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(fp.load_bundle().root, pack)
    file = pack / "suitability-2026.yaml"
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    assert any(p.code == code or code in p.message for p in info.value.problems), \
        info.value.problems
