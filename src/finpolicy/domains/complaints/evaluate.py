"""SLA evaluation: ``complaint_sla``, ``complaint_sla_batch`` and ``evaluate_input``.

Conventions (tests pin them):

- the policy version is the one in force on the day of ``received_at`` (its own offset);
- events after ``now`` have not happened yet and are ignored (so a report can be replayed for
  any earlier ``now``); they are still validated;
- a milestone starts at its starting event's first occurrence and is completed by the first
  completing event at or after its start; until it starts it is ``pending`` with no due time;
- a pause runs from a pause event to its resume event; one still open at ``now`` runs to
  ``now``; pauses after a milestone's completion do not count for it;
- an extension counts when its event happened before the deadline it extends (and before the
  milestone was completed); the longest such extension applies;
- a milestone is ``met`` when completed at or before its due time and ``breached`` when
  completed later or still open after it; an open milestone is ``at_risk`` once the policy's
  share of the allowed time has elapsed, and ``pending`` before that;
- the overall status is the worst status of the binding milestones (``met`` < ``pending`` <
  ``at_risk`` < ``breached``), ``met`` when none applies; ``next_due`` and breach escalations
  also come from binding milestones only.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Mapping
from typing import Any

from finpolicy._compat import renamed
from finpolicy.calendars import Pause, paused_seconds
from finpolicy.decisions import decision_maker
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.complaints.checks import (
    completion,
    counted_extension,
    restart,
    window_start,
)
from finpolicy.domains.complaints.models import (
    STATUSES,
    Complaint,
    MilestoneStatus,
    SlaDecision,
    Status,
)
from finpolicy.domains.complaints.policy import (
    POLICY_KIND,
    RECEIVED,
    RULESET,
    ComplaintRules,
    Duration,
    Milestone,
    Selection,
    select,
)
from finpolicy.errors import CalendarError, InputError, InputProblem
from finpolicy.inputs import InputModel
from finpolicy.runtime import Runtime, StateKey

_RANK = {name: i for i, name in enumerate(STATUSES)}
# the attrs constructor, several times cheaper (one per milestone of every complaint)
_status = decision_maker(MilestoneStatus, "name", "status", "due_at", "completed_at",
                         "started_at", "allowed", "paused_seconds", "notes")
_UTC = dt.UTC
_MAX_CACHE = 65_536


# Rule selections by (document, category, severity, channel, flags), per engine: each engine
# runs its own rules, so the cache lives in the runtime, not on the shared policy.
SELECTIONS: StateKey[dict[tuple[Any, ...], Selection]] = StateKey("complaints.selections", dict)


def _problem(path: str, message: str, code: str, value: Any = None) -> InputError:
    return InputError.one(path, message, code, value, model="Complaint")


def _now(value: Any) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _problem("as_of", f"expected an ISO datetime with an offset, got `{value}`",
                           "bad_datetime", value) from None
    if not isinstance(value, dt.datetime):
        raise _problem("as_of", f"expected a datetime with a time zone, got "
                                f"{type(value).__name__}", "bad_datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise _problem("as_of", "naive datetime: give a datetime with a time zone offset",
                       "naive_datetime", value)
    return value


def _severity(rules: ComplaintRules, complaint: Complaint, prefix: str) -> str:
    """The complaint's severity, raised by the policy's grading criteria."""
    if complaint.severity not in rules.severity_ranks:
        raise _problem(f"{prefix}severity", f"unknown severity `{complaint.severity}`, expected "
                       f"one of {', '.join(rules.severity_ranks)}", "unknown_severity",
                       complaint.severity)
    if rules.grading is None:
        if complaint.criteria:
            raise _problem(f"{prefix}criteria", "this policy grades no criteria",
                           "unknown_criterion")
        return complaint.severity
    if not complaint.criteria:
        return complaint.severity
    return rules.grading.severity(complaint.severity, complaint.criteria,
                                  rules.severity_ranks, prefix)


def _selection(runtime: Runtime, cache: dict[tuple[Any, ...], Selection],
               doc: PolicyDocument[ComplaintRules], complaint: Complaint, prefix: str,
               severity: str) -> Selection:
    rules = doc.policy
    flags = tuple(sorted(set(complaint.flags)))
    # id(doc): documents live as long as the runtime's bundle, and hashing one is not cheap
    key = (id(doc), complaint.category, severity, complaint.channel, flags)
    found = cache.get(key)
    if found is not None:
        return found
    if complaint.category not in rules.routes:
        raise _problem(f"{prefix}category", f"unknown category `{complaint.category}`, expected "
                       f"one of {', '.join(rules.routes)}", "unknown_category",
                       complaint.category)
    if complaint.channel not in rules.channels:
        raise _problem(f"{prefix}channel", f"unknown channel `{complaint.channel}`, expected "
                       f"one of {', '.join(sorted(rules.channels))}", "unknown_channel",
                       complaint.channel)
    for i, flag in enumerate(complaint.flags):
        if flag not in rules.flags:
            raise _problem(f"{prefix}flags.{i}", f"unknown flag `{flag}`, expected one of "
                           f"{', '.join(sorted(rules.flags)) or 'none'}", "unknown_flag", flag)
    fact = {"complaint": {
        "category": complaint.category,
        "severity": severity,
        "severity_rank": rules.severity_ranks[severity],
        "channel": complaint.channel,
        "flags": list(flags),
        "flag_count": len(flags),
    }}
    found = select(rules, runtime.run(doc, RULESET, fact), complaint.category, severity)
    if len(cache) >= _MAX_CACHE:
        cache.clear()
    cache[key] = found  # one dict store: atomic, and a lost race only recomputes
    return found


class _Timeline:
    """A complaint's events up to ``now`` (UTC): first and all occurrences per kind, pauses
    (also per pause event), events carrying states or an approver, and whether the clock is
    paused at ``now``."""

    __slots__ = ("every", "first", "marks", "paused", "pauses", "tagged")

    def __init__(self, first: dict[str, dt.datetime], every: dict[str, list[dt.datetime]],
                 pauses: list[Pause], paused: bool, tagged: list[tuple[str, Pause]],
                 marks: dict[tuple[str, dt.datetime], list[Any]]) -> None:
        self.first, self.every, self.pauses, self.paused = first, every, pauses, paused
        self.tagged, self.marks = tagged, marks


def _check_event(rules: ComplaintRules, event: Any, where: str) -> None:
    for j, state in enumerate(event.states):
        if state not in rules.contents:
            raise _problem(f"{where}.states.{j}", f"unknown content `{state}`, expected one of "
                           f"{', '.join(sorted(rules.contents)) or 'none'}", "unknown_content",
                           state)
    if event.approved_by is not None and event.approved_by not in rules.approvers:
        raise _problem(f"{where}.approved_by", f"unknown approver `{event.approved_by}`, "
                       f"expected one of {', '.join(sorted(rules.approvers)) or 'none'}",
                       "unknown_approver", event.approved_by)


def _timeline(rules: ComplaintRules, complaint: Complaint, now: dt.datetime,
              prefix: str) -> _Timeline:
    """Validate the events; return their timeline up to ``now`` (all times UTC)."""
    received = complaint.received_at.astimezone(_UTC)
    events = complaint.events
    times = []
    known = rules.events
    for i, event in enumerate(events):
        if event.kind not in known:
            raise _problem(f"{prefix}events.{i}.kind", f"unknown event kind `{event.kind}`, "
                           f"expected one of {', '.join(sorted(known))}",
                           "unknown_event", event.kind)
        if event.states or event.approved_by is not None:
            _check_event(rules, event, f"{prefix}events.{i}")
        at = event.at.astimezone(_UTC)
        if at < received:
            raise _problem(f"{prefix}events.{i}.at", f"event at {event.at.isoformat()} is "
                           f"before the complaint was received "
                           f"({complaint.received_at.isoformat()})",
                           "before_receipt", event.at.isoformat())
        times.append(at)
    first: dict[str, dt.datetime] = {RECEIVED: received}
    every: dict[str, list[dt.datetime]] = {}
    pauses: list[Pause] = []
    tagged: list[tuple[str, Pause]] = []
    marks: dict[tuple[str, dt.datetime], list[Any]] = {}
    open_: dict[str, dt.datetime] = {}
    ordered = sorted(range(len(events)), key=times.__getitem__) if len(events) > 1 \
        else range(len(events))
    for i in ordered:
        at = times[i]
        if at > now:
            continue
        event = events[i]
        kind = event.kind
        if kind not in first:
            first[kind] = at
            every[kind] = [at]
        else:
            every[kind].append(at)
        if event.states or event.approved_by is not None:
            marks.setdefault((kind, at), []).append(event)
        if kind in rules.pauses:
            open_.setdefault(kind, at)
        elif kind in rules.resumes:
            opener = rules.resumes[kind]
            started = open_.pop(opener, None)
            if started is None:
                raise _problem(f"{prefix}events.{i}.kind", f"`{kind}` without an open "
                               f"`{opener}` before it", "resume_without_pause", kind)
            pauses.append((started, at))
            tagged.append((opener, (started, at)))
    for opener, started in open_.items():
        pauses.append((started, now))
        tagged.append((opener, (started, now)))
    return _Timeline(first, every, pauses, bool(open_), tagged, marks)


def _clip(pauses: list[Pause], end: dt.datetime) -> list[Pause]:
    return [(a, min(b, end)) for a, b in pauses if a < end]


def _start(rules: ComplaintRules, m: Milestone, tl: _Timeline) -> dt.datetime | None:
    """When a milestone with a window starts: its starting event, within the window."""
    assert m.window is not None
    after, amount, unit = m.window
    calendar = rules.calendar

    def window_end(opened: dt.datetime) -> dt.datetime:
        return calendar.deadline(opened, amount, unit)

    return window_start(m.starts, after, tl.first, tl.every, window_end)


def _completed(m: Milestone, tl: _Timeline, start: dt.datetime,
               zone: Any) -> tuple[dt.datetime | None, list[str]]:
    """The first completing event at or after ``start`` (stating what it must)."""
    if m.requires:
        return completion(m.completed_by, m.requires, tl.every, tl.marks, start, zone)
    completed: dt.datetime | None = None
    for event in m.completed_by:
        for at in tl.every.get(event, ()):  # in time order
            if at >= start:
                if completed is None or at < completed:
                    completed = at
                break
    return completed, []


def _pauses(m: Milestone, tl: _Timeline, completed: dt.datetime | None) -> list[Pause]:
    if not m.pausable:
        return []
    used = tl.pauses if m.paused_by is None else \
        [p for kind, p in tl.tagged if kind in m.paused_by]
    if used and completed is not None:
        used = _clip(used, completed)
    return used


def _granted(duration: Duration, event: str, tl: _Timeline, zone: Any,
             notes: list[str]) -> dt.datetime | None:
    """When the extension ``event`` was granted in a way that counts (notes say why not)."""
    for name, approvers, requires in duration.conditions:
        if name == event:
            at, why = counted_extension(event, sorted(approvers), sorted(requires), tl.every,
                                        tl.marks, zone)
            notes.extend(why)
            return at
    return tl.first.get(event)


def _milestone(rules: ComplaintRules, m: Milestone, duration: Duration, tl: _Timeline,
               now: dt.datetime, local: dict[dt.datetime, dt.datetime]
               ) -> MilestoneStatus | None:
    """One milestone's status (``None``: a conditional one not started); every input time is
    UTC, ``local`` caches conversions."""
    start = tl.first.get(m.starts) if m.window is None else _start(rules, m, tl)
    if start is None:
        return None if m.conditional else \
            MilestoneStatus(name=m.name, status="pending", allowed=duration.text)
    calendar = rules.calendar
    zone = calendar.zone
    completed, notes = _completed(m, tl, start, zone)
    if m.restarted_by:
        again = restart(m.restarted_by, tl.every, start, completed, now)
        if again is not None:
            start = again
            notes.append(f"the clock restarted at "
                         f"{again.astimezone(zone):%Y-%m-%d %H:%M} on new material")
    start_local = local.get(start)
    if start_local is None:
        start_local = local[start] = start.astimezone(zone)
    used = _pauses(m, tl, completed)
    unit = duration.unit
    # deadlines are local; comparing aware datetimes compares instants
    due = calendar.deadline(start_local, duration.amount, unit, used)
    for event, amount in duration.extensions:
        granted = _granted(duration, event, tl, zone, notes) if duration.conditions \
            else tl.first.get(event)
        if granted is not None and granted <= due and (completed is None
                                                       or granted <= completed):
            due = calendar.deadline(start_local, amount, unit, used)
    paused = paused_seconds(used, start, completed or now) if used else 0.0
    completed_local = None
    status: Status
    if completed is not None:
        status = "met" if completed <= due else "breached"
        completed_local = completed.astimezone(zone)
    elif now > due:
        status = "breached"
    else:
        # ``calendars.elapsed_share`` inlined: all three are aware UTC here
        allowed = (due - start).total_seconds()
        share = (now - start).total_seconds() / allowed if allowed > 0 else 0.0
        status = "at_risk" if share >= m.at_risk else "pending"
    made: MilestoneStatus = _status(m.name, status, due, completed_local, start_local,
                                    duration.text, paused, tuple(notes) if notes else ())
    return made


def _report(runtime: Runtime, cache: dict[tuple[Any, ...], Selection], complaint: Complaint,
            now: dt.datetime, policy: str | None, prefix: str) -> SlaDecision:
    doc = runtime.policy(POLICY_KIND, complaint.received_at.date(), policy)
    rules = doc.policy
    severity = _severity(rules, complaint, prefix)
    selection = _selection(runtime, cache, doc, complaint, prefix, severity)
    try:
        now_utc = now.astimezone(_UTC)
        tl = _timeline(rules, complaint, now_utc, prefix)
        local: dict[dt.datetime, dt.datetime] = {}
        applying = [(m, _milestone(rules, m, duration, tl, now_utc, local))
                    for m, duration in selection.milestones]
    except OverflowError:  # a deadline past 9999-12-31 (or a time before year 1)
        raise _problem(f"{prefix}received_at", "its dates are too far from today: a deadline "
                       "or time zone change falls outside years 1 to 9999", "date_out_of_range",
                       complaint.received_at.isoformat()) from None
    pairs = [(m, s) for m, s in applying if s is not None]
    statuses = tuple(s for _, s in pairs)
    worst = 0
    next_due: dt.datetime | None = None
    escalations = selection.escalations
    extra: set[str] = set()
    for m, s in pairs:
        if not m.binding:
            continue
        rank = _RANK[s.status]
        if rank > worst:
            worst = rank
        if rank == 3:
            extra.update(m.escalate_on_breach)
        elif s.completed_at is None and s.due_at is not None and \
                (next_due is None or s.due_at < next_due):
            next_due = s.due_at
    if extra:
        escalations = tuple(sorted(extra.union(escalations)))
    warnings = _unconfirmed(doc, rules, complaint, statuses)
    return SlaDecision(
        outcome=STATUSES[worst], hits=selection.hits, obligations=selection.obligations,
        policy=runtime.ref(doc), engine=runtime.engine_name,
        input_digest=(Complaint.digest, complaint),  # type: ignore[arg-type]  # lazy: decisions.py
        as_of=now, complaint_id=complaint.id,
        milestones=statuses, next_due=next_due,
        route=selection.route, escalations=escalations, paused=tl.paused, severity=severity,
        retention=selection.retention, warnings=warnings)


def _unconfirmed(doc: PolicyDocument[ComplaintRules], rules: ComplaintRules, complaint: Complaint,
                 statuses: tuple[MilestoneStatus, ...]) -> tuple[str, ...]:
    """Warnings for deadlines counted over a year whose holiday schedule is not confirmed
    (or ``CalendarError`` when the policy asks for one)."""
    calendar = rules.calendar
    if calendar.schedule == "statutory":
        return ()
    first = complaint.received_at.astimezone(calendar.zone).year
    last = max((s.due_at.year for s in statuses if s.due_at is not None), default=first)
    years = [y for y in range(first, last + 1) if not calendar.is_confirmed(y)]
    if not years:
        return ()
    if rules.unconfirmed_year == "error":
        raise CalendarError(calendar.jurisdiction, years[0], f"{doc.id}@{doc.version}")
    return tuple(f"the {calendar.jurisdiction} holiday schedule for {y} is not confirmed: "
                 "deadlines in it assume the usual holidays and no weekend working days"
                 for y in years)


def complaint_sla(runtime: Runtime, complaint: Any, *, as_of: Any = None,
                  policy: str | None = None, now: Any = None) -> SlaDecision:
    """The SLA position of one complaint as of ``as_of`` (the current time by default).

    Args:
        runtime: the engine's runtime (``PolicyEngine.complaint_sla`` passes it).
        complaint: a ``Complaint`` or a mapping of its fields.
        as_of: an aware datetime (or ISO text with an offset); ``now`` is its deprecated name.
        policy: a policy id, when the bundle has several complaint policies.

    Raises:
        InputError: naming the field (unknown category, severity, channel, flag or event
            kind; an event before receipt; a resume without its pause; a naive datetime).
        NotInForceError: when no complaint policy is in force on the day of receipt.
    """
    when = _now(renamed(as_of, now, old_name="now", new_name="as_of", where="complaint_sla"))
    parsed = Complaint.parse(complaint)
    return _report(runtime, runtime.state(SELECTIONS), parsed, when, policy, "")


def complaint_sla_batch(runtime: Runtime, complaints: Iterable[Any], *, as_of: Any = None,
                        policy: str | None = None, now: Any = None) -> list[SlaDecision]:
    """The SLA position of many complaints as of one ``as_of``, in input order (``now`` is
    its deprecated name).

    Rule results are computed once per (category, severity, channel, flags) and deadlines are
    cached per receipt day, so large batches are cheap. Errors name ``complaints.<i>.<field>``.
    """
    when = _now(renamed(as_of, now, old_name="now", new_name="as_of",
                        where="complaint_sla_batch"))
    if isinstance(complaints, str | bytes | Mapping | InputModel) or \
            not isinstance(complaints, Iterable):
        raise _problem("complaints", "expected a list of complaints", "bad_complaints")
    cache = runtime.state(SELECTIONS)
    out: list[SlaDecision] = []
    # A batch allocates many small objects that all survive (the reports): the cyclic
    # collector would scan them again and again for nothing (a quarter of the time at 100,000
    # complaints). It is off during the batch and on again after, as it was.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for i, item in enumerate(complaints):
            parsed = item if type(item) is Complaint else \
                Complaint.parse(item, field=f"complaints.{i}")
            out.append(_report(runtime, cache, parsed, when, policy, f"complaints.{i}."))
    finally:
        if collecting:
            gc.enable()
    return out


def evaluate_input(runtime: Runtime, data: Any, *, as_of: Any = None) -> list[SlaDecision]:
    """Evaluate ``{complaint: {...}}`` or ``{complaints: [...]}`` as of ``as_of`` (an aware
    datetime; the data's own ``as_of`` — ``now`` is its deprecated name — is used when
    ``as_of`` is not given)."""
    if not isinstance(data, Mapping):
        raise _problem("", "expected a mapping with `complaint` or `complaints`", "bad_input")
    unknown = sorted(str(k) for k in data if k not in ("complaint", "complaints", "as_of",
                                                      "now"))
    if unknown:
        raise InputError([InputProblem(k, "unknown key (expected complaint, complaints, as_of)",
                                       "unknown_key") for k in unknown])
    if ("complaint" in data) == ("complaints" in data):
        raise _problem("complaint", "give exactly one of `complaint` and `complaints`",
                       "missing")
    own = renamed(data.get("as_of"), data.get("now"), old_name="now", new_name="as_of",
                  where="complaint input")
    when = as_of if as_of is not None else own
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        raise _problem("as_of", "expected a datetime with a time zone offset, got a date",
                       "bad_datetime", when)
    if "complaints" in data:
        return complaint_sla_batch(runtime, data["complaints"], as_of=when)
    return [complaint_sla(runtime, data["complaint"], as_of=when)]
