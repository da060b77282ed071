"""A complaint's deadlines (its report, its explanation, its timeline) and a consent decision's
local time are printed with their UTC offset, ``2025-03-31 23:59 +08:00``. They were printed
with the zone's abbreviation (``%Z``): ``CST``, which is China Standard Time and US Central
time alike, in a note compliance staff read and forward."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import finpolicy as fp
from finpolicy.domains.complaints.policy import POLICY_KIND
from finpolicy.domains.complaints.timeline import milestone_pauses, render_timeline

SH = ZoneInfo("Asia/Shanghai")
ENGINE = fp.PolicyEngine()


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def _complaint() -> fp.Complaint:
    return fp.Complaint(id="c1", received_at=sh(2025, 3, 3, 10), channel="phone",
                        category="product",
                        events=[fp.ComplaintEvent(kind="mediation_started", at=sh(2025, 3, 10, 11)),
                                fp.ComplaintEvent(kind="mediation_ended", at=sh(2025, 3, 12, 11)),
                                fp.ComplaintEvent(kind="new_material", at=sh(2025, 3, 14, 10))])


def test_a_complaints_explanation_gives_offsets() -> None:
    explanation = ENGINE.explain("complaint_sla", _complaint(), as_of=sh(2025, 3, 27, 12))
    note = next(o.note for o in explanation.why_not if o.id == "regulatory_decision")
    assert note == ("due 2025-03-31 23:59 +08:00 (15 calendar days, 30 after `extended`, 60 "
                    "after `extended_further`; counted from the restart at 2025-03-14 10:00 "
                    "+08:00)")
    assert "CST" not in explanation.text()


def test_a_complaints_report_gives_offsets() -> None:
    text = ENGINE.complaint_sla(_complaint(), as_of=sh(2025, 3, 27, 12)).explain()
    assert "due 2025-03-17 23:59 +08:00 (7 working days)" in text
    assert "CST" not in text


def test_a_complaints_timeline_gives_offsets() -> None:
    complaint, now = _complaint(), sh(2025, 3, 27, 12)
    report = ENGINE.complaint_sla(complaint, as_of=now)
    doc = ENGINE.runtime.policy(POLICY_KIND, complaint.received_at.date())
    svg = render_timeline(report, doc.policy.calendar, received_at=complaint.received_at,
                          pauses=milestone_pauses(doc.policy, complaint, report))
    assert "Dashed line: received 2025-03-03 10:00 +08:00." in svg
    assert "due 2025-03-31 23:59 +08:00" in svg
    assert "CST" not in svg


def _sms(at: dt.datetime, **changes: Any) -> Any:
    consent = fp.Consent(id="c-mkt", customer="cu-1", purpose="marketing",
                         channels=["sms", "email"], separate=True,
                         given_at=dt.datetime(2025, 1, 1, tzinfo=SH), evidence="form-881",
                         notice_version="privacy-2025")
    request = fp.ProcessingRequest(customer="cu-1", purpose="marketing", channel="sms",
                                   as_of=at, **changes)
    return ENGINE.check_processing(request, consents=[consent])


def test_a_consent_decision_gives_the_customers_offset() -> None:
    utc = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert "local time 2026-03-02 07:30 +08:00" in _sms(utc).explain()
    chicago = _sms(utc, time_zone="America/Chicago").explain()  # US Central: CST too
    assert "local time 2026-03-01 17:30 -06:00" in chicago


def test_a_time_without_an_offset_is_written_without_one() -> None:
    from finpolicy.domains.complaints.models import minute_text

    assert minute_text(dt.datetime(2025, 3, 3, 10, 5)) == "2025-03-03 10:05"
    assert minute_text(dt.datetime(2025, 3, 3, 10, 5, tzinfo=ZoneInfo("Asia/Kolkata"))) \
        == "2025-03-03 10:05 +05:30"
