"""Pictures of a consent policy: the purpose × channel matrix and a consent timeline.

Both show what ``check_processing`` decides: every cell of the matrix and every contact on the
timeline is a decision of the engine, not a second reading of the YAML. The timeline's SVG is
a Jinja2 template (Jinja2 comes with Sphinx, which the docs need anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import attrs

from finpolicy.docgen.html import COLOURS, cell_list, escape, html_table, in_force_day, legend
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import Picture
from finpolicy.domains.consent.evaluate import check_processing
from finpolicy.domains.consent.model import Consent, ConsentDecision, ProcessingRequest
from finpolicy.domains.consent.spec import ConsentRules, ContactCell, Purpose
from finpolicy.runtime import Runtime

__all__ = ["PICTURES", "consent_timeline", "purpose_channel_matrix"]

_PROBE_TIME = dt.time(10, 0)


def _probe(runtime: Runtime, doc: PolicyDocument[ConsentRules], purpose: Purpose,
           channel: str, at: dt.datetime) -> ConsentDecision:
    """A contact at ``at`` with a consent covering it exactly, given ten days before."""
    request = ProcessingRequest(customer="cu-docs", purpose=purpose.name, channel=channel,
                                as_of=at)
    notice = sorted(purpose.notices)[-1] if purpose.notices else None
    consent = Consent(id="c-docs", customer="cu-docs", purpose=purpose.name,
                      channels=[channel], separate=True, given_at=at - dt.timedelta(days=10),
                      evidence="ev-docs", notice_version=notice)
    return check_processing(runtime, request, consents=[consent], policy=doc.id)


def _cell_rules(cell: ContactCell | None) -> list[str]:
    if cell is None:
        return []
    out = []
    if cell.start is not None and cell.end is not None:
        out.append(f"{cell.start:%H:%M}–{cell.end:%H:%M} local")
    if cell.cap is not None:
        out.append(f"≤ {cell.cap} per {cell.cap_days} days")
    return out


def purpose_channel_matrix(runtime: Runtime, doc: PolicyDocument[ConsentRules]) -> str:
    """Purpose × channel, coloured by ``check_processing`` for a contact at 10:00 local time
    with a consent that covers it exactly (separate, naming the channel, under the newest
    notice, given ten days before) and no earlier contacts; each cell lists the allowed hours,
    the cap and what the consent had to be."""
    rules = doc.policy
    at = dt.datetime.combine(in_force_day(doc), _PROBE_TIME, rules.zone)
    rows = []
    for purpose in rules.purposes.values():
        row = [(f"{escape(purpose.name)}<br><span style=\"font-weight:normal;font-size:11px\">"
                f"{escape(purpose.title)} ({escape(purpose.basis)})</span>", "text-align:left")]
        for channel in rules.channels:
            decision = _probe(runtime, doc, purpose, channel, at)
            cell = purpose.contact.get(channel)
            needs = [r.replace("_", " ") for r in decision.required if r != "consent"]
            lines = _cell_rules(cell) + (["consent: " + ", ".join(needs)] if needs else
                                         ["consent"] if decision.required else
                                         ["no consent needed"])
            inner = f"<b>{escape(decision.outcome)}</b>"
            if decision.allowed or cell is not None:
                inner += f"<br>{cell_list(lines)}"
            else:
                inner += f"<br>{cell_list(decision.rule_ids)}"
            tip = escape("; ".join(decision.rule_ids))
            row.append((f'<span title="{tip}">{inner}</span>',
                        f"background:{COLOURS[decision.outcome]}"))
        rows.append(row)
    header = ["Purpose \\ channel", *[f"{name} {title}" for name, title in
                                      rules.channels.items()]]
    return legend([("allowed", COLOURS["allow"]), ("denied", COLOURS["deny"])]) + html_table(
        header, rows, caption=f"{doc.id} {doc.version}: a contact at 10:00 local time on "
                              f"{at.date()} with a consent that covers it (hover a cell for "
                              "the rules)",
        css_class="finpolicy-picture finpolicy-consent-matrix")


@attrs.frozen(slots=True)
class _Story:
    """A sample customer's marketing consents and contact attempts."""

    consents: tuple[Consent, ...]
    attempts: tuple[tuple[str, dt.datetime], ...]
    start: dt.datetime
    end: dt.datetime


def _story(doc: PolicyDocument[ConsentRules], purpose: Purpose) -> _Story:
    rules = doc.policy
    day0 = dt.datetime.combine(in_force_day(doc), _PROBE_TIME, rules.zone)
    notice = sorted(purpose.notices)[-1] if purpose.notices else None
    reach = [c for c in rules.channels if c in purpose.contact] or list(rules.channels)
    # a channel with allowed hours (for the attempt at night) and another, without if any
    first = next((c for c in reach if purpose.contact.get(c, ContactCell()).start), reach[0])
    others = [c for c in reach if c != first] or [first]
    second = next((c for c in others if not purpose.contact.get(c, ContactCell()).start),
                  others[0])

    def day(n: float, hour: int = 10) -> dt.datetime:
        return day0.replace(hour=hour) + dt.timedelta(days=n)

    def consent(cid: str, channel: str, given: dt.datetime,
                withdrawn: dt.datetime | None = None) -> Consent:
        return Consent(id=cid, customer="cu-docs", purpose=purpose.name, channels=[channel],
                       separate=True, given_at=given, withdrawn_at=withdrawn,
                       evidence=f"ev-{cid}", notice_version=notice)

    consents = (consent("c-1", first, day(0), withdrawn=day(10, 12)),
                consent("c-2", second, day(3)), consent("c-3", first, day(20)))
    attempts = ((first, day(1)), (first, day(2, 23)), (second, day(4)), (second, day(12)),
                (first, day(12, 15)), (first, day(21)), (second, day(21, 15)))
    return _Story(consents, attempts, day(-1), day(28))


_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" class="finpolicy-picture finpolicy-consent-timeline"
 width="{{ width }}" height="{{ height }}" viewBox="0 0 {{ width }} {{ height }}"
 font-family="sans-serif" font-size="11" role="img" aria-label="{{ title }}">
<title>{{ title }}</title>
<text x="4" y="14" font-size="13" font-weight="bold">{{ title }}</text>
{% for tick in ticks %}<line x1="{{ tick.x }}" y1="28" x2="{{ tick.x }}" y2="{{ bottom }}"
 stroke="#eceff1"/><text x="{{ tick.x }}" y="26" text-anchor="middle" fill="#455a64"
 font-size="10">{{ tick.label }}</text>
{% endfor %}{% for bar in bars %}<text x="4" y="{{ bar.y + 12 }}" font-weight="bold">{{ bar.label
 }}</text><rect x="{{ bar.x0 }}" y="{{ bar.y }}" width="{{ bar.width }}" height="14" rx="3"
 fill="#43a047" fill-opacity="0.5" stroke="#2e7d32"><title>{{ bar.tip }}</title></rect>
{% if bar.ended %}<line x1="{{ bar.x1 }}" y1="{{ bar.y - 3 }}" x2="{{ bar.x1 }}"
 y2="{{ bar.y + 17 }}" stroke="#c62828" stroke-width="2"/><text x="{{ bar.x1 + 4 }}"
 y="{{ bar.y + 11 }}" fill="#c62828" font-size="10">{{ bar.ended }}</text>{% endif %}
{% endfor %}{% for row in rows %}<text x="4" y="{{ row.y + 4 }}" font-weight="bold">contacts by
 {{ row.channel }}</text>
{% endfor %}{% for mark in marks %}<circle cx="{{ mark.x }}" cy="{{ mark.y }}" r="6"
 fill="{{ mark.colour }}" stroke="#37474f"><title>{{ mark.tip }}</title></circle>
{% endfor %}<text x="4" y="{{ bottom + 16 }}" font-size="10" fill="#37474f">{{ legend }}</text>
</svg>
"""


def _end(rules: ConsentRules, purpose: Purpose, consent: Consent,
         others: Sequence[Consent]) -> tuple[dt.datetime | None, str]:
    """When ``consent`` stops counting, and why (``None``: not within the story)."""
    delay = rules.withdrawal_delay
    ends = [(w.withdrawn_at + delay, f"withdrawn ({w.id})") for w in others
            if w.withdrawn_at is not None and w.purpose in rules.stopped_by.get(purpose.name, ())
            and consent.given_at <= w.withdrawn_at]
    if consent.withdrawn_at is not None:
        ends.append((consent.withdrawn_at + delay, "withdrawn"))
    if consent.expires_at is not None:
        ends.append((consent.expires_at, "expired"))
    if purpose.consent_days is not None:
        ends.append((consent.given_at + dt.timedelta(days=purpose.consent_days), "lapsed"))
    return min(ends, key=lambda e: e[0]) if ends else (None, "")


def consent_timeline(runtime: Runtime, doc: PolicyDocument[ConsentRules]) -> str:
    """A sample customer's marketing consents (bars until they stop counting) and contact
    attempts (dots, green when ``check_processing`` allows, red when it denies): a withdrawal
    of one consent stops the purpose on every channel, a later consent starts it again, and a
    contact at night falls outside the allowed hours."""
    from jinja2 import Environment

    rules = doc.policy
    purpose = next((p for p in rules.purposes.values() if p.basis == "consent" and p.contact),
                   None)
    if purpose is None:
        return "<p>No purpose of this policy contacts customers on consent.</p>"
    story = _story(doc, purpose)
    span = (story.end - story.start).total_seconds()
    left, width = 150.0, 900.0

    def x(t: dt.datetime) -> float:
        return round(left + (t - story.start).total_seconds() / span * width, 1)

    bars = []
    for i, consent in enumerate(story.consents):
        ended, why = _end(rules, purpose, consent, story.consents)
        if ended is None or ended > story.end:
            ended, why = None, ""
        x1 = x(ended or story.end)
        bars.append({"y": 40 + 26 * i, "label": f"{consent.id} ({', '.join(consent.channels)})",
                     "x0": x(consent.given_at), "x1": x1, "width": max(x1 - x(consent.given_at), 2),
                     "ended": why, "tip": f"given {consent.given_at:%Y-%m-%d %H:%M}"})
    contacts_y = 40 + 26 * len(bars) + 8
    channels = list(dict.fromkeys(channel for channel, _ in story.attempts))
    rows = [{"channel": c, "y": contacts_y + 8 + 22 * i} for i, c in enumerate(channels)]
    marks = []
    for channel, at in story.attempts:
        d = check_processing(runtime, ProcessingRequest(customer="cu-docs", purpose=purpose.name,
                                                        channel=channel, as_of=at),
                             consents=story.consents, policy=doc.id)
        marks.append({"x": x(at), "y": rows[channels.index(channel)]["y"], "channel": channel,
                      "colour": "#66bb6a" if d.allowed else "#ef5350",
                      "tip": f"{at:%m-%d %H:%M} {channel}: {d.outcome} ({', '.join(d.rule_ids)})"})
    days = int(span // 86400)
    ticks = [{"x": x(story.start + dt.timedelta(days=n)),
              "label": f"{story.start + dt.timedelta(days=n):%m-%d}"}
             for n in range(0, days + 1, 3)]
    bottom = contacts_y + 22 * len(rows) + 8
    title = (f"{doc.id} {doc.version}: {purpose.name} consents of a sample customer "
             f"({rules.zone})")
    legend_text = ("Bars: consents while they count (red mark: when they stop). Dots: contact "
                   "attempts, green allowed, red denied (hover for the rules).")
    return Environment(autoescape=True).from_string(_SVG).render(
        width=int(left + width + 40), height=bottom + 26, title=title, ticks=ticks, bars=bars,
        marks=marks, rows=rows, bottom=bottom, legend=legend_text) + "\n"


PICTURES = (Picture("consent-matrix", "Purpose × channel matrix", purpose_channel_matrix),
            Picture("consent-timeline", "Consent timeline", consent_timeline))
