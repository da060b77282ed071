"""Pictures where people would rather look than read: the suitability matrix, the access
matrix, the classification levels and the complaint SLA timeline.

Each is an HTML table or inline SVG with inline styles, so it renders in any browser without
plugins or style sheets. Every picture is computed through the public API
(``engine.check_suitability``, ``engine.authorize``, ``engine.complaint_sla``) where one exists,
so it shows what the engine decides, not a second reading of the YAML.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import Any

from finpolicy.documents.bundle import PolicyDocument

# Outcome colours, shared by every picture: green allows, amber conditions, red refuses.
COLOURS = {
    "suitable": "#c8e6c9", "allow": "#c8e6c9", "met": "#c8e6c9",
    "conditional": "#ffe0b2", "grant": "#ffe0b2", "at_risk": "#ffe0b2",
    "unsuitable": "#ffcdd2", "deny": "#ffcdd2", "breached": "#ffcdd2",
    "pending": "#e3f2fd", "error": "#e0e0e0",
}
_TABLE = ("border-collapse:collapse;font-family:sans-serif;font-size:13px;"
          "margin:0.5em 0 1.5em 0")
_CELL = "border:1px solid #999;padding:4px 8px;text-align:center;vertical-align:top"
_HEAD = _CELL + ";background:#eceff1;font-weight:bold"


# --- pictures: shared helpers --------------------------------------------------------------------

def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def html_table(header: Sequence[str], rows: Iterable[Sequence[tuple[str, str]]], *,
               caption: str = "", css_class: str = "finpolicy-picture") -> str:
    """An HTML table; each body cell is ``(inner_html, extra_style)``."""
    out = [f'<table class="{css_class}" style="{_TABLE}">']
    if caption:
        out.append(f'<caption style="caption-side:top;text-align:left;font-weight:bold;'
                   f'padding:4px 0">{_e(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f'<th style="{_HEAD}">{_e(h)}</th>' for h in header)
               + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, (inner, style) in enumerate(row):
            tag = "th" if i == 0 else "td"
            base = _HEAD if i == 0 else _CELL
            cells.append(f'<{tag} style="{base};{style}">{inner}</{tag}>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def legend(items: Iterable[tuple[str, str]]) -> str:
    """A row of coloured swatches: ``(label, colour)``."""
    spans = [f'<span style="display:inline-block;margin-right:12px">'
             f'<span style="display:inline-block;width:14px;height:14px;background:{c};'
             f'border:1px solid #999;vertical-align:middle"></span> {_e(label)}</span>'
             for label, c in items]
    return f'<p class="finpolicy-legend" style="font-family:sans-serif;font-size:13px">' \
           f'{"".join(spans)}</p>'


# --- pictures by kind ----------------------------------------------------------------------------

def _noon(doc: PolicyDocument) -> dt.datetime:
    """A moment when ``doc`` is in force: noon UTC of its first day."""
    return dt.datetime.combine(doc.metadata.effective_from, dt.time(12), dt.UTC)


def _cell_list(words: Iterable[str]) -> str:
    return "<br>".join(f'<span style="font-size:11px">{_e(w)}</span>' for w in words)


def access_matrix(engine: Any, doc: PolicyDocument) -> str:
    """Role × data level × action, decided by ``engine.authorize``.

    For every cell the request is tried for each data category and each purpose the role
    serves, in the subject's own branch and department: *allow* when some category is allowed
    without a grant, *grant* when only an approved grant opens it, *deny* otherwise. The
    categories opened are listed in the cell.
    """
    import finpolicy as fp

    spec, at = doc.spec, _noon(doc)
    approvers = [name for name, role in spec.roles.items() if role.approver] or ["approver"]
    place = {"department": "retail", "branch": "BJ01"}

    def decide(role: str, level: str, action: str, category: str, purpose: str,
               granted: bool) -> bool:
        grants = []
        if granted:
            grants.append(fp.AccessGrant(
                id="g-docs", grantee="u-docs", purpose=purpose, resource_type="customer_record",
                data_level=level, category=category, requested_at=at - dt.timedelta(hours=2),
                approved_by="approver-docs", approver_roles=approvers[:1],
                approved_at=at - dt.timedelta(hours=1), expires_at=at + dt.timedelta(hours=1)))
        request = fp.AccessRequest(
            subject=fp.Subject(id="u-docs", roles=[role], **place), action=action,
            resource=fp.Resource(type="customer_record", data_level=level, category=category,
                                 **place),
            purpose=purpose, grants=grants, at=at)
        return bool(engine.authorize(request, policy=doc.id).allowed)

    header = ["Role", *[f"{level}: {action}" for level in spec.levels for action in spec.actions]]
    rows = []
    for name, role in spec.roles.items():
        purposes = role.purposes or list(spec.purposes)
        row = [(f"{_e(name)}<br><span style=\"font-weight:normal;font-size:11px\">"
                f"{_e(role.title)}</span>", "text-align:left")]
        for level in spec.levels:
            for action in spec.actions:
                free = [c for c in spec.categories
                        if any(decide(name, level, action, c, p, False) for p in purposes)]
                granted = [c for c in spec.categories if c not in free and
                           any(decide(name, level, action, c, p, True) for p in purposes)]
                if free:
                    word, colour, cats = "allow", COLOURS["allow"], free
                elif granted:
                    word, colour, cats = "grant", COLOURS["grant"], granted
                else:
                    word, colour, cats = "deny", COLOURS["deny"], []
                inner = f"<b>{word}</b>" + (f"<br>{_cell_list(cats)}" if cats else "")
                if free and granted:
                    inner += f"<br><i>grant:</i><br>{_cell_list(granted)}"
                row.append((inner, f"background:{colour}"))
        rows.append(row)
    return legend([("allowed by the role", COLOURS["allow"]),
                   ("only with an approved grant", COLOURS["grant"]),
                   ("denied", COLOURS["deny"])]) + html_table(
        header, rows, caption=f"Access matrix of {doc.id} {doc.version} (own branch and "
                              f"department; categories that open listed in each cell)",
        css_class="finpolicy-picture finpolicy-access-matrix")


def _in_force_day(doc: PolicyDocument, offset: int = 30) -> dt.date:
    """A day ``offset`` days into ``doc``'s window (its last day when the window is shorter)."""
    day = doc.metadata.effective_from + dt.timedelta(days=offset)
    until = doc.metadata.effective_until
    return min(day, until) if until is not None else day


# Customers the version history compares the versions on; ``on`` is the evaluation day.
SUITABILITY_PROBES: dict[str, Any] = {
    "individual of 40, assessed 30 days before": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=30)},
    "individual of 70, assessed 30 days before": lambda on: {
        "birth_date": on.replace(year=on.year - 70, day=1),
        "assessment_date": on - dt.timedelta(days=30)},
    "individual of 40, assessed 400 days before": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=400)},
    "individual of 40, third assessment that day": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1), "assessment_date": on,
        "assessment_history": [on, on]},
    "individual of 40 with limited legal capacity, guardian consent": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=30), "legal_capacity": "limited",
        "guardian_consent": True},
    "professional individual of 40": lambda on: {
        "birth_date": on.replace(year=on.year - 40, day=1),
        "assessment_date": on - dt.timedelta(days=30), "investor_type": "professional"},
}
_TYPICAL = next(iter(SUITABILITY_PROBES))


def suitability_outcomes(engine: Any, doc: PolicyDocument, product_kind: str,
                         probe: str = _TYPICAL) -> dict[tuple[str, str], Any]:
    """``(customer level, product level)`` → decision, for one probe customer.

    The default probe is an ordinary individual of 40 with full legal capacity, assessed 30
    days before the evaluation day (a fresh assessment); the product is of ``product_kind``,
    rated the same by issuer and seller, with no term; no amount.
    """
    import finpolicy as fp

    on = _in_force_day(doc)
    out = {}
    for c in doc.spec.customer_levels:
        customer = fp.Customer(id=f"c-{c.level}", risk_level=c.level,
                               **SUITABILITY_PROBES[probe](on))
        for r in doc.spec.product_levels:
            product = fp.Product(id=f"p-{r.level}", kind=product_kind, risk_level=r.level)
            out[c.level, r.level] = engine.check_suitability(customer, product, as_of=on,
                                                             policy=doc.id)
    return out


def _product_kinds(doc: PolicyDocument) -> list[str]:
    kinds = ["wealth_management"]
    securities = list(getattr(doc.spec.settings, "securities_kinds", ()) or ())
    if securities:
        kinds.append(securities[0])
    return kinds


def suitability_matrix(engine: Any, doc: PolicyDocument) -> str:
    """Customer level × product level, coloured by the outcome of ``engine.check_suitability``.

    One matrix for a wealth-management product and, when the policy names securities kinds,
    one for the first of them (the securities rule may turn a refusal into a warning).
    """
    on = _in_force_day(doc)
    parts = [legend([(o, COLOURS[o]) for o in ("suitable", "conditional", "unsuitable")])]
    for kind in _product_kinds(doc):
        decisions = suitability_outcomes(engine, doc, kind)
        common = set.intersection(*(set(d.obligations) for d in decisions.values()))
        rows = []
        for c in doc.spec.customer_levels:
            row = [(f"{_e(c.level)}<br><span style=\"font-weight:normal;font-size:11px\">"
                    f"{_e(c.name)}</span>", "")]
            for r in doc.spec.product_levels:
                d = decisions[c.level, r.level]
                inner = f"<b>{_e(d.outcome)}</b>"
                rest = [o for o in d.obligations if o not in common]
                if rest:
                    inner += f"<br>{_cell_list(rest)}"
                title = _e("; ".join(h.rule_id for h in d.hits) or "no rule matched")
                row.append((f'<span title="{title}">{inner}</span>',
                            f"background:{COLOURS.get(d.outcome, COLOURS['error'])}"))
            rows.append(row)
        header = ["Customer \\ product",
                  *[f"{r.level} {r.name}" for r in doc.spec.product_levels]]
        parts.append(html_table(
            header, rows, caption=f"{doc.id} {doc.version}: a {kind.replace('_', '-')} product, "
                                  f"on {on}, for an {_TYPICAL}"
                                  + (f"; every cell carries {', '.join(sorted(common))}"
                                     if common else ""),
            css_class="finpolicy-picture finpolicy-suitability-matrix"))
    return "\n".join(parts)


def suitability_changes(engine: Any, old: PolicyDocument, new: PolicyDocument) -> str:
    """The C × R cells whose outcome or obligations differ between two versions, for each
    probe customer (each version evaluated on a day inside its own window), cells with the
    same change grouped in one row."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for kind in _product_kinds(new):
        for probe in SUITABILITY_PROBES:
            before = suitability_outcomes(engine, old, kind, probe)
            after = suitability_outcomes(engine, new, kind, probe)
            for key, d in after.items():
                was = before.get(key)
                if was is None or (was.outcome, was.obligations) == (d.outcome, d.obligations):
                    continue
                change = (probe, kind, was.outcome, was.obligations, d.outcome, d.obligations,
                          d.rule_ids)
                groups.setdefault(change, []).append(f"{key[0]}×{key[1]}")
    if not groups:
        return "<p>No suitability decision of the compared cases changes.</p>"
    rows = []
    for (probe, kind, was, was_obl, now, now_obl, rules), cells in groups.items():
        rows.append([
            (f"{_e(probe)}; {_e(kind.replace('_', '-'))} product", "text-align:left"),
            (_e(", ".join(cells)), "text-align:left;font-weight:normal;max-width:16em"),
            (f"<b>{_e(was)}</b><br>{_cell_list(was_obl)}",
             f"background:{COLOURS.get(was, COLOURS['error'])}"),
            (f"<b>{_e(now)}</b><br>{_cell_list(now_obl)}",
             f"background:{COLOURS.get(now, COLOURS['error'])}"),
            (_cell_list(rules), "text-align:left")])
    return html_table(["Case", "Customer × product levels", old.version, new.version,
                       f"Rules in {new.version}"], rows,
                      caption=f"Suitability decisions that differ ({old.version} on "
                              f"{_in_force_day(old)} → {new.version} on {_in_force_day(new)})",
                      css_class="finpolicy-picture finpolicy-suitability-changes")


_LEVEL_COLOURS = ("#c8e6c9", "#ffe0b2", "#ffcdd2", "#e1bee7", "#b3e5fc")


def _yes_no(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _e(value)


def _retention(days: int | None, period: Any, after: str) -> str:
    """A handling retention in words: a period from its event, or days."""
    if period is not None:
        return str(period.build().describe())
    return f"{days} days after {after}" if days is not None else "—"


def classification_levels(engine: Any, doc: PolicyDocument) -> str:
    """The levels, lowest first, with their grades and handling requirements, and the rules
    that assign each level; then the data categories with examples."""
    spec = doc.spec
    handling = spec.handling
    by_level: dict[str, list[str]] = {}
    for rule in spec.rules:
        by_level.setdefault(str(rule.level), []).append(rule.id)
    header = ["Level", "JR/T 0197 grade", "PFI category", "Encryption at rest",
              "Encryption in transit", "Storage", "Masked on display", "Use needs a grant",
              "Retention", "Destruction", "Audit log kept", "Rules assigning it"]
    rows = []
    for i, level in enumerate(spec.levels):
        h = handling.get(level.name)
        colour = _LEVEL_COLOURS[min(i, len(_LEVEL_COLOURS) - 1)]
        row = [(f"{_e(level.name)}<br><span style=\"font-weight:normal;font-size:11px\">"
                f"{_e(level.title)}</span>", f"background:{colour}"),
               (_yes_no(getattr(level, "grade", None)), ""),
               (_yes_no(getattr(level, "pfi_category", None)), "")]
        if h is None:
            row += [("—", "")] * 8
        else:
            row += [(_yes_no(h.encryption_at_rest), ""), (_yes_no(h.encryption_in_transit), ""),
                    (_yes_no(h.storage), ""), (_yes_no(h.mask_on_display), ""),
                    (_yes_no(h.approval_required), ""),
                    (_e(_retention(h.retention_days, h.retention, "purpose end")), ""),
                    (_yes_no(h.destruction), ""),
                    (_e(_retention(h.audit_log_retention_days, h.audit_log_retention,
                                   "logging")), "")]
        row.append((_cell_list(by_level.get(level.name, [])) or "—", "text-align:left"))
        rows.append(row)
    levels = html_table(header, rows, caption=f"Levels of {doc.id} {doc.version}, lowest first, "
                                              "with their handling requirements",
                        css_class="finpolicy-picture finpolicy-classification-levels")
    cat_rows = [[(_e(name), "text-align:left"), (_e(cat.title), "text-align:left"),
                 (_e(", ".join(cat.examples)) or "—", "text-align:left")]
                for name, cat in spec.categories.items()]
    categories = html_table(["Category", "Title", "Examples"], cat_rows,
                            caption="Data categories",
                            css_class="finpolicy-picture finpolicy-categories")
    return levels + "\n" + categories


def timeline_svg(calendar: Any, start: dt.datetime,
                 bars: Sequence[tuple[str, dt.datetime, dt.datetime, str]], *,
                 title: str = "") -> str:
    """Milestones on a day axis as inline SVG.

    Args:
        calendar: a ``WorkingCalendar``; its non-working days are shaded and its working days
            numbered from the first one after ``start``'s day.
        start: when the clock starts (aware).
        bars: ``(name, from, due, note)`` for each milestone, drawn from ``from`` to ``due``.
        title: a caption above the axis.
    """
    local = calendar.local
    first: dt.date = local(start).date()
    last = max([local(due).date() for _, _, due, _ in bars] + [first]) + dt.timedelta(days=1)
    days = (last - first).days + 1
    day_w, row_h, top = 34, 30, 58
    # room for the longest label (about 5.5 px a character at these sizes)
    label_w = max([200] + [int(5.5 * max(len(name), len(note))) + 24
                           for name, _, _, note in bars])
    width = label_w + days * day_w + 20
    height = top + len(bars) * row_h + 30

    def x(moment: dt.datetime) -> float:
        t: dt.datetime = local(moment)
        offset = (t.date() - first).days + (t.hour * 3600 + t.minute * 60 + t.second) / 86400
        return label_w + offset * day_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="finpolicy-picture '
           f'finpolicy-sla-timeline" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
           f'role="img" aria-label="{_e(title or "SLA timeline")}">']
    if title:
        out.append(f'<text x="4" y="14" font-size="13" font-weight="bold">{_e(title)}</text>')
    # working days are numbered from the effective receipt day (the next working day when the
    # clock starts after the cut-off or on a day off)
    origin = calendar.effective_receipt_day(start)
    working = 0
    for i in range(days):
        day = first + dt.timedelta(days=i)
        left = label_w + i * day_w
        is_working = calendar.is_working_day(day)
        if is_working and day > origin:
            working += 1
        fill = "#ffffff" if is_working else "#e0e0e0"
        out.append(f'<rect x="{left}" y="{top - 22}" width="{day_w}" '
                   f'height="{height - top - 8}" fill="{fill}" stroke="#cfd8dc"/>')
        out.append(f'<text x="{left + day_w / 2}" y="{top - 26}" text-anchor="middle" '
                   f'fill="#455a64">{day:%m-%d}</text>')
        label = ("W0" if day == origin else f"W{working}" if is_working and day > origin
                 else "" if is_working else "off")
        out.append(f'<text x="{left + day_w / 2}" y="{top - 9}" text-anchor="middle" '
                   f'font-size="10" fill="{"#1b5e20" if is_working else "#757575"}">'
                   f'{label}</text>')
    palette = ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#e53935", "#00897b", "#6d4c41")
    for row, (name, begin, due, note) in enumerate(bars):
        y = top + row * row_h + 4
        colour = palette[row % len(palette)]
        x0, x1 = x(begin), x(due)
        out.append(f'<text x="4" y="{y + 12}" font-weight="bold">{_e(name)}</text>')
        out.append(f'<text x="4" y="{y + 24}" font-size="10" fill="#546e7a">{_e(note)}</text>')
        out.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 2):.1f}" height="14" '
                   f'rx="3" fill="{colour}" fill-opacity="0.75"><title>{_e(name)}: due '
                   f'{local(due):%Y-%m-%d %H:%M %Z}</title></rect>')
        out.append(f'<line x1="{x1:.1f}" y1="{y}" x2="{x1:.1f}" y2="{y + 20}" '
                   f'stroke="{colour}" stroke-width="2"/>')
    sx = x(start)
    out.append(f'<line x1="{sx:.1f}" y1="{top - 22}" x2="{sx:.1f}" y2="{height - 8}" '
               f'stroke="#c62828" stroke-dasharray="4 3"/>')

    out.append("</svg>")
    note = (f'<p style="font-family:sans-serif;font-size:12px;color:#546e7a">Dashed line: '
            f'received {local(start):%Y-%m-%d %H:%M %Z}. Grey: days off. W<i>n</i>: the '
            f'<i>n</i>-th working day after the effective receipt day W0. Each bar ends at '
            f'its deadline.</p>')
    return "".join(out) + note


def _sample_receipt(calendar: Any, doc: PolicyDocument) -> dt.datetime:
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
    zone = calendar.local(dt.datetime.combine(day, dt.time(12), dt.UTC)).tzinfo
    return dt.datetime.combine(day, dt.time(10), zone)


def sla_timeline(engine: Any, doc: PolicyDocument) -> str:
    """The milestones of a sample complaint on a day axis, from ``engine.complaint_sla``.

    The complaint is of the first category, channel and severity the policy lists, received
    at 10:00 local time shortly before a public holiday; milestones that start from a later
    event (e.g. ``handled``) get that event at 10:00 on the third working day.
    """
    import finpolicy as fp

    policy: Any = doc.policy  # a ComplaintRules
    spec = doc.spec
    calendar = policy.calendar
    received = _sample_receipt(calendar, doc)
    later = calendar.add_working_days(calendar.effective_receipt_day(received), 3)
    later_at = dt.datetime.combine(later, dt.time(10), received.tzinfo)
    starts = {m.name: m.starts for m in policy.milestones}
    events = sorted({s for s in starts.values() if s != "received"})
    complaint = fp.Complaint(
        id="timeline-sample", received_at=received, channel=spec.channels[0].name,
        category=spec.categories[0].name,
        severity=min(spec.severities, key=lambda sv: sv.rank).name,
        events=[fp.ComplaintEvent(kind=kind, at=later_at) for kind in events])
    report = engine.complaint_sla(complaint, now=max([received, later_at]), policy=doc.id)
    durations = {m.name: m.duration for m in policy.milestones}
    bars = []
    for m in report.milestones:
        if m.due_at is None:
            continue
        begin = getattr(m, "started_at", None) or received
        duration = durations.get(m.name)
        note = getattr(m, "allowed", "") or (duration.describe() if duration else "")
        if starts.get(m.name, "received") != "received":
            note += f" from {starts[m.name]}"
        bars.append((m.name, begin, m.due_at, note))
    title = (f"{doc.id} {doc.version}: a {complaint.severity} {complaint.category} complaint "
             f"received {calendar.local(received):%Y-%m-%d %H:%M} ({calendar.timezone})")
    return timeline_svg(calendar, received, bars, title=title)


# picture name → (policy kind, function(engine, doc) → HTML); pictures of kinds a bundle lacks
# are simply not drawn.
PICTURES: dict[str, tuple[str, Any]] = {
    "access-matrix": ("AccessPolicy", access_matrix),
    "suitability-matrix": ("SuitabilityPolicy", suitability_matrix),
    "classification-levels": ("ClassificationPolicy", classification_levels),
    "sla-timeline": ("ComplaintPolicy", sla_timeline),
}
# kind → function(engine, old, new) → HTML of the decisions that differ between versions
CHANGES: dict[str, Any] = {
    "SuitabilityPolicy": suitability_changes,
}


def picture(name: str, engine: Any, doc: PolicyDocument) -> str:
    """The HTML of picture ``name`` for ``doc``."""
    return str(PICTURES[name][1](engine, doc))


TITLES = {"sla-timeline": "SLA timeline"}


def pictures(engine: Any, doc: PolicyDocument) -> list[tuple[str, str]]:
    """``(title, html)`` of every picture that applies to ``doc``'s kind."""
    return [(TITLES.get(name, name.replace("-", " ").capitalize()), picture(name, engine, doc))
            for name, (kind, _) in PICTURES.items() if kind == doc.kind]


def decision_changes(engine: Any, old: PolicyDocument,
                     new: PolicyDocument) -> list[tuple[str, str]]:
    """``(title, html)`` pictures of decisions that differ between two versions."""
    changes = CHANGES.get(new.kind)
    return [] if changes is None else [("Decisions that differ", changes(engine, old, new))]
