"""The ``ComplaintPolicy`` kind: its spec, the facts its rules read, and its compiled form.

A complaint policy declares a working calendar, categories (with their default route),
severities (with their escalation targets), channels, flags, event kinds, pause/resume pairs
and milestones (each a duration from a starting event to a completing event). Its ``rules``
select SLA parameters for a complaint from facts that depend only on the complaint's
category, severity, channel and flags; for each parameter (route, the milestones
that apply, a milestone's duration) the most specific matching rule that sets it wins — the
one whose condition reads the most distinct fields, the earlier one on a tie; escalation
targets add up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

import attrs
from pydantic import Field, field_validator

from finpolicy.calendars import WorkingCalendar
from finpolicy.decisions import Hit
from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind, register_kind
from finpolicy.domains.complaints.clock import Clock
from finpolicy.rules.conditions import paths
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet

KIND = "ComplaintPolicy"
RULESET = "sla"
RECEIVED = "received"
"""The implicit event every complaint starts with (``Complaint.received_at``)."""
UNITS = ("hours", "working_days", "calendar_days", "weeks")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

FIELDS: Mapping[str, str] = MappingProxyType({
    "complaint.category": "text",
    "complaint.severity": "text",
    "complaint.severity_rank": "number",
    "complaint.channel": "text",
    "complaint.flags": "list",
    "complaint.flag_count": "number",
})
"""Every fact a complaint rule may read. Events are deliberately absent: rule results depend
only on (category, severity, channel, flags), so they are computed once per combination."""


class CalendarSpec(Strict):
    """Where and when working days are counted."""

    jurisdiction: str = Field(description="`holidays` country code, e.g. `CN`, `GB`.")
    subdivision: str | None = Field(None, description="`holidays` subdivision, e.g. `ENG`.")
    time_zone: str = Field(description="IANA zone deadlines are measured in.")
    cutoff: dt.time = Field(dt.time(17, 0), description="A receipt after this local time "
                                                        "counts from the next working day.")


class CategorySpec(Strict):
    """A complaint category and the department it is routed to by default."""

    name: str = Field(description="Category code, e.g. `product`.")
    route: str = Field(description="Department handling it, e.g. `product_department`.")
    description: str | None = None


class SeveritySpec(Strict):
    """A severity grade; higher rank is more severe."""

    name: str = Field(description="Severity code, e.g. `major`.")
    rank: int = Field(ge=1, description="Order of severity.")
    escalate_to: list[str] = Field(default_factory=list,
                                   description="Who is told about complaints of this grade.")
    description: str | None = None


class NamedSpec(Strict):
    """A channel, flag or event kind."""

    name: str
    description: str | None = None


class PauseSpec(Strict):
    """A pair of events between which the clock stops (e.g. external appraisal)."""

    pause: str = Field(description="Event kind that stops the clock.")
    resume: str = Field(description="Event kind that restarts it.")
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


class ExtensionSpec(Strict):
    """An event that extends a milestone to a new total duration."""

    event: str = Field(description="The event kind granting the extension.")
    amount: int = Field(ge=0, description="The new total duration, in the milestone's unit.")


class DurationSpec(Strict):
    """A duration, and the extensions events can grant."""

    amount: int = Field(ge=0)
    unit: Literal["hours", "working_days", "calendar_days", "weeks"]
    extensions: list[ExtensionSpec] = Field(default_factory=list)


class MilestoneSpec(Strict):
    """One deadline of the complaint's life."""

    name: str = Field(description="Milestone name (part of the API), e.g. `initial_response`.")
    title: str | None = None
    duration: DurationSpec
    starts: str = Field(RECEIVED, description="Event the clock starts from.")
    completed_by: list[str] = Field(min_length=1, description="Events that complete it.")
    at_risk: float = Field(0.8, gt=0, le=1, description="Share of the allowed time after "
                                                        "which an open milestone is at risk.")
    pausable: bool = Field(True, description="Whether pauses stop this milestone's clock.")
    escalate_on_breach: list[str] = Field(default_factory=list)
    binding: bool = Field(True, description="Whether the milestone counts towards the overall "
                                            "status (false for an optional target such as "
                                            "the FCA's summary resolution).")
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


class RuleSpec(Strict):
    """A rule selecting SLA parameters; unset effects leave the defaults."""

    id: str = Field(min_length=1)
    when: dict[str, Any]
    route: str | None = None
    escalate_to: list[str] | None = None
    milestones: list[str] | None = Field(None, description="Exactly the milestones that apply.")
    durations: dict[str, DurationSpec] = Field(default_factory=dict)
    obligations: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


COMPLAINT_DECISION_FIELDS: Mapping[str, str] = MappingProxyType({
    "decision.status": "text",
    "decision.route": "text",
    "decision.milestone_count": "number",
    # hours from receipt to the earliest due time among started milestones
    "decision.min_hours_to_due": "number",
    "decision.breached_count": "number",
    "decision.paused": "boolean",
})


class ComplaintSpec(PolicySpec):
    """``spec`` of a ``ComplaintPolicy``."""

    calendar: CalendarSpec
    categories: list[CategorySpec] = Field(min_length=1)
    severities: list[SeveritySpec] = Field(min_length=1)
    channels: list[NamedSpec] = Field(min_length=1)
    flags: list[NamedSpec] = Field(default_factory=list)
    events: list[NamedSpec] = Field(min_length=1)
    pauses: list[PauseSpec] = Field(default_factory=list)
    milestones: list[MilestoneSpec] = Field(min_length=1)
    rules: list[RuleSpec] = Field(default_factory=list)

    @field_validator("calendar", mode="before")
    @classmethod
    def _cutoff_text(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 17:00 as the sexagesimal integer 1020: take it as minutes.
        if isinstance(value, Mapping) and isinstance(value.get("cutoff"), int):
            minutes = value["cutoff"]
            value = {**value, "cutoff": dt.time(minutes // 60 % 24, minutes % 60)}
        return value


@attrs.frozen(slots=True)
class Duration:
    """A compiled duration: base amount, unit, and ``(event, total amount)`` extensions."""

    amount: int
    unit: str
    extensions: tuple[tuple[str, int], ...] = ()
    text: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        text = f"{self.amount} {self.unit.replace('_', ' ')}"
        for event, amount in self.extensions:
            text += f", {amount} after `{event}`"
        object.__setattr__(self, "text", text)  # frozen: set once, read on every report

    def describe(self) -> str:
        """E.g. ``15 calendar days, 30 after `extended```."""
        return self.text


@attrs.frozen(slots=True)
class Milestone:
    """A compiled milestone."""

    name: str
    title: str
    duration: Duration
    starts: str
    completed_by: frozenset[str]
    at_risk: float
    pausable: bool
    escalate_on_breach: tuple[str, ...]
    reason: str
    cite: str
    binding: bool = True


@attrs.frozen(slots=True)
class Selection:
    """What the rules select for one (category, severity, channel, flags) combination."""

    route: str
    escalations: tuple[str, ...]
    milestones: tuple[tuple[Milestone, Duration], ...]
    hits: tuple[Hit, ...]
    obligations: tuple[str, ...]


@attrs.frozen(slots=True, eq=False)
class ComplaintRules:
    """A compiled complaint policy. ``selections`` caches rule results per combination."""

    rulesets: Mapping[str, RuleSet]
    calendar: WorkingCalendar
    clock: Clock
    routes: Mapping[str, str]
    severity_ranks: Mapping[str, int]
    severity_escalations: Mapping[str, tuple[str, ...]]
    channels: frozenset[str]
    flags: frozenset[str]
    events: frozenset[str]
    pauses: Mapping[str, str]  # pause event -> resume event
    resumes: Mapping[str, str]  # resume event -> pause event
    milestones: tuple[Milestone, ...]
    specificity: Mapping[str, int]  # rule id -> distinct fields its condition reads
    specs: Mapping[str, RuleSpec]
    selections: dict[tuple[Any, ...], Selection] = attrs.field(factory=dict, repr=False)
    invariants: tuple[Invariant, ...] = attrs.field(default=(), kw_only=True)


def _duration(spec: DurationSpec) -> Duration:
    extensions = tuple(sorted(((e.event, e.amount) for e in spec.extensions),
                              key=lambda item: item[1]))
    return Duration(spec.amount, spec.unit, extensions)


def _check_cite(cite: str, path: tuple[str | int, ...], sources: set[str],
                ctx: BuildContext) -> None:
    words = cite.split()
    if not words or words[0] not in sources:
        known = ", ".join(sorted(sources)) or "none declared"
        ctx.problem(path, f"cite `{cite}` names no source in metadata.sources (known: {known})",
                    "unknown_source")
    elif len(words) < 2:
        ctx.problem(path, f"cite `{cite}` needs an article or section after the source id",
                    "cite_without_article")


def _unique(items: Sequence[Any], attr: str, where: str, ctx: BuildContext) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        name = getattr(item, attr)
        if not _NAME.fullmatch(name):
            ctx.problem((where, i, attr), f"`{name}` should be lower-case words joined by `_`",
                        "bad_name")
        if name in seen:
            ctx.problem((where, i, attr), f"duplicate {attr} `{name}`", "duplicate_name")
        seen.add(name)
    return seen


def _check_duration(spec: DurationSpec, path: tuple[str | int, ...], events: set[str],
                    ctx: BuildContext) -> None:
    for j, ext in enumerate(spec.extensions):
        if ext.event not in events:
            ctx.problem((*path, "extensions", j, "event"), f"unknown event `{ext.event}`",
                        "unknown_event")
        if ext.amount < spec.amount:
            ctx.problem((*path, "extensions", j, "amount"), f"an extension ({ext.amount}) "
                        f"must not shorten the duration ({spec.amount})", "bad_extension")


def build(spec: ComplaintSpec, ctx: BuildContext) -> ComplaintRules:
    """Compile a validated spec, reporting every problem through ``ctx``."""
    cal = spec.calendar
    try:
        calendar = WorkingCalendar(cal.jurisdiction, cal.subdivision, cal.time_zone, cal.cutoff)
    except ValueError as exc:
        ctx.problem(("calendar",), str(exc), "bad_calendar")
        calendar = WorkingCalendar("CN", None, "UTC", cal.cutoff)
    sources = ctx.metadata.source_ids()
    _unique(spec.categories, "name", "categories", ctx)
    _unique(spec.severities, "name", "severities", ctx)
    _unique(spec.channels, "name", "channels", ctx)
    _unique(spec.flags, "name", "flags", ctx)
    events = _unique(spec.events, "name", "events", ctx)
    if RECEIVED in events:
        ctx.problem(("events",), f"`{RECEIVED}` is implicit (the complaint's received_at)",
                    "duplicate_name")
    all_events = events | {RECEIVED}
    pauses: dict[str, str] = {}
    resumes: dict[str, str] = {}
    for i, p in enumerate(spec.pauses):
        for key in ("pause", "resume"):
            if getattr(p, key) not in events:
                ctx.problem(("pauses", i, key), f"unknown event `{getattr(p, key)}`",
                            "unknown_event")
        if p.pause in pauses or p.pause in resumes or p.resume in resumes or p.resume in pauses \
                or p.pause == p.resume:
            ctx.problem(("pauses", i), "each event may open or close one pause only",
                        "duplicate_pause")
        pauses[p.pause] = p.resume
        resumes[p.resume] = p.pause
        _check_cite(p.cite, ("pauses", i, "cite"), sources, ctx)
    milestones: list[Milestone] = []
    _unique(spec.milestones, "name", "milestones", ctx)
    for i, m in enumerate(spec.milestones):
        if m.starts not in all_events:
            ctx.problem(("milestones", i, "starts"), f"unknown event `{m.starts}`",
                        "unknown_event")
        for j, event in enumerate(m.completed_by):
            if event not in events:
                ctx.problem(("milestones", i, "completed_by", j), f"unknown event `{event}`",
                            "unknown_event")
        _check_duration(m.duration, ("milestones", i, "duration"), events, ctx)
        _check_cite(m.cite, ("milestones", i, "cite"), sources, ctx)
        milestones.append(Milestone(m.name, m.title or m.name.replace("_", " "),
                                    _duration(m.duration), m.starts, frozenset(m.completed_by),
                                    m.at_risk, m.pausable, tuple(m.escalate_on_breach),
                                    m.reason, m.cite, m.binding))
    names = {m.name for m in milestones}
    parser = ctx.parser_factory(dict(FIELDS))
    rules: list[Rule] = []
    specificity: dict[str, int] = {}
    specs: dict[str, RuleSpec] = {}
    for i, item in enumerate(spec.rules):
        if item.id in specs:
            ctx.problem(("rules", i, "id"), f"duplicate rule id `{item.id}`", "duplicate_rule")
        _check_cite(item.cite, ("rules", i, "cite"), sources, ctx)
        for j, name in enumerate(item.milestones or ()):
            if name not in names:
                ctx.problem(("rules", i, "milestones", j), f"unknown milestone `{name}`",
                            "unknown_milestone")
        for name, duration in item.durations.items():
            if name not in names:
                ctx.problem(("rules", i, "durations", name), f"unknown milestone `{name}`",
                            "unknown_milestone")
            _check_duration(duration, ("rules", i, "durations", name), events, ctx)
        for j, obligation in enumerate(item.obligations):
            if not _NAME.fullmatch(obligation):
                ctx.problem(("rules", i, "obligations", j), f"obligation `{obligation}` should "
                            "be lower-case words joined by `_`", "bad_obligation")
        when = parser.parse(item.when, ("spec", "rules", i, "when"))
        if when is not None:
            rules.append(Rule(item.id, when, {}, tuple(dict.fromkeys(item.obligations)),
                              item.reason, item.cite))
            specificity[item.id] = len(paths(when))
            specs[item.id] = item
    ctx.problems.extend(parser.problems)
    return ComplaintRules(
        # deadlines are computed in Python, so invariants read what the decision reports
        invariants=parse_invariants(spec.invariants, ctx, {}, COMPLAINT_DECISION_FIELDS),
        rulesets=MappingProxyType({RULESET: RuleSet(RULESET, tuple(rules))}),
        calendar=calendar,
        clock=Clock(calendar),
        routes=MappingProxyType({c.name: c.route for c in spec.categories}),
        severity_ranks=MappingProxyType({s.name: s.rank for s in spec.severities}),
        severity_escalations=MappingProxyType({s.name: tuple(s.escalate_to)
                                               for s in spec.severities}),
        channels=frozenset(c.name for c in spec.channels),
        flags=frozenset(f.name for f in spec.flags),
        events=frozenset(events),
        pauses=MappingProxyType(pauses),
        resumes=MappingProxyType(resumes),
        milestones=tuple(milestones),
        specificity=MappingProxyType(specificity),
        specs=MappingProxyType(specs),
    )


def select(policy: ComplaintRules, matched: Sequence[Rule], category: str,
           severity: str) -> Selection:
    """Combine the matching rules.

    Route, applicable milestones and each milestone's duration: the most specific matching
    rule that sets it wins (most distinct fields read; the earlier rule on a tie). Escalations:
    the severity's targets plus every matching rule's (being told is never overridden).
    """
    ordered = sorted(enumerate(matched),
                     key=lambda item: (-policy.specificity[item[1].id], item[0]))
    route: str | None = None
    escalations: set[str] = set(policy.severity_escalations[severity])
    applying: list[str] | None = None
    durations: dict[str, Duration] = {}
    winners: set[str] = set()
    for _, rule in ordered:
        spec = policy.specs[rule.id]
        if spec.route is not None and route is None:
            route = spec.route
            winners.add(rule.id)
        if spec.escalate_to is not None:
            escalations.update(spec.escalate_to)  # everyone any matching rule names is told
            winners.add(rule.id)
        if spec.milestones is not None and applying is None:
            applying = list(spec.milestones)
            winners.add(rule.id)
        for name, duration in spec.durations.items():
            if name not in durations:
                durations[name] = _duration(duration)
                winners.add(rule.id)
        if (spec.route is None and spec.escalate_to is None and spec.milestones is None
                and not spec.durations):
            winners.add(rule.id)  # a rule with duties only always counts
    hits = tuple(r for r in matched if r.id in winners)
    obligations = tuple(sorted({o for r in hits for o in r.obligations}))
    chosen = tuple((m, durations.get(m.name, m.duration)) for m in policy.milestones
                   if applying is None or m.name in applying)
    return Selection(
        route=route if route is not None else policy.routes[category],
        escalations=tuple(sorted(escalations)),
        milestones=chosen,
        hits=tuple(Hit.of(r) for r in hits),
        obligations=obligations,
    )


register_kind(PolicyKind(KIND, ComplaintSpec, build,  # type: ignore[arg-type]
                         "complaint categories, routing, escalation and SLA milestones"))
