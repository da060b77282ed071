"""Milestone plans: what a selection's milestones ask, worked out once per selection, and
the deadlines counted from receipt, worked out once per receipt day.

A selection's milestones rarely change between complaints (a policy has a few distinct sets),
so a ``Plan`` is shared by every selection with the same milestones of one document. Each
milestone becomes a ``Step`` holding what its evaluation reads (its start, completing
events, pauses, extensions), so a complaint runs no look-ups on the policy. Most milestones
start at receipt and most complaints have no pauses: their deadlines depend only on the
local receipt day and whether the receipt came after the cut-off, and a plan keeps them per
such day, with their UTC instants so that comparisons with event times need no zone.

Every result equals what ``WorkingCalendar.deadline`` and the rules in ``evaluate`` give
(see that module's conventions); a complaint that needs more (a window, pauses, a restart,
an extension) takes the general path of each rule, step by step.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from finpolicy.calendars import Pause, WorkingCalendar, paused_seconds
from finpolicy.decisions import PolicyRef
from finpolicy.domains.complaints.checks import (
    completion,
    counted_extension,
    minute_text,
    window_start,
)
from finpolicy.domains.complaints.models import PACKED, Status
from finpolicy.domains.complaints.policy import RECEIVED, ComplaintRules, Duration, Milestone
from finpolicy.errors import CalendarError

__all__ = ["Plan", "Step", "Timeline"]

# A milestone's status as ``MilestoneStatus``'s field values: reports hold them packed (see
# ``models.PACKED``)
Packed = tuple[str, Status, dt.datetime | None, dt.datetime | None, dt.datetime | None, str,
               float, tuple[str, ...]]
_UTC = dt.UTC
_MAX_DAYS = 65_536  # receipt days kept per plan; cleared when full


class Timeline:
    """A complaint's events up to ``now`` (UTC): first and all occurrences per kind, pauses
    (also per pause event), events carrying states or an approver, and whether the clock is
    paused at ``now``."""

    __slots__ = ("every", "first", "marks", "paused", "pauses", "tagged", "unpaused")

    def __init__(self, first: dict[str, dt.datetime], every: dict[str, list[dt.datetime]],
                 pauses: list[Pause], paused: bool, tagged: list[tuple[str, Pause]],
                 marks: dict[tuple[str, dt.datetime], list[Any]],
                 unpaused: tuple[tuple[str, dt.datetime, tuple[str, ...]], ...] = ()) -> None:
        self.first, self.every, self.pauses, self.paused = first, every, pauses, paused
        self.tagged, self.marks = tagged, marks
        # pausing events that stated too little to stop the clock, with what they lacked
        self.unpaused = unpaused


class Step:
    """One milestone of a plan, with what its evaluation reads at hand."""

    __slots__ = ("after", "amount", "at_risk", "binding", "completed_by", "conditional",
                 "conditions", "escalate", "extensions", "hours", "mask", "milestone", "name",
                 "only", "pausable", "paused_by", "pending", "requires", "restarted_by", "run",
                 "safe", "slot", "starts", "text", "unit", "window")

    def __init__(self, m: Milestone, duration: Duration, slot: int | None) -> None:
        self.milestone, self.name, self.text = m, m.name, duration.text
        # ``None``: starts at receipt (every event is at or after it)
        self.starts = None if m.starts == RECEIVED and m.window is None else m.starts
        self.window = m.window
        self.completed_by = tuple(sorted(m.completed_by))
        self.only = self.completed_by[0] if len(self.completed_by) == 1 else None
        self.requires, self.restarted_by = m.requires, m.restarted_by
        self.pausable, self.paused_by = m.pausable, m.paused_by
        self.amount, self.unit = duration.amount, duration.unit
        self.hours = dt.timedelta(hours=duration.amount) if duration.unit == "hours" else None
        self.extensions, self.conditions = duration.extensions, duration.conditions
        self.after = dict(duration.after)  # extension → the one that must count first
        self.at_risk, self.binding, self.conditional = m.at_risk, m.binding, m.conditional
        self.escalate = m.escalate_on_breach
        self.mask = 0  # its bit among the plan's steps that escalate on breach
        self.slot = slot  # its place in a receipt day's deadlines, if it has one
        self.pending: Packed = (m.name, "pending", None, None, None, duration.text, 0.0, ())
        self.safe = _safe(m.window)
        self.run: Callable[..., Packed | None] = _no_run


def _no_run(*args: Any) -> None:
    raise AssertionError("a step runs once its plan is made")


def _safe(window: tuple[str, int, str] | None) -> dt.datetime:
    """Before this instant a window's end is a valid datetime (far below year 9999): no need
    to work it out when no starting event could fall in it."""
    lowest = dt.datetime.min.replace(tzinfo=_UTC)
    if window is None:
        return lowest
    try:
        # n units span fewer than 7n + 400 days, whatever the unit and the days off
        return dt.datetime.max.replace(tzinfo=_UTC) - dt.timedelta(days=7 * window[1] + 400)
    except OverflowError:
        return lowest


class Plan:
    """The milestones of one selection of one policy document, ready to evaluate."""

    __slots__ = ("calendar", "cutoff", "days", "escalated", "ref", "rules", "statutory",
                 "steps", "warned", "where", "zone")

    def __init__(self, rules: ComplaintRules,
                 milestones: tuple[tuple[Milestone, Duration], ...], where: str,
                 ref: PolicyRef | None = None) -> None:
        self.rules, self.where = rules, where  # the document, e.g. ``cn-complaints@1.1.0``
        self.ref = ref  # what decisions by the document name
        self.calendar: WorkingCalendar = rules.calendar
        self.zone, self.cutoff = self.calendar.zone, self.calendar.cutoff
        self.statutory = self.calendar.schedule == "statutory"  # every year is known
        steps: list[Step] = []
        slots = 0
        for m, duration in milestones:
            counted = m.starts == RECEIVED and m.window is None and duration.unit != "hours"
            step = Step(m, duration, slots if counted else None)
            step.mask = 1 << len(steps) if m.escalate_on_breach else 0
            step.run = _from_receipt(self, step) or functools.partial(milestone, self, step)
            steps.append(step)
            slots += counted
        self.steps = tuple(steps)
        # (local receipt day ordinal, after the cut-off) -> (due, due in UTC) per slot
        self.days: dict[tuple[int, bool], tuple[tuple[dt.datetime, dt.datetime], ...]] = {}
        # (first year, last year) -> warnings (or the first unconfirmed year, to raise)
        self.warned: dict[tuple[int, int], tuple[str, ...] | int] = {}
        # (a selection's escalations, the breached steps' bits) -> everyone to tell, sorted
        self.escalated: dict[tuple[tuple[str, ...], int], tuple[str, ...]] = {}

    def receipt_deadlines(self, received: dt.datetime
                          ) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The pause-free deadlines of the steps counted from receipt (``received`` local)."""
        key = (received.toordinal(), received.time() > self.cutoff)
        found = self.days.get(key)
        if found is None:
            deadline = self.calendar.deadline
            made = []
            for step in self.steps:
                if step.slot is not None:
                    due = deadline(received, step.amount, step.unit)
                    made.append((due, due.astimezone(_UTC)))
            found = tuple(made)
            if len(self.days) >= _MAX_DAYS:
                self.days.clear()
            self.days[key] = found
        return found

    def escalations(self, base: tuple[str, ...], breached: int) -> tuple[str, ...]:
        """``base`` and whom the steps of the bits ``breached`` escalate to, sorted."""
        found = self.escalated.get((base, breached))
        if found is None:
            extra = {e for step in self.steps if step.mask & breached for e in step.escalate}
            found = tuple(sorted(extra.union(base)))
            if len(self.escalated) >= _MAX_DAYS:
                self.escalated.clear()
            self.escalated[(base, breached)] = found
        return found

    def warnings(self, first: int, last: int) -> tuple[str, ...]:
        """Warnings for the years ``first..last`` whose holiday schedule is not confirmed (or
        ``CalendarError`` when the policy asks for one)."""
        found = self.warned.get((first, last))
        if found is None:
            calendar = self.calendar
            years = [y for y in range(first, last + 1) if not calendar.is_confirmed(y)]
            if years and self.rules.unconfirmed_year == "error":
                found = years[0]
            else:
                found = tuple(calendar.unconfirmed_warning(y) for y in years)
            self.warned[(first, last)] = found
        if isinstance(found, int):
            raise CalendarError(self.calendar.jurisdiction, found, self.where,
                                self.calendar.unconfirmed_advice(found))
        return found


_RANK = {"met": 0, "pending": 1, "at_risk": 2, "breached": 3}


def run(plan: Plan, tl: Timeline, now: dt.datetime, received: dt.datetime
        ) -> tuple[tuple[Any, ...], int, dt.datetime | None, int, int, int]:
    """The statuses of the plan's milestones (those that apply) packed, the worst rank and
    the next due time of the binding ones, the bits of those breached that escalate, and the
    receipt's and the latest deadline's local years. ``now`` and ``received`` are UTC."""
    local = received.astimezone(plan.zone)
    base = plan.receipt_deadlines(local)
    out: list[Any] = [PACKED]
    worst = 0
    next_due: dt.datetime | None = None
    breached = 0
    first = last = local.year
    for step in plan.steps:
        s = step.run(tl, now, received, local, base)
        if s is None:
            continue
        out += s
        due = s[2]
        if due is not None and due.year > last:
            last = due.year
        if not step.binding:
            continue
        rank = _RANK[s[1]]
        if rank > worst:
            worst = rank
        if rank == 3:
            breached |= step.mask
        elif s[3] is None and due is not None and (next_due is None
                                                             or due < next_due):
            next_due = due
    return tuple(out) if len(out) > 1 else (), worst, next_due, breached, first, last


def milestone(plan: Plan, step: Step, tl: Timeline, now: dt.datetime, received: dt.datetime,
              local: dt.datetime, base: tuple[tuple[dt.datetime, dt.datetime], ...]
              ) -> Packed | None:
    """One milestone's status (``None``: a conditional one not started); every time is UTC
    but ``local``, the receipt in the calendar's zone, and ``base``, its deadlines."""
    if step.starts is None:
        start: dt.datetime | None = received
    elif step.window is None:
        start = tl.first.get(step.starts)
    else:
        start = _window_start(plan, step, tl)
    if start is None:
        return None if step.conditional else step.pending
    zone = plan.zone
    completed, notes = _completed(step, tl, start, received, zone)
    used = _used(step, tl, completed) if step.pausable and tl.pauses else None
    late: list[str] = []
    started = local if start is received else start.astimezone(zone)
    due, cmp, allowed = _due(plan, step, tl, start, received, base, started, completed, used,
                             late)
    if step.restarted_by:

        def deadline(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
            return _due(plan, step, tl, at, received, base, at.astimezone(zone), completed,
                        used, [])[:2]

        again = _restart(step, tl, start, completed, now, (due, cmp), deadline, notes)
        if again is not None:
            start, started, late = again, again.astimezone(zone), []
            due, cmp, allowed = _due(plan, step, tl, start, received, base, started, completed,
                                     used, late)
    if step.pausable and tl.unpaused:
        notes.extend(_unpaused_notes(step, tl, zone))
    notes.extend(late)
    paused = paused_seconds(used, start, completed or now) if used else 0.0
    completed_local = None
    status: Status
    if completed is not None:
        status = "met" if completed <= cmp else "breached"
        completed_local = completed.astimezone(zone)
    elif now > cmp:
        status = "breached"
    else:
        # the share of the time allowed that has run: paused time is neither (the clock
        # stood still), so a long appraisal does not make a barely started milestone at risk
        span = (cmp - start).total_seconds() - paused
        share = ((now - start).total_seconds() - paused) / span if span > 0 else 0.0
        status = "at_risk" if share >= step.at_risk else "pending"
    return (step.name, status, due, completed_local, started, allowed, paused,
            tuple(notes) if notes else ())


def _unpaused_notes(step: Step, tl: Timeline, zone: Any) -> list[str]:
    return [f"`{kind}` at {minute_text(at.astimezone(zone))} did not stop the clock: it did "
            f"not state {', '.join(missing)}" for kind, at, missing in tl.unpaused
            if step.paused_by is None or kind in step.paused_by]


def _window_start(plan: Plan, step: Step, tl: Timeline) -> dt.datetime | None:
    """When a milestone with a window starts: its starting event, within the window."""
    assert step.window is not None and step.starts is not None
    after, amount, unit = step.window
    if step.starts not in tl.every:
        opened = tl.first.get(after)
        if opened is None or opened < step.safe:
            return None  # (the window's end is worked out only where it could fail)
    deadline = plan.calendar.deadline

    def window_end(opened: dt.datetime) -> dt.datetime:
        return deadline(opened, amount, unit)

    return window_start(step.starts, after, tl.first, tl.every, window_end)


def _completed(step: Step, tl: Timeline, start: dt.datetime, received: dt.datetime,
               zone: Any) -> tuple[dt.datetime | None, list[str]]:
    """The first completing event at or after ``start`` (stating what it must)."""
    every = tl.every
    if step.requires:
        only = step.only
        if only is not None and start is received:
            at = tl.first.get(only)
            if at is None:
                return None, []
            marked = tl.marks.get((only, at))
            if marked is not None and _states_all(step.requires, marked):
                return at, []  # the first completing event states what it must
        return completion(step.completed_by, step.requires, every, tl.marks, start, zone)
    if step.only is not None and start is received:  # every event is at or after receipt
        return tl.first.get(step.only), []
    completed: dt.datetime | None = None
    for event in step.completed_by:
        for at in every.get(event, ()):  # in time order
            if at >= start:
                if completed is None or at < completed:
                    completed = at
                break
    return completed, []


def _states_all(requires: frozenset[str], marked: list[Any]) -> bool:
    """Whether the events ``marked`` (of one kind at one time) state all of ``requires``
    between them (almost always there is one)."""
    if len(marked) == 1:
        return requires.issubset(marked[0].states)
    return requires.issubset({s for e in marked for s in e.states})


def _due(plan: Plan, step: Step, tl: Timeline, start: dt.datetime, received: dt.datetime,
         base: tuple[tuple[dt.datetime, dt.datetime], ...], started: dt.datetime,
         completed: dt.datetime | None, used: list[Pause] | None,
         notes: list[str]) -> tuple[dt.datetime, dt.datetime, str]:
    """The deadline counted from ``start`` (local, and the same instant in UTC), after the
    extensions that count (notes say why one did not), and the time allowed that applied."""
    # times in two zones compare at several times the cost: ``cmp`` is ``due`` in UTC
    if used is None and step.slot is not None and start is received:
        due, cmp = base[step.slot]
    elif used is None and step.hours is not None:
        cmp = start + step.hours
        due = cmp.astimezone(plan.zone)
    else:
        due = plan.calendar.deadline(started, step.amount, step.unit, used or ())
        cmp = due.astimezone(_UTC)
    if step.extensions:
        extended = _extended(plan, step, tl, started, completed, used or (), cmp, notes)
        if extended is not None:
            due, cmp = extended[0], extended[0].astimezone(_UTC)
            return due, cmp, extended[1]
    return due, cmp, step.text


def _restart(step: Step, tl: Timeline, start: dt.datetime, completed: dt.datetime | None,
             now: dt.datetime, due: tuple[dt.datetime, dt.datetime],
             deadline: Callable[[dt.datetime], tuple[dt.datetime, dt.datetime]],
             notes: list[str]) -> dt.datetime | None:
    """When the clock last restarted (``None``: never): each restarting event after the
    start, before completion and up to ``now`` restarts it while the period it would restart
    still runs (``due``: local and UTC; Art. 18, new material within the handling period);
    notes say when it restarted and which event came too late."""
    every = tl.every
    found = sorted((at, kind) for kind in step.restarted_by for at in every.get(kind, ())
                   if at > start and (completed is None or at < completed) and at <= now)
    latest = None
    late = ""
    for at, kind in found:
        if at > due[1]:
            late = (f"`{kind}` at {minute_text(at.astimezone(due[0].tzinfo))} came after the "
                    f"deadline ({minute_text(due[0])}): it does not restart the clock")
            break
        latest, due = at, deadline(at)
    if latest is not None:
        notes.append(f"the clock restarted at {minute_text(latest.astimezone(due[0].tzinfo))}"
                     " on new material")
    if late:
        notes.append(late)
    return latest


def _used(step: Step, tl: Timeline, completed: dt.datetime | None) -> list[Pause] | None:
    """The pauses that stop this milestone's clock (``None``: none)."""
    used = tl.pauses if step.paused_by is None else \
        [p for kind, p in tl.tagged if kind in step.paused_by]
    if used and completed is not None:
        used = [(a, min(b, completed)) for a, b in used if a < completed]
    return used or None


def _extended(plan: Plan, step: Step, tl: Timeline, started: dt.datetime,
              completed: dt.datetime | None, used: Any, due: dt.datetime,
              notes: list[str]) -> tuple[dt.datetime, str] | None:
    """The deadline after the extensions that count (the longest last) and the time allowed
    it gives, ``None`` when none does; notes say why one did not count."""
    first = tl.first
    extended = None
    counted: dict[str, dt.datetime] = {}
    for event, amount in step.extensions:
        granted = first.get(event)
        if granted is None:
            continue
        if step.conditions:
            granted = _granted(step, event, tl, plan.zone, notes)
        prior = step.after.get(event)
        if granted is not None and prior is not None and not (
                prior in counted and counted[prior] <= granted):
            notes.append(f"extension `{event}` at {minute_text(granted.astimezone(plan.zone))} not "
                         f"counted: no `{prior}` counted before it")
            granted = None
        if granted is None:
            continue
        if completed is not None and granted > completed:
            notes.append(f"extension `{event}` at {minute_text(granted.astimezone(plan.zone))} "
                         "not counted: it came after the milestone was completed")
        elif granted > due:  # a period that has run out cannot be extended
            notes.append(f"extension `{event}` at {minute_text(granted.astimezone(plan.zone))} "
                         f"not counted: it came after the deadline "
                         f"({minute_text(due.astimezone(plan.zone))}) it would extend")
        else:
            due = plan.calendar.deadline(started, amount, step.unit, used)
            extended = (due, f"{amount} {step.unit.replace('_', ' ')}, extended by `{event}`")
            counted[event] = granted
    return extended


def _granted(step: Step, event: str, tl: Timeline, zone: Any,
             notes: list[str]) -> dt.datetime | None:
    """When the extension ``event`` was granted in a way that counts (notes say why not)."""
    for name, approvers, requires in step.conditions:
        if name == event:
            at, why = counted_extension(event, sorted(approvers), sorted(requires), tl.every,
                                        tl.marks, zone)
            notes.extend(why)
            return at
    return tl.first.get(event)


def _from_receipt(plan: Plan, step: Step) -> Callable[..., Packed | None] | None:
    """The evaluation of a milestone counted from receipt and completed by one kind of event
    (most are): the receipt day's deadline, or the general rules when pauses apply, an event
    that restarts or extends it happened, or the first completing event does not state what
    it must."""
    if step.starts is not None or step.only is None:
        return None
    # no such event up to now: no restart, no extension, and so no note on either
    watched = step.restarted_by + tuple(event for event, _ in step.extensions)
    name, text, zone, hours = step.name, step.text, plan.zone, step.hours
    slot = -1 if step.slot is None else step.slot  # (none for hours)
    only, requires, at_risk, pausable = step.only, step.requires, step.at_risk, step.pausable
    general = functools.partial(milestone, plan, step)

    def evaluate(tl: Timeline, now: dt.datetime, received: dt.datetime, local: dt.datetime,
                 base: tuple[tuple[dt.datetime, dt.datetime], ...]) -> Packed | None:
        if pausable and (tl.pauses or tl.unpaused):
            return general(tl, now, received, local, base)
        first = tl.first
        for event in watched:
            if event in first:
                return general(tl, now, received, local, base)
        completed = first.get(only)
        if completed is not None and requires:
            marked = tl.marks.get((only, completed))
            if marked is None or not _states_all(requires, marked):
                return general(tl, now, received, local, base)
        if hours is None:
            due, cmp = base[slot]
        else:
            cmp = received + hours
            due = cmp.astimezone(zone)
        if completed is not None:
            return (name, "met" if completed <= cmp else "breached", due,
                    completed.astimezone(zone), local, text, 0.0, ())
        if now > cmp:
            return (name, "breached", due, None, local, text, 0.0, ())
        allowed = (cmp - received).total_seconds()
        share = (now - received).total_seconds() / allowed if allowed > 0 else 0.0
        return (name, "at_risk" if share >= at_risk else "pending", due, None, local, text,
                0.0, ())

    return evaluate
