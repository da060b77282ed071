"""Events at the same instant decide the same whatever order the input lists them in
(``Complaint.events`` are "in any order"): a pause that ends and starts again at one instant,
and a pause of no length."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp

SH = ZoneInfo("Asia/Shanghai")
ENGINE = fp.PolicyEngine()


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def _due(events: list[tuple[str, dt.datetime]]) -> dt.datetime | None:
    c = fp.Complaint(id="c1", received_at=sh(2025, 3, 3, 10), channel="phone",
                     category="product",
                     events=[fp.ComplaintEvent(kind=k, at=at) for k, at in events])
    return ENGINE.complaint_sla(c, as_of=sh(2025, 3, 13, 12)).milestone(
        "regulatory_decision").due_at


# two mediation sessions, 10:00-12:00 and 12:00-14:00 on 5 March: one paused day
SESSIONS = [("mediation_started", sh(2025, 3, 5, 10)), ("mediation_ended", sh(2025, 3, 5, 12)),
            ("mediation_started", sh(2025, 3, 5, 12)), ("mediation_ended", sh(2025, 3, 5, 14))]


@pytest.mark.parametrize("events", [list(p) for p in itertools.permutations(SESSIONS)])
def test_a_session_ending_as_the_next_starts_is_read_in_any_order(
        events: list[tuple[str, dt.datetime]]) -> None:
    # 15 days from 3 March end on 18 March; the paused 5 March moves it to 19 March
    assert _due(events) == dt.datetime(2025, 3, 19, 23, 59, 59, 999999, tzinfo=SH)


@pytest.mark.parametrize("events", [
    [("mediation_started", sh(2025, 3, 5, 10)), ("mediation_ended", sh(2025, 3, 5, 10))],
    [("mediation_ended", sh(2025, 3, 5, 10)), ("mediation_started", sh(2025, 3, 5, 10))]])
def test_a_pause_of_no_length_is_read_in_either_order(
        events: list[tuple[str, dt.datetime]]) -> None:
    assert _due(events) == dt.datetime(2025, 3, 18, 23, 59, 59, 999999, tzinfo=SH)
