"""Draw complaint milestones on a day axis as SVG: the one timeline renderer.

Days are laid out in the calendar's time zone; days off are shaded and working days numbered
from the effective receipt day (W0: a receipt after the cut-off or on a day off counts from the
next working day). Each milestone is a bar from its start to its deadline, coloured by its
status when it has one, with a dot where it was completed; a dashed line marks the receipt and
a red one ``now``; the time a milestone's clock stopped is hatched on its bar (each local day
it touches does not count). ``finpolicy sla --timeline`` and the docs' SLA picture both draw
with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import attrs

from finpolicy.calendars import Pause, WorkingCalendar
from finpolicy.domains.complaints.models import Complaint, SlaDecision, minute_text

__all__ = ["COLOURS", "Bar", "draw_timeline", "milestone_pauses", "render_timeline",
           "timeline_svg"]

COLOURS = {"met": "#2e7d32", "pending": "#1565c0", "at_risk": "#f9a825", "breached": "#c62828"}
_PALETTE = ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#e53935", "#00897b", "#6d4c41")
_DAY_OFF = "#e0e0e0"
_ROW, _TOP = 30, 58


@attrs.frozen(slots=True)
class Bar:
    """One milestone on the axis: from ``start`` to ``due``; ``status`` colours it;
    ``pauses`` are the times its clock stopped."""

    name: str
    start: dt.datetime
    due: dt.datetime
    note: str = ""
    status: str | None = None
    completed: dt.datetime | None = None
    pauses: tuple[Pause, ...] = ()


def _day_columns(calendar: WorkingCalendar, start: dt.datetime, first: dt.date, days: int,
                 day_w: float, label_w: float, bottom: float) -> list[str]:
    out = []
    origin = calendar.effective_receipt_day(start)
    working = 0
    label_every = 1 if day_w >= 24 else (7 if day_w >= 4 else 30)
    for i in range(days):
        day = first + dt.timedelta(days=i)
        left = label_w + i * day_w
        is_working = calendar.is_working_day(day)
        if is_working and day > origin:
            working += 1
        if is_working:
            out.append(f'<rect x="{left:.1f}" y="{_TOP - 22}" width="{day_w:.1f}" '
                       f'height="{bottom - _TOP + 22}" fill="#ffffff" stroke="#cfd8dc"/>')
        else:
            out.append(f'<rect class="day-off" x="{left:.1f}" y="{_TOP - 22}" '
                       f'width="{day_w:.1f}" height="{bottom - _TOP + 22}" fill="{_DAY_OFF}" '
                       f'stroke="#cfd8dc"><title>{day.isoformat()} not a working day</title>'
                       '</rect>')
        if i % label_every:
            continue
        out.append(f'<text x="{left + day_w / 2:.1f}" y="{_TOP - 26}" text-anchor="middle" '
                   f'fill="#455a64">{day:%m-%d}</text>')
        label = ("W0" if day == origin else f"W{working}" if is_working and day > origin
                 else "" if is_working else "off")
        out.append(f'<text x="{left + day_w / 2:.1f}" y="{_TOP - 9}" text-anchor="middle" '
                   f'font-size="10" fill="{"#1b5e20" if is_working else "#616161"}">'
                   f'{label}</text>')
    return out


def draw_timeline(calendar: WorkingCalendar, start: dt.datetime, bars: Sequence[Bar], *,
                  now: dt.datetime | None = None, title: str = "") -> str:
    """The SVG (plus a caption explaining it) of ``bars`` received at ``start``."""
    local = calendar.local
    moments = [local(start)] + [local(t) for b in bars for t in (b.start, b.due, b.completed)
                                if t is not None]
    if now is not None:
        moments.append(local(now))
    first = min(moments).date()
    days = (max(moments).date() + dt.timedelta(days=1) - first).days + 1
    day_w = min(34.0, 900.0 / days)
    label_w = max([200] + [int(5.5 * max(len(b.name), len(b.note))) + 24 for b in bars])
    width = label_w + days * day_w + 20
    bottom = _TOP + max(len(bars), 1) * _ROW
    height = bottom + 58

    def x(moment: dt.datetime) -> float:
        t = local(moment)
        offset = (t.date() - first).days + (t.hour * 3600 + t.minute * 60 + t.second) / 86400
        return label_w + offset * day_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="finpolicy-picture '
           f'finpolicy-sla-timeline" width="{width:.0f}" height="{height}" '
           f'viewBox="0 0 {width:.0f} {height}" font-family="sans-serif" font-size="11" '
           f'role="img" aria-label="{escape(title or "SLA timeline")}">',
           f'<title>{escape(title or "SLA timeline")}</title>',
           # a white ground: the drawing's dark text stays readable on a dark page
           f'<rect class="ground" width="{width:.0f}" height="{height}" fill="#ffffff"/>']
    if any(b.pauses for b in bars):
        out.append('<defs><pattern id="paused" width="6" height="6" '
                   'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
                   '<rect width="3" height="6" fill="#37474f" fill-opacity="0.5"/>'
                   '</pattern></defs>')
    if title:
        out.append(f'<text x="4" y="14" font-size="13" font-weight="bold">{escape(title)}</text>')
    out += _day_columns(calendar, start, first, days, day_w, label_w, bottom)
    for row, bar in enumerate(bars):
        out += _bar(bar, row, x, local)
    sx = x(start)
    out.append(f'<line class="received" x1="{sx:.1f}" y1="{_TOP - 22}" x2="{sx:.1f}" '
               f'y2="{bottom}" stroke="#37474f" stroke-dasharray="4 3"/>')
    if now is not None:
        nx = x(now)
        out.append(f'<line class="now" x1="{nx:.1f}" y1="{_TOP - 22}" x2="{nx:.1f}" '
                   f'y2="{bottom}" stroke="#d50000" stroke-width="2"/>'
                   f'<text x="{nx + 3:.1f}" y="{bottom + 14}" fill="#d50000">now</text>')
    out += _legend(calendar, start, bars, now is not None, bottom)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend(calendar: WorkingCalendar, start: dt.datetime, bars: Sequence[Bar], with_now: bool,
            bottom: float) -> list[str]:
    """Two lines under the axis saying how to read it."""
    first = (f"Dashed line: received {minute_text(calendar.local(start))}. Grey: days off "
             f"in {calendar.timezone}. Wn: the n-th working day after the effective receipt "
             "day W0.")
    second = "Each bar ends at its deadline" + (". Red line: now" if with_now else "") + (
        ". Hatched: its clock stopped (a day it touches does not count)"
        if any(b.pauses for b in bars) else "") + "."
    out = [f'<text class="legend" x="4" y="{bottom + 32}" font-size="10" fill="#37474f">'
           f'{escape(first)}</text>']
    x = 4.0
    parts = [(second, "#37474f")]
    if any(b.status for b in bars):
        # the swatch in the status colour, its name in dark grey (readable on white)
        parts += [(" Colours:", "#37474f")]
        for status, colour in COLOURS.items():
            parts += [(" ■", colour), (f" {status}", "#37474f")]
    line = f'<text class="legend" x="{x}" y="{bottom + 46}" font-size="10">'
    line += "".join(f'<tspan fill="{c}">{escape(text)}</tspan>' for text, c in parts)
    out.append(line + "</text>")
    return out


def _bar(bar: Bar, row: int, x: Any, local: Any) -> list[str]:
    y = _TOP + row * _ROW + 4
    colour = COLOURS.get(bar.status or "", _PALETTE[row % len(_PALETTE)])
    x0, x1 = x(bar.start), x(bar.due)
    tip = (f"{bar.name}: {bar.status + ', ' if bar.status else ''}due "
           f"{minute_text(local(bar.due))}" + (f" ({bar.note})" if bar.note else "")
           + (f", completed {local(bar.completed):%Y-%m-%d %H:%M}" if bar.completed else ""))
    css = f"milestone {bar.status}" if bar.status else "milestone"
    out = [f'<text x="4" y="{y + 12}" font-weight="bold">{escape(bar.name)}</text>',
           f'<text x="4" y="{y + 24}" font-size="10" fill="#455a64">{escape(bar.note)}</text>',
           f'<rect class="{css}" x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 2):.1f}" '
           f'height="14" rx="3" fill="{colour}" fill-opacity="0.6" stroke="{colour}">'
           f'<title>{escape(tip)}</title></rect>',
           f'<line x1="{x1:.1f}" y1="{y}" x2="{x1:.1f}" y2="{y + 20}" stroke="{colour}" '
           'stroke-width="2"/>']
    for begin, end in bar.pauses:
        p0, p1 = x(max(begin, bar.start)), x(min(end, bar.due))
        if p1 <= p0:
            continue
        tip = (f"{bar.name}: clock stopped {local(begin):%Y-%m-%d %H:%M} – "
               f"{local(end):%Y-%m-%d %H:%M}; the days it touches do not count")
        out.append(f'<rect class="paused" x="{p0:.1f}" y="{y + 3}" width="{p1 - p0:.1f}" '
                   f'height="14" fill="url(#paused)" stroke="#37474f" stroke-dasharray="2 2">'
                   f'<title>{escape(tip)}</title></rect>')
    if bar.completed is not None:
        out.append(f'<circle class="completed" cx="{x(bar.completed):.1f}" cy="{y + 10}" r="5" '
                   f'fill="{colour}"/>')
    return out


def render_timeline(report: SlaDecision, calendar: WorkingCalendar, *,
                    received_at: dt.datetime, title: str | None = None,
                    pauses: Mapping[str, Sequence[Pause]] | None = None) -> str:
    """The timeline of ``report``'s milestones (those that have started); ``pauses``: the
    times each milestone's clock stopped, by name (``milestone_pauses``)."""
    now = report.as_of if isinstance(report.as_of, dt.datetime) else None
    stopped = pauses or {}
    bars = [Bar(m.name, m.started_at or received_at, m.due_at, m.allowed, m.status,
                m.completed_at, tuple(stopped.get(m.name, ())))
            for m in report.milestones if m.due_at is not None]
    if title is None:
        title = (f"complaint {report.complaint_id}: {report.outcome}, route {report.route}")
    return draw_timeline(calendar, received_at, bars, now=now, title=title)


def timeline_svg(runtime: Any, complaint: Any, *, as_of: Any = None,
                 policy: str | None = None, now: Any = None) -> str:
    """Evaluate ``complaint`` as of ``as_of`` (``now`` is its deprecated name) and draw its
    timeline."""
    from finpolicy._compat import renamed
    from finpolicy.domains.complaints.evaluate import complaint_sla
    from finpolicy.domains.complaints.versions import policy_at

    when = renamed(as_of, now, old_name="now", new_name="as_of", where="timeline_svg")
    parsed = Complaint.parse(complaint, field="complaint")
    report = complaint_sla(runtime, parsed, as_of=when, policy=policy)
    doc = policy_at(runtime, parsed.received_at, policy, "complaint.received_at")
    return render_timeline(report, doc.policy.calendar, received_at=parsed.received_at,
                           pauses=milestone_pauses(doc.policy, parsed, report))


def milestone_pauses(rules: Any, complaint: Complaint, report: SlaDecision
                     ) -> dict[str, list[Pause]]:
    """The times each of ``report``'s milestones had its clock stopped (by ``complaint``'s
    pauses that stop it, up to its completion or the report's time), by name."""
    from finpolicy.domains.complaints.evaluate import _timeline

    assert isinstance(report.as_of, dt.datetime)  # SLA decisions are always taken at a time
    utc = dt.UTC
    tl = _timeline(rules, complaint, complaint.received_at.astimezone(utc),
                   report.as_of.astimezone(utc), "")
    found: dict[str, list[Pause]] = {}
    for m in rules.milestones:
        if not m.pausable:
            continue
        used = [p for kind, p in tl.tagged if m.paused_by is None or kind in m.paused_by]
        done = next((s.completed_at for s in report.milestones
                     if s.name == m.name and s.completed_at is not None), None)
        if done is not None:
            used = [(a, min(b, done)) for a, b in used if a < done]
        if used:
            found[m.name] = used
    return found
