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
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

import attrs
from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator

from finpolicy.calendars import UNITS, DeadlineUnit, WorkingCalendar
from finpolicy.decisions import Hit
from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind
from finpolicy.domains.complaints.calendarspec import CalendarSpec, check_overrides
from finpolicy.domains.complaints.grading import Grading, GradingSpec, build_grading
from finpolicy.domains.complaints.labels import LABELS
from finpolicy.domains.complaints.speccheck import (
    build_pauses,
    build_retention,
    build_targets,
    check_completions,
    check_evidence,
    check_milestone,
    check_rule_milestones,
    declared_events,
    unique_names,
)
from finpolicy.domains.complaints.targets import Target, TargetSpec
from finpolicy.periods import Period, RetentionSpec
from finpolicy.rules.compile import RuleSpecBase, compile_rules
from finpolicy.rules.conditions import paths
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet

KIND = "ComplaintPolicy"
RULESET = "sla"
RECEIVED = "received"
"""The implicit event every complaint starts with (``Complaint.received_at``)."""
__all__ = ["FIELDS", "KIND", "POLICY_KIND", "RECEIVED", "RULESET", "UNITS", "ComplaintRules",
           "ComplaintSpec", "Duration", "Milestone", "Selection", "build", "select"]

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


class CategorySpec(Strict):
    """A complaint category and the department it is routed to by default."""

    name: str = Field(description="Category code, e.g. `product`.")
    route: str = Field(description="Department handling it, e.g. `product_department`.")
    description: str | None = None


class SeveritySpec(Strict):
    """A severity grade; higher rank is more severe."""

    name: str = Field(description="Severity code, e.g. `major`.")
    rank: StrictInt = Field(ge=1, description="Order of severity.",
                            title="rank (higher is more severe)")
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
    requires: list[str] = Field(
        default_factory=list, description="Contents the pausing event must state (e.g. "
                                          "`complainant_told`) for it to stop the clock.")
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


class ExtensionSpec(Strict):
    """An event that extends a milestone to a new total duration."""

    event: str = Field(description="The event kind granting the extension.")
    amount: StrictInt = Field(ge=0, description="The new total duration, in the milestone's unit.")
    approved_by: list[str] = Field(
        default_factory=list, description="Approvers one of whom must have approved the "
                                          "extension (its event's `approved_by`) for it to "
                                          "count; anyone when empty.")
    requires: list[str] = Field(
        default_factory=list, description="Contents the extension's event must state (e.g. "
                                          "`complainant_told`) for it to count.")
    after: str | None = Field(
        default=None, description="Another, shorter extension of this duration that must "
                                  "have counted first (at or before this one): a further "
                                  "extension after the first.")


class DurationSpec(Strict):
    """A duration, and the extensions events can grant."""

    amount: StrictInt = Field(ge=0)
    unit: Literal["hours", "working_days", "calendar_days", "weeks"]
    extensions: list[ExtensionSpec] = Field(default_factory=list)


class WindowSpec(Strict):
    """A period after an event within which a milestone's starting event must happen."""

    after: str = Field(description="The event the window opens with, e.g. `responded`.")
    amount: StrictInt = Field(ge=1)
    unit: Literal["hours", "working_days", "calendar_days", "weeks"]


class MilestoneSpec(Strict):
    """One deadline of the complaint's life."""

    name: str = Field(description="Milestone name (part of the API), e.g. `initial_response`.")
    title: str | None = None
    duration: DurationSpec
    starts: str = Field(default=RECEIVED, description="Event the clock starts from.")
    completed_by: list[str] = Field(min_length=1, description="Events that complete it.")
    at_risk: StrictFloat = Field(default=0.8, gt=0, le=1,
                                 description="Share of the allowed time after which an open "
                                             "milestone is at risk.",
                                 title="at risk after",
                                 json_schema_extra={"unit": "% of the time allowed"})
    pausable: StrictBool = Field(default=True,
                                 description="Whether pauses stop this milestone's clock.")
    escalate_on_breach: list[str] = Field(default_factory=list)
    binding: StrictBool = Field(
        default=True, description="Whether the milestone counts towards the overall status (false "
                                  "for an optional target such as the FCA's summary resolution).")
    requires: list[str] = Field(
        default_factory=list, description="Contents the completing event must state (e.g. "
                                          "`basis`, `remedies`); one that does not leaves the "
                                          "milestone open.")
    restarted_by: list[str] = Field(
        default_factory=list, description="Events that restart the clock from their time "
                                          "(e.g. new material from the complainant).")
    paused_by: list[str] | None = Field(
        default=None, description="The pause events that stop this milestone's clock; every "
                                  "pause when absent (and `pausable`).")
    conditional: StrictBool = Field(
        default=False, description="The milestone applies only once its starting event happens "
                                   "(left out of the report before), e.g. a review the "
                                   "customer may ask for.")
    starts_within: WindowSpec | None = Field(
        default=None, description="The starting event counts only within this window after "
                                  "another event (e.g. a review requested within 30 days of "
                                  "the decision).")
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


class RuleSpec(RuleSpecBase):
    """A rule selecting SLA parameters; unset effects leave the defaults."""

    route: str | None = None
    escalate_to: list[str] | None = None
    milestones: list[str] | None = Field(
        default=None, description="Exactly the milestones that apply.")
    durations: dict[str, DurationSpec] = Field(default_factory=dict)
    completed_by: dict[str, list[str]] = Field(
        default_factory=dict, description="Milestone → the events that complete it for the "
                                          "complaints this rule selects, instead of the "
                                          "milestone's own (e.g. where a holding reply "
                                          "extends the time limit rather than meeting it).")


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
    contents: list[NamedSpec] = Field(
        default_factory=list, description="What events may state (`ComplaintEvent.states`): "
                                          "contents of letters, answers to surveys.")
    approvers: list[NamedSpec] = Field(
        default_factory=list, description="Who may be named as an event's approver "
                                          "(`ComplaintEvent.approved_by`).")
    grading: GradingSpec | None = Field(
        default=None, description="Criteria that raise a complaint's severity.")
    targets: list[TargetSpec] = Field(
        default_factory=list, description="Service targets measured over many complaints.")
    retention: dict[str, RetentionSpec] = Field(
        default_factory=dict, description="Obligation → how long the records it produces "
                                          "are kept (e.g. the complaint file).")

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
    unit: DeadlineUnit
    extensions: tuple[tuple[str, int], ...] = ()
    # (event, approvers one of whom must approve, contents it must state) per extension
    conditions: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = ()
    # (event, the extension that must have counted first) per extension with ``after``
    after: tuple[tuple[str, str], ...] = ()
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
    requires: frozenset[str] = frozenset()
    restarted_by: tuple[str, ...] = ()
    paused_by: frozenset[str] | None = None
    conditional: bool = False
    # (event the window opens with, amount, unit)
    window: tuple[str, int, DeadlineUnit] | None = None


@attrs.frozen(slots=True)
class Selection:
    """What the rules select for one (category, severity, channel, flags) combination."""

    route: str
    escalations: tuple[str, ...]
    milestones: tuple[tuple[Milestone, Duration], ...]
    hits: tuple[Hit, ...]
    obligations: tuple[str, ...]
    retention: Mapping[str, Period] = attrs.field(factory=lambda: MappingProxyType({}))


@attrs.frozen(slots=True, eq=False)
class ComplaintRules:
    """A compiled complaint policy (rule results per combination are cached per engine, in
    the runtime's state)."""

    rulesets: Mapping[str, RuleSet]
    calendar: WorkingCalendar
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
    invariants: tuple[Invariant, ...] = attrs.field(default=(), kw_only=True)
    unconfirmed_year: str = attrs.field(default="error", kw_only=True)
    contents: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    approvers: frozenset[str] = attrs.field(default=frozenset(), kw_only=True)
    grading: Grading | None = attrs.field(default=None, kw_only=True)
    targets: tuple[Target, ...] = attrs.field(default=(), kw_only=True)
    retention: Mapping[str, Period] = attrs.field(factory=lambda: MappingProxyType({}),
                                                  kw_only=True)
    # pause event -> contents it must state to stop the clock (pauses that require any)
    pause_requires: Mapping[str, frozenset[str]] = attrs.field(
        factory=lambda: MappingProxyType({}), kw_only=True)


def _duration(spec: DurationSpec) -> Duration:
    extensions = tuple(sorted(((e.event, e.amount) for e in spec.extensions),
                              key=lambda item: item[1]))
    conditions = tuple((e.event, frozenset(e.approved_by), frozenset(e.requires))
                       for e in spec.extensions if e.approved_by or e.requires)
    after = tuple((e.event, e.after) for e in spec.extensions if e.after is not None)
    return Duration(spec.amount, spec.unit, extensions, conditions, after)


def _calendar(cal: CalendarSpec, ctx: BuildContext) -> WorkingCalendar:
    """The spec's working calendar; a stand-in after reporting one that cannot be built."""
    check_overrides(cal, ctx)
    try:
        return WorkingCalendar(
            cal.jurisdiction, cal.subdivision, cal.time_zone, cal.cutoff,
            overrides=tuple((o.date, o.working) for o in cal.overrides),
            schedule=cal.schedule, confirmed_years=frozenset(cal.confirmed_years))
    except ValueError as exc:
        ctx.problem(("calendar",), str(exc), "bad_calendar")
        return WorkingCalendar("CN", None, "UTC", cal.cutoff)


def _milestone(m: MilestoneSpec) -> Milestone:
    """The compiled form of one milestone spec."""
    window = m.starts_within
    return Milestone(
        m.name, m.title or m.name.replace("_", " "), _duration(m.duration), m.starts,
        frozenset(m.completed_by), m.at_risk, m.pausable, tuple(m.escalate_on_breach),
        m.reason, m.cite, m.binding, frozenset(m.requires), tuple(m.restarted_by),
        None if m.paused_by is None else frozenset(m.paused_by), m.conditional,
        None if window is None else (window.after, window.amount, window.unit))


def _milestones(spec: ComplaintSpec, events: set[str], ctx: BuildContext) -> list[Milestone]:
    """The compiled milestones, each checked against the declared events."""
    unique_names(spec.milestones, "name", "milestones", ctx)
    milestones: list[Milestone] = []
    for i, m in enumerate(spec.milestones):
        check_milestone(m, ("milestones", i), events, ctx)
        milestones.append(_milestone(m))
    return milestones


def build(spec: ComplaintSpec, ctx: BuildContext) -> ComplaintRules:
    """Compile a validated spec, reporting every problem through ``ctx``."""
    # the order of these steps is the order problems are reported in
    calendar = _calendar(spec.calendar, ctx)
    events = declared_events(spec, ctx)
    pauses, resumes = build_pauses(spec.pauses, events, ctx)
    milestones = _milestones(spec, events, ctx)
    check_evidence(spec, events, set(pauses), ctx)
    check_rule_milestones(spec.rules, {m.name for m in milestones}, events, ctx)
    check_completions(spec, ctx)
    compiled = compile_rules(spec.rules, ctx, fields=FIELDS, effect=lambda item: {})
    rules = [rule for _, rule in compiled]
    specificity = {rule.id: len(paths(rule.when)) for rule in rules}
    specs = {rule.id: item for item, rule in compiled}
    return ComplaintRules(
        # deadlines are computed in Python, so invariants read what the decision reports
        invariants=parse_invariants(spec.invariants, ctx, {}, COMPLAINT_DECISION_FIELDS),
        unconfirmed_year=spec.calendar.unconfirmed_year,
        contents=frozenset(c.name for c in spec.contents),
        approvers=frozenset(a.name for a in spec.approvers),
        grading=None if spec.grading is None else build_grading(
            spec.grading, {s.name for s in spec.severities}, ctx),
        targets=build_targets(spec, events, ctx),
        retention=MappingProxyType(build_retention(spec, ctx)),
        pause_requires=MappingProxyType({p.pause: frozenset(p.requires) for p in spec.pauses
                                         if p.requires}),
        rulesets=MappingProxyType({RULESET: RuleSet(RULESET, tuple(rules))}),
        calendar=calendar,
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

    Route, applicable milestones and each milestone's duration and completing events: the
    most specific matching rule that sets it wins (most distinct fields read; the earlier
    rule on a tie). Escalations: the severity's targets plus every matching rule's (being
    told is never overridden).
    """
    ordered = sorted(enumerate(matched),
                     key=lambda item: (-policy.specificity[item[1].id], item[0]))
    route: str | None = None
    escalations: set[str] = set(policy.severity_escalations[severity])
    applying: list[str] | None = None
    durations: dict[str, Duration] = {}
    completing: dict[str, frozenset[str]] = {}
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
        for name, events in spec.completed_by.items():
            if name not in completing:
                completing[name] = frozenset(events)
                winners.add(rule.id)
        if (spec.route is None and spec.escalate_to is None and spec.milestones is None
                and not spec.durations and not spec.completed_by):
            winners.add(rule.id)  # a rule with duties only always counts
    hits = tuple(r for r in matched if r.id in winners)
    obligations = tuple(sorted({o for r in hits for o in r.obligations}))
    chosen = tuple((_completed_by(m, completing), durations.get(m.name, m.duration))
                   for m in policy.milestones if applying is None or m.name in applying)
    kept = policy.retention
    return Selection(
        route=route if route is not None else policy.routes[category],
        escalations=tuple(sorted(escalations)),
        milestones=chosen,
        hits=tuple(Hit.of(r) for r in hits),
        obligations=obligations,
        retention=MappingProxyType({o: kept[o] for o in obligations if o in kept}),
    )


def _completed_by(m: Milestone, completing: Mapping[str, frozenset[str]]) -> Milestone:
    """``m`` with the completing events a rule set for it (``m`` itself when none did)."""
    events = completing.get(m.name)
    if events is None or events == m.completed_by:
        return m
    return attrs.evolve(m, completed_by=events)


POLICY_KIND: PolicyKind[ComplaintSpec, ComplaintRules] = PolicyKind(
    KIND, ComplaintSpec, build,
    summary="complaint categories, routing, escalation and SLA milestones",
    fields=FIELDS,
    labels=LABELS,
    combining="for each SLA parameter (route, milestones that apply, a milestone's duration "
              "and completing events) "
              "the most specific matching rule that sets it wins; escalations add up")
