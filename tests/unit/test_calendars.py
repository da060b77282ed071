"""Working-day calendars and SLA deadlines, pinned at their edges with real dates."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import holidays
import pytest

from finpolicy.calendars import WorkingCalendar, elapsed_share

SH = ZoneInfo("Asia/Shanghai")
LON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def cn() -> WorkingCalendar:
    return WorkingCalendar("CN", None, "Asia/Shanghai", time(17, 0))


@pytest.fixture(scope="module")
def eng() -> WorkingCalendar:
    return WorkingCalendar("GB", "ENG", "Europe/London", time(17, 0))


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def eod(d: date, zone: ZoneInfo = SH) -> datetime:
    return datetime.combine(d, time(23, 59, 59, 999999), tzinfo=zone)


# -- construction ---------------------------------------------------------------------


def test_unknown_jurisdiction_is_rejected_with_a_lower_case_message() -> None:
    with pytest.raises(ValueError, match="^unknown jurisdiction 'XX'$"):
        WorkingCalendar("XX", None, "UTC")


def test_unknown_subdivision_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown jurisdiction 'GB' with subdivision 'XYZ'"):
        WorkingCalendar("GB", "XYZ", "Europe/London")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_unknown_timezone_is_rejected(zone: str) -> None:
    with pytest.raises(ValueError, match="^unknown time zone"):
        WorkingCalendar("CN", None, zone)


def test_aware_cutoff_is_rejected() -> None:
    with pytest.raises(ValueError, match="cutoff must be a local time"):
        WorkingCalendar("CN", None, "Asia/Shanghai", time(17, tzinfo=UTC))


def test_calendar_is_frozen(cn: WorkingCalendar) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        cn.cutoff = time(18)  # type: ignore[misc]


def test_equal_calendars_compare_and_hash_equal_and_survive_pickling(cn: WorkingCalendar) -> None:
    other = WorkingCalendar("CN", None, "Asia/Shanghai", time(17, 0))
    assert other == cn
    assert hash(other) == hash(cn)
    assert other != WorkingCalendar("CN", None, "Asia/Shanghai", time(18, 0))
    restored = pickle.loads(pickle.dumps(cn))
    assert restored == cn
    assert restored.is_working_day(date(2025, 9, 28))
    assert not restored.is_working_day(date(2025, 10, 8))


# -- China: the holiday data we rely on -----------------------------------------------


def test_holidays_package_lists_spring_festival_2026_days_off_and_make_up_days() -> None:
    data = holidays.country_holidays("CN", years=2026, language="en_US")
    february_off = sorted(d for d in data if d.month == 2)
    assert february_off == [date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)]
    # 2026-02-17 is the first day of the lunar year.
    assert data[date(2026, 2, 17)] == "Chinese New Year (Spring Festival)"
    assert data[date(2026, 2, 16)] == "Chinese New Year's Eve"
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= data.weekend_workdays


@pytest.mark.parametrize("day", range(15, 24))
def test_spring_festival_2026_feb_15_to_23_are_days_off(cn: WorkingCalendar, day: int) -> None:
    assert not cn.is_working_day(date(2026, 2, day))


@pytest.mark.parametrize("d", [date(2026, 2, 14), date(2026, 2, 28)])
def test_spring_festival_2026_make_up_saturdays_are_working_days(
    cn: WorkingCalendar, d: date
) -> None:
    assert d.weekday() == 5
    assert cn.is_working_day(d)


@pytest.mark.parametrize("day", range(1, 9))
def test_national_day_2025_oct_1_to_8_are_days_off(cn: WorkingCalendar, day: int) -> None:
    assert not cn.is_working_day(date(2025, 10, day))


def test_weekend_working_days_around_national_day_2025(cn: WorkingCalendar) -> None:
    assert date(2025, 9, 28).weekday() == 6
    assert date(2025, 10, 11).weekday() == 5
    assert cn.is_working_day(date(2025, 9, 28))
    assert cn.is_working_day(date(2025, 10, 11))


def test_ordinary_weekends_and_weekdays_in_china(cn: WorkingCalendar) -> None:
    assert not cn.is_working_day(date(2025, 9, 27))  # Saturday
    assert not cn.is_working_day(date(2025, 10, 12))  # Sunday
    assert not cn.is_working_day(date(2025, 10, 18))  # Saturday
    assert cn.is_working_day(date(2025, 9, 30))  # Tuesday
    assert cn.is_working_day(date(2025, 10, 9))  # Thursday


def test_new_year_2026_sunday_jan_4_is_a_working_day_and_jan_2_is_off(cn: WorkingCalendar) -> None:
    assert not cn.is_working_day(date(2026, 1, 1))
    assert not cn.is_working_day(date(2026, 1, 2))
    assert cn.is_working_day(date(2026, 1, 4))


def test_working_days_are_known_in_far_past_and_future_years(cn: WorkingCalendar) -> None:
    assert not cn.is_working_day(date(1990, 10, 1))  # National Day
    assert not cn.is_working_day(date(2040, 1, 1))  # New Year's Day
    assert cn.is_working_day(date(2040, 1, 3))  # Tuesday
    assert not cn.is_working_day(date(2300, 1, 6))  # Saturday
    assert cn.is_working_day(date(2300, 1, 8))  # Monday
    # Going back and forth after extending the range still gives the 2025 answers.
    assert cn.is_working_day(date(2025, 9, 28))
    assert not cn.is_working_day(date(2025, 10, 1))


def test_working_day_methods_reject_datetimes(cn: WorkingCalendar) -> None:
    with pytest.raises(TypeError, match="must be a date"):
        cn.is_working_day(sh(2025, 9, 28, 10))


def test_arithmetic_past_year_9999_raises_overflow(cn: WorkingCalendar) -> None:
    assert cn.add_working_days(date(9999, 12, 1), 10) == date(9999, 12, 15)
    with pytest.raises(OverflowError):
        cn.add_working_days(date(9999, 12, 1), 30)


# -- working-day arithmetic -----------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 9, 26), date(2025, 9, 28)),  # Fri -> Sun make-up day
        (date(2025, 9, 28), date(2025, 9, 29)),
        (date(2025, 9, 30), date(2025, 10, 9)),  # across National Day
        (date(2025, 10, 10), date(2025, 10, 11)),  # Fri -> Sat make-up day
        (date(2025, 10, 11), date(2025, 10, 13)),
        (date(2025, 12, 31), date(2026, 1, 4)),  # across the year end to a Sunday make-up day
        (date(2026, 2, 13), date(2026, 2, 14)),
        (date(2026, 2, 14), date(2026, 2, 24)),  # across Spring Festival 2026
    ],
)
def test_next_working_day_is_strictly_after(cn: WorkingCalendar, d: date, expected: date) -> None:
    assert cn.next_working_day(d) == expected


def test_add_working_days_counts_strictly_after_the_day(cn: WorkingCalendar) -> None:
    assert cn.add_working_days(date(2025, 9, 29), 1) == date(2025, 9, 30)
    assert cn.add_working_days(date(2025, 9, 29), 2) == date(2025, 10, 9)
    assert cn.add_working_days(date(2025, 9, 29), 4) == date(2025, 10, 11)
    assert cn.add_working_days(date(2025, 10, 1), 1) == date(2025, 10, 9)


def test_add_zero_working_days_returns_the_day_itself(cn: WorkingCalendar) -> None:
    assert cn.add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)


def test_add_negative_working_days_is_rejected(cn: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        cn.add_working_days(date(2025, 10, 3), -1)


def test_working_days_between_is_half_open(cn: WorkingCalendar) -> None:
    # (Sep 30, Oct 11] holds Oct 9, 10 and the make-up Saturday Oct 11.
    assert cn.working_days_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    # (Sep 29, Sep 30]: the start day is excluded, the end day included.
    assert cn.working_days_between(date(2025, 9, 29), date(2025, 9, 30)) == 1
    assert cn.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert cn.working_days_between(date(2025, 9, 30), date(2025, 9, 30)) == 0
    assert cn.working_days_between(date(2025, 10, 11), date(2025, 9, 30)) == 0


def test_working_days_in_2025_match_a_day_by_day_count(cn: WorkingCalendar) -> None:
    reference = holidays.country_holidays("CN", years=2025)
    expected = sum(
        reference.is_working_day(date(2025, 1, 1) + timedelta(days=i)) for i in range(365)
    )
    assert cn.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == expected


# -- local time and receipt -----------------------------------------------------------


def test_local_converts_aware_datetimes_to_the_calendar_zone(cn: WorkingCalendar) -> None:
    converted = cn.local(datetime(2025, 9, 22, 9, 30, tzinfo=UTC))
    assert converted == sh(2025, 9, 22, 17, 30)
    assert converted.tzinfo == SH
    assert converted.hour == 17


def test_local_rejects_naive_datetimes(cn: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="^naive datetime"):
        cn.local(datetime(2025, 9, 22, 10))


def test_end_of_day_is_the_last_local_instant(cn: WorkingCalendar) -> None:
    end = cn.end_of_day(date(2025, 10, 9))
    assert end == eod(date(2025, 10, 9))
    assert end.utcoffset() == timedelta(hours=8)
    assert end + timedelta(microseconds=1) == sh(2025, 10, 10)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2025, 9, 22, 16, 59), date(2025, 9, 22)),
        (sh(2025, 9, 22, 17, 0, 0), date(2025, 9, 22)),  # exactly at the cutoff: same day
        (sh(2025, 9, 22, 17, 0, 1), date(2025, 9, 23)),
        (sh(2025, 9, 22, 17, 0, 0, 1), date(2025, 9, 23)),
        (sh(2025, 9, 22, 0, 0), date(2025, 9, 22)),
        (sh(2025, 9, 27, 10, 0), date(2025, 9, 28)),  # Saturday -> Sunday make-up day
        (sh(2025, 9, 28, 10, 0), date(2025, 9, 28)),  # make-up Sunday counts itself
        (sh(2025, 9, 28, 17, 1), date(2025, 9, 29)),
        (sh(2025, 9, 30, 17, 1), date(2025, 10, 9)),  # after cutoff before National Day
        (sh(2025, 10, 3, 9, 0), date(2025, 10, 9)),  # on a holiday
        (sh(2025, 10, 10, 18, 0), date(2025, 10, 11)),  # Fri evening -> make-up Saturday
        (sh(2025, 10, 12, 9, 0), date(2025, 10, 13)),  # ordinary Sunday
        (sh(2026, 2, 13, 17, 30), date(2026, 2, 14)),  # -> make-up Saturday
        (sh(2026, 2, 17, 9, 0), date(2026, 2, 24)),  # Spring Festival day
    ],
)
def test_effective_receipt_day(cn: WorkingCalendar, at: datetime, expected: date) -> None:
    assert cn.effective_receipt_day(at) == expected


def test_utc_receipt_is_judged_against_the_shanghai_cutoff(cn: WorkingCalendar) -> None:
    # 09:30 UTC is 17:30 in Shanghai: after the cutoff.
    assert cn.effective_receipt_day(datetime(2025, 9, 22, 9, 30, tzinfo=UTC)) == date(2025, 9, 23)
    # 08:59 UTC is 16:59 in Shanghai: before it.
    assert cn.effective_receipt_day(datetime(2025, 9, 22, 8, 59, tzinfo=UTC)) == date(2025, 9, 22)
    # 20:00 UTC on Sunday is 04:00 Monday in Shanghai.
    assert cn.effective_receipt_day(datetime(2025, 9, 21, 20, 0, tzinfo=UTC)) == date(2025, 9, 22)


def test_london_receipt_is_judged_against_the_shanghai_cutoff(cn: WorkingCalendar) -> None:
    # 10:00 BST = 09:00 UTC = 17:00 Shanghai: exactly the cutoff, same day.
    assert cn.effective_receipt_day(datetime(2025, 9, 22, 10, 0, tzinfo=LON)) == date(2025, 9, 22)
    # 09:30 GMT in winter = 17:30 Shanghai: next day.
    assert cn.effective_receipt_day(datetime(2026, 1, 5, 9, 30, tzinfo=LON)) == date(2026, 1, 6)


def test_effective_receipt_day_rejects_naive_datetimes(cn: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="^naive datetime"):
        cn.effective_receipt_day(datetime(2025, 9, 22, 10))


# -- working-day deadlines ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (sh(2025, 9, 22, 10, 0), 2, date(2025, 9, 24)),  # Mon 10:00 -> end of Wed
        (sh(2025, 9, 22, 17, 0), 2, date(2025, 9, 24)),  # at the cutoff: same
        (sh(2025, 9, 22, 17, 1), 2, date(2025, 9, 25)),  # after it: effective Tue -> Thu
        (sh(2025, 9, 22, 10, 0), 0, date(2025, 9, 22)),  # same-day SLA
        (sh(2025, 9, 27, 10, 0), 1, date(2025, 9, 29)),  # Sat -> effective Sun 28 -> Mon
        (sh(2025, 9, 26, 10, 0), 1, date(2025, 9, 28)),  # Fri -> make-up Sunday
        (sh(2025, 9, 29, 16, 59), 1, date(2025, 9, 30)),
        (sh(2025, 9, 29, 17, 1), 1, date(2025, 10, 9)),  # Tue 30 is day 0, Oct 9 day 1
        (sh(2025, 9, 29, 10, 0), 3, date(2025, 10, 10)),
        (sh(2025, 9, 29, 10, 0), 4, date(2025, 10, 11)),  # lands on the make-up Saturday
        (sh(2025, 10, 1, 10, 0), 1, date(2025, 10, 10)),  # holiday -> effective Oct 9
        (sh(2026, 2, 12, 10, 0), 2, date(2026, 2, 14)),  # Thu -> Fri 13, make-up Sat 14
        (sh(2026, 2, 12, 10, 0), 3, date(2026, 2, 24)),  # then across Spring Festival
        (sh(2026, 2, 15, 10, 0), 15, date(2026, 3, 16)),  # effective Feb 24
    ],
)
def test_working_days_deadline(cn: WorkingCalendar, start: datetime, n: int, due: date) -> None:
    result = cn.working_days_deadline(start, n)
    assert result == eod(due)
    assert result.tzinfo == SH


def test_working_days_deadline_from_a_utc_receipt_after_the_shanghai_cutoff(
    cn: WorkingCalendar,
) -> None:
    result = cn.working_days_deadline(datetime(2025, 9, 22, 9, 30, tzinfo=UTC), 2)
    assert result == eod(date(2025, 9, 25))
    assert result.tzinfo == SH


def test_working_days_deadline_rejects_negative_counts(cn: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        cn.working_days_deadline(sh(2025, 9, 22, 10), -1)


def test_working_days_pause_on_a_counted_day_moves_the_deadline_one_working_day(
    cn: WorkingCalendar,
) -> None:
    start = sh(2025, 9, 22, 10)
    pause = (sh(2025, 9, 23, 14), sh(2025, 9, 23, 15))
    assert cn.working_days_deadline(start, 2, [pause]) == eod(date(2025, 9, 25))


def test_working_days_pause_on_the_receipt_day_does_not_count(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    pause = (sh(2025, 9, 22, 11), sh(2025, 9, 22, 16))
    assert cn.working_days_deadline(start, 2, [pause]) == eod(date(2025, 9, 24))


def test_working_days_pause_over_midnight_touches_two_days(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    pause = (sh(2025, 9, 23, 23), sh(2025, 9, 24, 1))
    assert cn.working_days_deadline(start, 2, [pause]) == eod(date(2025, 9, 26))


def test_working_days_pause_ending_at_midnight_does_not_touch_the_next_day(
    cn: WorkingCalendar,
) -> None:
    start = sh(2025, 9, 22, 10)
    pause = (sh(2025, 9, 23, 20), sh(2025, 9, 24, 0))
    assert cn.working_days_deadline(start, 2, [pause]) == eod(date(2025, 9, 25))


def test_working_days_overlapping_pauses_count_a_day_once(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    pauses = [
        (sh(2025, 9, 23, 9), sh(2025, 9, 23, 12)),
        (sh(2025, 9, 23, 11), sh(2025, 9, 23, 13)),
    ]
    assert cn.working_days_deadline(start, 2, pauses) == eod(date(2025, 9, 25))


def test_working_days_pause_on_a_day_off_or_after_the_deadline_does_not_count(
    cn: WorkingCalendar,
) -> None:
    start = sh(2025, 9, 22, 10)
    # Sat 27 is a day off; the 5th working day is the make-up Sunday 28.
    assert cn.working_days_deadline(start, 5) == eod(date(2025, 9, 28))
    saturday = (sh(2025, 9, 27, 10), sh(2025, 9, 27, 12))
    assert cn.working_days_deadline(start, 5, [saturday]) == eod(date(2025, 9, 28))
    later = (sh(2025, 9, 30, 10), sh(2025, 9, 30, 12))
    assert cn.working_days_deadline(start, 5, [later]) == eod(date(2025, 9, 28))


def test_working_days_pause_pushes_the_deadline_across_national_day(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    pause = (sh(2025, 9, 25, 10), sh(2025, 9, 25, 11))
    # Counted days become 23, 24, 26, 28, 29; one more pause day on the 29th -> 30th.
    assert cn.working_days_deadline(start, 5, [pause]) == eod(date(2025, 9, 29))
    second = (sh(2025, 9, 29, 10), sh(2025, 9, 29, 11))
    assert cn.working_days_deadline(start, 5, [pause, second]) == eod(date(2025, 9, 30))
    third = (sh(2025, 9, 30, 10), sh(2025, 9, 30, 11))
    assert cn.working_days_deadline(start, 5, [pause, second, third]) == eod(date(2025, 10, 9))


def test_working_days_pause_landing_on_the_shifted_deadline_shifts_it_again(
    cn: WorkingCalendar,
) -> None:
    start = sh(2025, 9, 22, 10)
    pauses = [
        (sh(2025, 9, 23, 10), sh(2025, 9, 23, 11)),
        (sh(2025, 9, 25, 10), sh(2025, 9, 25, 11)),
    ]
    assert cn.working_days_deadline(start, 2, pauses) == eod(date(2025, 9, 26))


# -- calendar-day deadlines -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (sh(2025, 9, 22, 10), date(2025, 10, 9)),  # day 15 = Oct 7, holiday -> Oct 9
        (sh(2025, 9, 22, 23, 59), date(2025, 10, 9)),  # no cutoff for calendar days
        (sh(2025, 9, 16, 10), date(2025, 10, 9)),  # day 15 = Oct 1
        (sh(2025, 9, 13, 10), date(2025, 9, 28)),  # day 15 = make-up Sunday: stays
        (sh(2025, 10, 1, 10), date(2025, 10, 16)),  # starting on a holiday
        (sh(2025, 10, 26, 10), date(2025, 11, 10)),  # ordinary Monday
        (sh(2025, 11, 1, 10), date(2025, 11, 17)),  # day 15 = Sunday -> Monday
        (sh(2026, 2, 1, 10), date(2026, 2, 24)),  # day 15 = Feb 16, Spring Festival
        (sh(2026, 9, 16, 10), date(2026, 10, 8)),  # day 15 = Oct 1, 2026
    ],
)
def test_fifteen_calendar_days(cn: WorkingCalendar, start: datetime, due: date) -> None:
    result = cn.calendar_days_deadline(start, 15)
    assert result == eod(due)
    assert result.tzinfo == SH


def test_calendar_day_deadline_on_a_saturday_moves_to_the_make_up_sunday(
    cn: WorkingCalendar,
) -> None:
    # Day 15 after Sep 12 is Sat Sep 27 (day off); the next working day is Sun Sep 28.
    assert cn.calendar_days_deadline(sh(2025, 9, 12, 10), 15) == eod(date(2025, 9, 28))


def test_calendar_days_start_on_the_local_date_of_a_utc_time(cn: WorkingCalendar) -> None:
    # 20:00 UTC Oct 25 is 04:00 Oct 26 in Shanghai: day 15 is Mon Nov 10.
    start = datetime(2025, 10, 25, 20, 0, tzinfo=UTC)
    assert cn.calendar_days_deadline(start, 15) == eod(date(2025, 11, 10))


def test_zero_calendar_days_ends_today_or_next_working_day(cn: WorkingCalendar) -> None:
    assert cn.calendar_days_deadline(sh(2025, 9, 22, 10), 0) == eod(date(2025, 9, 22))
    assert cn.calendar_days_deadline(sh(2025, 10, 2, 10), 0) == eod(date(2025, 10, 9))


def test_calendar_days_pause_moves_the_deadline_by_paused_days(cn: WorkingCalendar) -> None:
    start = sh(2025, 11, 3, 10)  # Monday; day 15 is Tue Nov 18
    assert cn.calendar_days_deadline(start, 15) == eod(date(2025, 11, 18))
    one_day = (sh(2025, 11, 5, 10), sh(2025, 11, 5, 11))
    assert cn.calendar_days_deadline(start, 15, [one_day]) == eod(date(2025, 11, 19))
    three_days = (sh(2025, 11, 5, 12), sh(2025, 11, 7, 12))
    assert cn.calendar_days_deadline(start, 15, [three_days]) == eod(date(2025, 11, 21))
    # Saturdays are calendar days too: Nov 8 paused -> one day later.
    saturday = (sh(2025, 11, 8, 10), sh(2025, 11, 8, 11))
    assert cn.calendar_days_deadline(start, 15, [saturday]) == eod(date(2025, 11, 19))


def test_calendar_days_pause_on_the_start_day_does_not_count(cn: WorkingCalendar) -> None:
    start = sh(2025, 11, 3, 10)
    pause = (sh(2025, 11, 3, 11), sh(2025, 11, 3, 12))
    assert cn.calendar_days_deadline(start, 15, [pause]) == eod(date(2025, 11, 18))


def test_calendar_days_roll_forward_skips_a_paused_working_day(cn: WorkingCalendar) -> None:
    start = sh(2025, 11, 1, 10)  # day 15 = Sun Nov 16 -> Mon Nov 17
    pause = (sh(2025, 11, 17, 9), sh(2025, 11, 17, 10))
    assert cn.calendar_days_deadline(start, 15, [pause]) == eod(date(2025, 11, 18))


# -- hour deadlines -------------------------------------------------------------------


def test_hours_deadline_is_plain_elapsed_time(cn: WorkingCalendar) -> None:
    result = cn.hours_deadline(sh(2025, 9, 30, 10), 48)
    assert result == sh(2025, 10, 2, 10)  # holidays do not stop the hour clock
    assert result.tzinfo == SH


def test_hours_deadline_counts_real_hours_across_a_dst_change(eng: WorkingCalendar) -> None:
    # Clocks go forward at 01:00 GMT on 2026-03-29: 24 elapsed hours end at 13:00 BST.
    start = datetime(2026, 3, 28, 12, 0, tzinfo=LON)
    result = eng.hours_deadline(start, 24)
    assert result == datetime(2026, 3, 29, 13, 0, tzinfo=LON)
    assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)


def test_hours_pauses_add_their_merged_duration(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    single = [(sh(2025, 9, 22, 12), sh(2025, 9, 22, 14))]
    assert cn.hours_deadline(start, 24, single) == sh(2025, 9, 23, 12)
    overlapping = [
        (sh(2025, 9, 22, 12), sh(2025, 9, 22, 14)),
        (sh(2025, 9, 22, 13), sh(2025, 9, 22, 15)),
    ]
    assert cn.hours_deadline(start, 24, overlapping) == sh(2025, 9, 23, 13)


def test_hours_pause_before_start_counts_only_from_start(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    pause = [(sh(2025, 9, 22, 8), sh(2025, 9, 22, 11))]
    assert cn.hours_deadline(start, 24, pause) == sh(2025, 9, 23, 11)


def test_hours_pause_at_or_after_the_deadline_does_not_count(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    at_due = [(sh(2025, 9, 23, 10), sh(2025, 9, 23, 12))]
    assert cn.hours_deadline(start, 24, at_due) == sh(2025, 9, 23, 10)
    straddling = [(sh(2025, 9, 23, 9), sh(2025, 9, 23, 12))]
    assert cn.hours_deadline(start, 24, straddling) == sh(2025, 9, 23, 13)


def test_hours_pause_given_in_another_zone(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 22, 10)
    # 04:00-05:00 UTC is 12:00-13:00 in Shanghai, inside the three hours from 10:00.
    pause = [(datetime(2025, 9, 22, 4, tzinfo=UTC), datetime(2025, 9, 22, 5, tzinfo=UTC))]
    assert cn.hours_deadline(start, 3, pause) == sh(2025, 9, 22, 14)


# -- pause validation and dispatch ----------------------------------------------------


@pytest.mark.parametrize("unit", ["hours", "working_days", "calendar_days"])
def test_open_pause_is_rejected(cn: WorkingCalendar, unit: str) -> None:
    with pytest.raises(ValueError, match="still open"):
        open_pause = [(sh(2025, 9, 22, 11), None)]
        cn.deadline(sh(2025, 9, 22, 10), 2, unit, open_pause)  # type: ignore[arg-type]


@pytest.mark.parametrize("unit", ["hours", "working_days", "calendar_days"])
def test_pause_resuming_before_it_starts_is_rejected(cn: WorkingCalendar, unit: str) -> None:
    with pytest.raises(ValueError, match="resumes before it starts"):
        backwards = [(sh(2025, 9, 23, 11), sh(2025, 9, 23, 10))]
        cn.deadline(sh(2025, 9, 22, 10), 2, unit, backwards)  # type: ignore[arg-type]


@pytest.mark.parametrize("unit", ["hours", "working_days", "calendar_days"])
def test_naive_datetimes_are_rejected_for_start_and_pauses(cn: WorkingCalendar, unit: str) -> None:
    with pytest.raises(ValueError, match="^naive datetime"):
        cn.deadline(datetime(2025, 9, 22, 10), 2, unit)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^naive datetime"):
        cn.deadline(
            sh(2025, 9, 22, 10),
            2,
            unit,  # type: ignore[arg-type]
            [(datetime(2025, 9, 23, 10), sh(2025, 9, 23, 11))],
        )


def test_deadline_dispatches_on_the_unit(cn: WorkingCalendar) -> None:
    start = sh(2025, 9, 29, 17, 1)
    pauses = [(sh(2025, 10, 9, 10), sh(2025, 10, 9, 11))]
    assert cn.deadline(start, 1, "working_days", pauses) == eod(date(2025, 10, 10))
    assert cn.deadline(start, 2, "calendar_days") == eod(date(2025, 10, 9))
    assert cn.deadline(start, 3, "hours") == sh(2025, 9, 29, 20, 1)


def test_deadline_rejects_unknown_units_and_negative_amounts(cn: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="unknown deadline unit 'fortnights'"):
        cn.deadline(sh(2025, 9, 22, 10), 2, "fortnights")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be negative"):
        cn.deadline(sh(2025, 9, 22, 10), -2, "hours")


# -- England --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "d",
    [
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2025, 12, 25),  # Christmas Day
        date(2025, 12, 26),  # Boxing Day
        date(2026, 4, 4),  # Saturday
        date(2026, 4, 5),  # Sunday
    ],
)
def test_england_days_off(eng: WorkingCalendar, d: date) -> None:
    assert not eng.is_working_day(d)


def test_england_business_days_around_easter_2026(eng: WorkingCalendar) -> None:
    assert eng.is_working_day(date(2026, 4, 2))
    assert eng.next_working_day(date(2026, 4, 2)) == date(2026, 4, 7)
    # (Mar 30, Apr 10]: Mar 31, Apr 1, 2, 7, 8, 9, 10.
    assert eng.working_days_between(date(2026, 3, 30), date(2026, 4, 10)) == 7


def test_england_eight_weeks_landing_on_easter_monday_moves_to_tuesday(
    eng: WorkingCalendar,
) -> None:
    start = datetime(2026, 2, 9, 11, 0, tzinfo=LON)  # Monday; +56 days = Easter Monday
    assert eng.calendar_days_deadline(start, 8 * 7) == eod(date(2026, 4, 7), LON)


def test_england_eight_weeks_on_an_ordinary_day(eng: WorkingCalendar) -> None:
    start = datetime(2026, 3, 2, 11, 0, tzinfo=LON)
    result = eng.deadline(start, 56, "calendar_days")
    assert result == eod(date(2026, 4, 27), LON)
    assert result.utcoffset() == timedelta(hours=1)  # summer time by then


def test_england_receipt_cutoff_in_summer_time(eng: WorkingCalendar) -> None:
    # 16:00 UTC = 17:00 BST: at the cutoff; 16:01 UTC is after it.
    assert eng.effective_receipt_day(datetime(2026, 4, 2, 16, 0, tzinfo=UTC)) == date(2026, 4, 2)
    assert eng.effective_receipt_day(datetime(2026, 4, 2, 16, 1, tzinfo=UTC)) == date(2026, 4, 7)
    due = eng.working_days_deadline(datetime(2026, 4, 2, 16, 1, tzinfo=UTC), 3)
    assert due == eod(date(2026, 4, 10), LON)


# -- elapsed share --------------------------------------------------------------------


def test_elapsed_share_runs_from_zero_at_start_to_one_at_due() -> None:
    start, due = sh(2025, 9, 22, 10), sh(2025, 9, 23, 10)
    assert elapsed_share(start, due, start) == 0.0
    assert elapsed_share(start, due, sh(2025, 9, 22, 22)) == 0.5
    assert elapsed_share(start, due, due) == 1.0
    assert elapsed_share(start, due, sh(2025, 9, 23, 22)) == 1.5


def test_elapsed_share_before_start_is_zero() -> None:
    assert elapsed_share(sh(2025, 9, 22, 10), sh(2025, 9, 23, 10), sh(2025, 9, 21, 10)) == 0.0


def test_elapsed_share_mixes_zones_by_real_time() -> None:
    start = sh(2025, 9, 22, 10)  # 02:00 UTC
    due = datetime(2025, 9, 22, 6, tzinfo=UTC)
    now = datetime(2025, 9, 22, 4, tzinfo=UTC)
    assert elapsed_share(start, due, now) == 0.5


def test_elapsed_share_with_no_allowed_time() -> None:
    at = sh(2025, 9, 22, 10)
    assert elapsed_share(at, at, at - timedelta(seconds=1)) == 0.0
    assert elapsed_share(at, at, at) == 1.0


def test_elapsed_share_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="^naive datetime"):
        elapsed_share(sh(2025, 9, 22, 10), sh(2025, 9, 23, 10), datetime(2025, 9, 22, 12))
