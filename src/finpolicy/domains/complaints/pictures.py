"""The SLA timeline of a sample complaint, drawn from ``complaint_sla``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from finpolicy.calendars import WorkingCalendar
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import Picture
from finpolicy.domains.complaints.evaluate import complaint_sla
from finpolicy.domains.complaints.models import Complaint, ComplaintEvent
from finpolicy.domains.complaints.policy import RECEIVED, ComplaintRules
from finpolicy.domains.complaints.timeline import Bar, draw_timeline
from finpolicy.runtime import Runtime

__all__ = ["PICTURES", "sla_timeline", "timeline_svg"]


def _sample_receipt(calendar: WorkingCalendar, doc: PolicyDocument[ComplaintRules]
                    ) -> dt.datetime:
    """10:00 local time on the first working day in force that has a public holiday (a day off
    that is not a weekend) within the next ten days, so the picture shows a deadline moving
    past one; the first working day in force when there is none within a year."""
    start = doc.metadata.effective_from
    fallback = None
    for i in range(366):
        day = start + dt.timedelta(days=i)
        if not calendar.is_working_day(day):
            continue
        fallback = fallback or day
        ahead = (day + dt.timedelta(days=j) for j in range(1, 11))
        if any(d.weekday() < 5 and not calendar.is_working_day(d) for d in ahead):
            break
    else:
        day = fallback or start
    return dt.datetime.combine(day, dt.time(10), calendar.zone)


def sla_timeline(runtime: Runtime, doc: PolicyDocument[ComplaintRules]) -> str:
    """The milestones of a sample complaint on a day axis, from ``complaint_sla``.

    The complaint is of the first category, channel and severity the policy lists, received
    at 10:00 local time shortly before a public holiday; milestones that start from a later
    event (e.g. ``handled``) get that event at 10:00 on the third working day, but for one
    that starts within a window after another event (a review after a decision).
    """
    policy, spec = doc.policy, doc.spec
    calendar = policy.calendar
    received = _sample_receipt(calendar, doc)
    later = calendar.add_working_days(calendar.effective_receipt_day(received), 3)
    later_at = dt.datetime.combine(later, dt.time(10), calendar.zone)
    # (a review is requested of a decision: the sample has none, so it asks for no review)
    events = sorted({m.starts for m in policy.milestones if m.starts != RECEIVED
                     and (m.window is None or m.window[0] == RECEIVED)})
    complaint = Complaint(
        id="timeline-sample", received_at=received, channel=spec.channels[0].name,
        category=spec.categories[0].name,
        severity=min(spec.severities, key=lambda sv: sv.rank).name,
        events=[ComplaintEvent(kind=kind, at=later_at) for kind in events])
    report = complaint_sla(runtime, complaint, as_of=max([received, later_at]), policy=doc.id)
    starts = {m.name: m.starts for m in policy.milestones}
    notes = {m.name: m.allowed + (f" from {starts[m.name]}"
                                  if starts.get(m.name, RECEIVED) != RECEIVED else "")
             for m in report.milestones}
    bars = [Bar(m.name, m.started_at or received, m.due_at, notes[m.name])
            for m in report.milestones if m.due_at is not None]
    title = (f"{doc.id} {doc.version}: a {complaint.severity} {complaint.category} complaint "
             f"received {calendar.local(received):%Y-%m-%d %H:%M} ({calendar.timezone})")
    return draw_timeline(calendar, received, bars, title=title)


def timeline_svg(calendar: WorkingCalendar, start: dt.datetime,
                 bars: Sequence[tuple[str, dt.datetime, dt.datetime, str]], *,
                 title: str = "") -> str:
    """Milestones ``(name, from, due, note)`` on a day axis (``draw_timeline`` with plain
    tuples)."""
    return draw_timeline(calendar, start, [Bar(*bar) for bar in bars], title=title)


PICTURES = (Picture("sla-timeline", "SLA timeline", sla_timeline),)
