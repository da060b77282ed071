"""Pinned calendars: holiday overrides declared in a pack, announced schedules, and what a
complaint in a year without a confirmed schedule gets (a warning or an error, as the policy
says)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp
from finpolicy.calendars import WorkingCalendar, calendar_data_version, published_years
from finpolicy.errors import CalendarError
from tests.helpers.packversions import with_calendar

SH = ZoneInfo("Asia/Shanghai")


def _complaint(year: int, month: int = 9, day: int = 28) -> fp.Complaint:
    return fp.Complaint(id="c-1", received_at=dt.datetime(year, month, day, 10, tzinfo=SH),
                        channel="phone", category="service")


def _pack_with_calendar(tmp_path: Path, **calendar: object) -> fp.Bundle:
    return with_calendar(tmp_path / "pack", **calendar)


def test_installed_china_data_is_confirmed_through_2026_only() -> None:
    years = published_years("CN")
    assert 2026 in years and 2025 in years
    assert 2027 not in years


def test_calendar_data_version_names_the_holidays_release() -> None:
    import holidays

    assert calendar_data_version() == f"holidays {holidays.__version__}"


def test_an_override_turns_a_working_day_into_a_day_off_and_back() -> None:
    plain = WorkingCalendar("CN", None, "Asia/Shanghai")
    assert plain.is_working_day(dt.date(2027, 10, 6))  # holidays computes Oct 1-5 only
    fixed = WorkingCalendar("CN", None, "Asia/Shanghai", overrides=[
        (dt.date(2027, 10, 6), False), (dt.date(2027, 10, 9), True)])
    assert not fixed.is_working_day(dt.date(2027, 10, 6))
    assert fixed.is_working_day(dt.date(2027, 10, 9))  # a Saturday worked (调休)
    start = dt.datetime(2027, 9, 30, 10, tzinfo=SH)
    assert fixed.working_days_deadline(start, 1) > plain.working_days_deadline(start, 1)


def test_statutory_schedules_know_every_year() -> None:
    assert WorkingCalendar("GB", "ENG", "Europe/London").is_confirmed(2040)


def test_cn_banking_decides_an_unconfirmed_year_with_a_warning() -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    report = engine.complaint_sla(_complaint(2027), as_of=dt.datetime(2027, 10, 1, tzinfo=SH))
    assert report.warnings and "2027" in report.warnings[0]
    assert "warning: the CN holiday schedule for 2027" in report.explain()
    assert report.to_dict()["warnings"] == list(report.warnings)
    confirmed = engine.complaint_sla(_complaint(2026), as_of=dt.datetime(2026, 10, 1, tzinfo=SH))
    assert confirmed.warnings == ()


def test_a_deadline_running_into_an_unconfirmed_year_warns_too() -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    report = engine.complaint_sla(_complaint(2026, 12, 30),
                                  as_of=dt.datetime(2026, 12, 31, tzinfo=SH))
    assert any("2027" in w for w in report.warnings)


def test_a_policy_may_ask_for_an_error_instead(tmp_path: Path) -> None:
    engine = fp.PolicyEngine(_pack_with_calendar(tmp_path, unconfirmed_year="error"))
    with pytest.raises(CalendarError, match="CN holiday schedule for 2027 is not confirmed"):
        engine.complaint_sla(_complaint(2027), as_of=dt.datetime(2027, 10, 1, tzinfo=SH))
    engine.complaint_sla(_complaint(2026), as_of=dt.datetime(2026, 10, 1, tzinfo=SH))


def test_the_error_says_to_confirm_a_year_whose_schedule_the_overrides_hold(
        tmp_path: Path) -> None:
    """With the published schedule entered but its year not yet named confirmed, the error
    said the year was in neither the data nor the overrides, and to add it there."""
    entered = [{"date": dt.date(2027, 10, 6), "working": False, "name": "国庆节"}]
    engine = fp.PolicyEngine(_pack_with_calendar(tmp_path, unconfirmed_year="error",
                                                 overrides=entered))
    with pytest.raises(CalendarError) as info:
        engine.complaint_sla(_complaint(2027), as_of=dt.datetime(2027, 10, 1, tzinfo=SH))
    said = str(info.value)
    assert "the calendar's overrides hold 1 day of 2027" in said
    assert "add 2027 to spec.calendar.confirmed_years" in said
    assert "nor in the policy's calendar overrides" not in said


def test_overrides_in_the_pack_move_deadlines_and_confirm_the_year(tmp_path: Path) -> None:
    published = [{"date": dt.date(2027, 10, d), "working": False, "name": "国庆节"}
                 for d in (6, 7, 8)]
    bundle = _pack_with_calendar(tmp_path, overrides=published, confirmed_years=[2027])
    now = dt.datetime(2027, 10, 2, tzinfo=SH)
    before = fp.PolicyEngine(fp.load_bundle()).complaint_sla(_complaint(2027), as_of=now)
    after = fp.PolicyEngine(bundle).complaint_sla(_complaint(2027), as_of=now)
    assert after.warnings == ()
    moved = [(a.name, a.due_at, b.due_at) for a, b in zip(before.milestones, after.milestones,
                                                          strict=True) if a.due_at != b.due_at]
    assert moved, "the published days off must move a working-day deadline"
    assert bundle.digest != fp.load_bundle().digest  # the overrides are pinned by the digest


@pytest.mark.parametrize(("calendar", "field", "said"), [
    # 1,822,262,400 is 2027-10-01 as a Unix time: pydantic would have read it as that day
    ({"overrides": [{"date": 1822262400, "working": False, "name": "国庆节"}],
      "confirmed_years": [2027]}, "overrides[0].date", "expected an ISO date as text"),
    ({"confirmed_years": [True]}, "confirmed_years[0]", "expected a number, got `true`"),
])
def test_an_override_day_or_a_confirmed_year_is_not_read_from_another_type(
        tmp_path: Path, calendar: dict[str, object], field: str, said: str) -> None:
    with pytest.raises(fp.PolicyError) as caught:
        _pack_with_calendar(tmp_path, **calendar)
    text = str(caught.value)
    assert f"spec.calendar.{field}" in text and said in text and "complaints.yaml" in text
