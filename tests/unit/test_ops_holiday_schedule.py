"""A bank entering next year's holiday schedule (调休) in its pack: what a report says of a
year not yet confirmed, and the override lists a pack refuses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

import finpolicy as fp
from tests.helpers.packversions import with_calendar

SH = ZoneInfo("Asia/Shanghai")


def _pack(tmp_path: Path, **calendar: object) -> fp.Bundle:
    return with_calendar(tmp_path / "pack", **calendar)


def _complaint(day: dt.date) -> fp.Complaint:
    return fp.Complaint(id="c-1", received_at=dt.datetime(day.year, day.month, day.day, 10,
                                                          tzinfo=SH),
                        channel="phone", category="service")


def _day(text: str, working: bool, name: str = "国庆节") -> dict[str, object]:
    return {"date": dt.date.fromisoformat(text), "working": working, "name": name}


def _warnings(bundle: fp.Bundle, columnar: bool) -> list[str]:
    engine = fp.PolicyEngine(bundle)
    complaint, now = _complaint(dt.date(2027, 3, 1)), dt.datetime(2027, 3, 2, tzinfo=SH)
    if columnar:  # the Arrow path words its warnings itself
        table = pa.table({"id": ["c-1"], "received_at": [complaint.received_at.isoformat()],
                          "channel": ["phone"], "category": ["service"]})
        out = engine.evaluate_table("complaints", table, as_of=now)
        return list(out.column("warnings")[0].as_py())
    return list(engine.complaint_sla(complaint, as_of=now).warnings)


@pytest.mark.parametrize("columnar", [False, True])
def test_the_unconfirmed_year_warning_says_what_to_do(columnar: bool) -> None:
    said = _warnings(fp.load_bundle(), columnar)
    assert len(said) == 1
    assert "2027 is not confirmed" in said[0]
    assert "spec.calendar.overrides" in said[0]
    assert "add 2027 to spec.calendar.confirmed_years" in said[0]


@pytest.mark.parametrize("columnar", [False, True])
def test_overrides_entered_but_the_year_not_confirmed_say_to_confirm_it(
        tmp_path: Path, columnar: bool) -> None:
    bundle = _pack(tmp_path, overrides=[_day("2027-10-06", False), _day("2027-10-09", True)])
    said = _warnings(bundle, columnar)
    assert len(said) == 1
    assert "the calendar's overrides hold 2 days of 2027" in said[0]
    assert "add 2027 to spec.calendar.confirmed_years" in said[0]


# A hypothetical 2027 schedule (the dates are invented): National Day 1-7 October off, with
# Sunday 26 September and Saturday 9 October worked.
_NATIONAL_DAY = [*(_day(f"2027-10-0{d}", False) for d in range(1, 8)),
                 _day("2027-09-26", True, "国庆节调休"), _day("2027-10-09", True, "国庆节调休")]


@pytest.mark.parametrize(("changed", "field", "said", "code"), [
    # the 7th both off and worked: the later entry silently won
    ([*_NATIONAL_DAY, _day("2027-10-07", True)], "overrides[9].date",
     "2027-10-07 is listed twice (overrides[6] too)", "duplicate_override"),
    # the year mistyped: a Saturday of 2026, already published, became a working day
    ([*_NATIONAL_DAY[:7], _day("2026-09-26", True, "国庆节调休"), _NATIONAL_DAY[8]],
     "overrides[7].date", "2026-09-26 is in 2026, whose schedule the installed holidays "
     "data holds, and not among the confirmed_years (2027)",
     "override_outside_confirmed_years"),
    # a make-up day on a weekday (Friday 8 October instead of Saturday 9 October)
    ([*_NATIONAL_DAY[:8], _day("2027-10-08", True, "国庆节调休")], "overrides[8].date",
     "2027-10-08 (Friday) is a working day already", "override_changes_nothing"),
])
def test_a_wrong_override_list_is_refused_naming_the_day(
        tmp_path: Path, changed: list[dict[str, object]], field: str, said: str,
        code: str) -> None:
    with pytest.raises(fp.PolicyError) as caught:
        _pack(tmp_path, overrides=changed, confirmed_years=[2027])
    text = str(caught.value)
    assert f"spec.calendar.{field}" in text and said in text and "complaints.yaml" in text
    assert [p.code for p in caught.value.problems] == [code]



def test_a_confirmed_year_with_its_schedule_entered_under_another_year_is_refused(
        tmp_path: Path) -> None:
    # the schedule copied with the wrong year: 2027 confirmed, its days entered as 2028
    typed = [{**day, "date": dt.date.fromisoformat(str(day["date"])).replace(year=2028)}
             for day in _NATIONAL_DAY if not day["working"]]
    with pytest.raises(fp.PolicyError) as caught:
        _pack(tmp_path, overrides=typed, confirmed_years=[2027])
    text = str(caught.value)
    assert "spec.calendar.confirmed_years[0]: 2027 is confirmed, but no override is in 2027" \
        in text
    assert [p.code for p in caught.value.problems] == ["confirmed_year_without_schedule"]
