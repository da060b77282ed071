"""Draw one complaint's milestones on a time axis as SVG, non-working days shaded.

Each milestone is a bar from its start to its due time, coloured by status, with a dot where it
was completed; a red line marks ``now``. Days are laid out in the policy's time zone.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from finpolicy.calendars import WorkingCalendar
from finpolicy.domains.complaints.models import SlaReport

COLOURS = {"met": "#2e7d32", "pending": "#1565c0", "at_risk": "#f9a825", "breached": "#c62828"}
_LEFT, _RIGHT, _TOP, _ROW, _AXIS = 170, 20, 54, 30, 40
_DAY_WIDTH_MAX, _WIDTH_TARGET = 36.0, 900.0


def render_timeline(report: SlaReport, calendar: WorkingCalendar, *,
                    received_at: dt.datetime) -> str:
    """The SVG of ``report``'s milestones; ``calendar`` shades the non-working days."""
    now = calendar.local(report.as_of) if isinstance(report.as_of, dt.datetime) else None
    received = calendar.local(received_at)
    moments = [received]
    for m in report.milestones:
        moments += [t for t in (m.started_at, m.due_at, m.completed_at) if t is not None]
    if now is not None:
        moments.append(now)
    first_day = min(moments).date()
    last_day = max(moments).date() + dt.timedelta(days=1)
    days = (last_day - first_day).days + 1
    day_width = min(_DAY_WIDTH_MAX, _WIDTH_TARGET / days)
    width = _LEFT + days * day_width + _RIGHT
    rows = max(1, len(report.milestones))
    height = _TOP + rows * _ROW + _AXIS
    origin = calendar.end_of_day(first_day) - dt.timedelta(days=1) + dt.timedelta(microseconds=1)

    def x(moment: dt.datetime) -> float:
        return _LEFT + (moment - origin).total_seconds() / 86400 * day_width

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
           f'viewBox="0 0 {width:.0f} {height}" font-family="sans-serif" font-size="12">',
           f'<title>complaint {escape(report.complaint_id)}: {escape(report.outcome)}</title>',
           f'<text x="8" y="20" font-size="14" font-weight="bold">complaint '
           f'{escape(report.complaint_id)} — {escape(report.outcome)} — route '
           f'{escape(report.route)}</text>']
    bottom = _TOP + rows * _ROW
    label_every = 1 if day_width >= 24 else (7 if day_width >= 4 else 30)
    for i in range(days):
        day = first_day + dt.timedelta(days=i)
        left = _LEFT + i * day_width
        working = calendar.is_working_day(day)
        if not working:
            out.append(f'<rect class="day-off" x="{left:.1f}" y="{_TOP - 6}" '
                       f'width="{day_width:.1f}" height="{bottom - _TOP + 6}" fill="#e0e0e0">'
                       f'<title>{day.isoformat()} not a working day</title></rect>')
        out.append(f'<line x1="{left:.1f}" y1="{_TOP - 6}" x2="{left:.1f}" y2="{bottom}" '
                   f'stroke="#f0f0f0"/>')
        if i % label_every == 0:
            out.append(f'<text x="{left + 2:.1f}" y="{bottom + 14}" font-size="9" '
                       f'fill="#555">{day:%m-%d}</text>')
    for row, m in enumerate(report.milestones):
        y = _TOP + row * _ROW
        out.append(f'<text x="8" y="{y + 15}">{escape(m.name)}</text>')
        colour = COLOURS[m.status]
        if m.started_at is None or m.due_at is None:
            out.append(f'<text x="{_LEFT + 4}" y="{y + 15}" fill="#777">not started '
                       f'({escape(m.allowed)})</text>')
            continue
        start, due = x(m.started_at), x(m.due_at)
        tip = (f'{m.name}: {m.status}, due {m.due_at.isoformat()} ({m.allowed})'
               + (f', completed {m.completed_at.isoformat()}' if m.completed_at else ''))
        out.append(f'<rect class="milestone {m.status}" x="{start:.1f}" y="{y + 4}" '
                   f'width="{max(due - start, 1.0):.1f}" height="{_ROW - 12}" rx="3" '
                   f'fill="{colour}" fill-opacity="0.35" stroke="{colour}">'
                   f'<title>{escape(tip)}</title></rect>')
        out.append(f'<line x1="{due:.1f}" y1="{y + 2}" x2="{due:.1f}" y2="{y + _ROW - 6}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        if m.completed_at is not None:
            out.append(f'<circle class="completed" cx="{x(m.completed_at):.1f}" '
                       f'cy="{y + _ROW / 2 - 2:.1f}" r="5" fill="{colour}"/>')
    if now is not None:
        out.append(f'<line class="now" x1="{x(now):.1f}" y1="{_TOP - 10}" x2="{x(now):.1f}" '
                   f'y2="{bottom}" stroke="#d50000" stroke-dasharray="4 2"/>'
                   f'<text x="{x(now) + 3:.1f}" y="{_TOP - 12}" fill="#d50000">now</text>')
    legend = "  ".join(f"■ {name}" for name in COLOURS)
    out.append(f'<text x="8" y="{height - 8}" font-size="10" fill="#555">{legend}  '
               f'(grey: not a working day in {escape(calendar.timezone)})</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def timeline_svg(engine: Any, complaint: Any, *, now: Any = None,
                 policy: str | None = None) -> str:
    """Evaluate ``complaint`` at ``now`` and draw its timeline."""
    from finpolicy.domains.complaints.evaluate import complaint_sla
    from finpolicy.domains.complaints.models import Complaint

    parsed = Complaint.parse(complaint, field="complaint")
    report = complaint_sla(engine, parsed, now=now, policy=policy)
    doc = engine.policy("ComplaintPolicy", parsed.received_at.date(), policy)
    return render_timeline(report, doc.policy.calendar, received_at=parsed.received_at)
