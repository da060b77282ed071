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
from collections.abc import Iterable, Mapping
from typing import Any

from finpolicy._compat import renamed
from finpolicy.calendars import Pause, paused_seconds
from finpolicy.documents.bundle import PolicyDocument
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


def _selection(runtime: Runtime, cache: dict[tuple[Any, ...], Selection],
               doc: PolicyDocument[ComplaintRules], complaint: Complaint,
               prefix: str) -> Selection:
    rules = doc.policy
    flags = tuple(sorted(set(complaint.flags)))
    # id(doc): documents live as long as the runtime's bundle, and hashing one is not cheap
    key = (id(doc), complaint.category, complaint.severity, complaint.channel, flags)
    found = cache.get(key)
    if found is not None:
        return found
    if complaint.category not in rules.routes:
        raise _problem(f"{prefix}category", f"unknown category `{complaint.category}`, expected "
                       f"one of {', '.join(rules.routes)}", "unknown_category",
                       complaint.category)
    if complaint.severity not in rules.severity_ranks:
        raise _problem(f"{prefix}severity", f"unknown severity `{complaint.severity}`, expected "
                       f"one of {', '.join(rules.severity_ranks)}", "unknown_severity",
                       complaint.severity)
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
        "severity": complaint.severity,
        "severity_rank": rules.severity_ranks[complaint.severity],
        "channel": complaint.channel,
        "flags": list(flags),
        "flag_count": len(flags),
    }}
    found = select(rules, runtime.run(doc, RULESET, fact), complaint.category,
                   complaint.severity)
    if len(cache) >= _MAX_CACHE:
        cache.clear()
    cache[key] = found  # one dict store: atomic, and a lost race only recomputes
    return found


def _timeline(rules: ComplaintRules, complaint: Complaint, now: dt.datetime,
              prefix: str) -> tuple[dict[str, dt.datetime], dict[str, list[dt.datetime]],
                                    list[Pause], bool]:
    """Validate the events; return first occurrences, all occurrences (in time order),
    pauses and whether the clock is paused at ``now`` — all times in UTC.

    Only events at or before ``now`` (UTC) count.
    """
    received = complaint.received_at.astimezone(_UTC)
    events = complaint.events
    times = []
    known = rules.events
    for i, event in enumerate(events):
        if event.kind not in known:
            raise _problem(f"{prefix}events.{i}.kind", f"unknown event kind `{event.kind}`, "
                           f"expected one of {', '.join(sorted(known))}",
                           "unknown_event", event.kind)
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
    open_: dict[str, dt.datetime] = {}
    ordered = sorted(range(len(events)), key=times.__getitem__) if len(events) > 1 \
        else range(len(events))
    for i in ordered:
        at = times[i]
        if at > now:
            continue
        kind = events[i].kind
        if kind not in first:
            first[kind] = at
            every[kind] = [at]
        else:
            every[kind].append(at)
        if kind in rules.pauses:
            open_.setdefault(kind, at)
        elif kind in rules.resumes:
            opener = rules.resumes[kind]
            started = open_.pop(opener, None)
            if started is None:
                raise _problem(f"{prefix}events.{i}.kind", f"`{kind}` without an open "
                               f"`{opener}` before it", "resume_without_pause", kind)
            pauses.append((started, at))
    for started in open_.values():
        pauses.append((started, now))
    return first, every, pauses, bool(open_)


def _clip(pauses: list[Pause], end: dt.datetime) -> list[Pause]:
    return [(a, min(b, end)) for a, b in pauses if a < end]


def _milestone(rules: ComplaintRules, m: Milestone, duration: Duration,
               first: dict[str, dt.datetime], every: dict[str, list[dt.datetime]],
               pauses: list[Pause], now: dt.datetime,
               local: dict[dt.datetime, dt.datetime]) -> MilestoneStatus:
    """One milestone's status; every input time is UTC, ``local`` caches conversions.

    Deadlines are local to the calendar; comparing aware datetimes compares instants, so
    they are never converted back to UTC.
    """
    start = first.get(m.starts)
    if start is None:
        return MilestoneStatus(name=m.name, status="pending", allowed=duration.text)
    calendar = rules.calendar
    start_local = local.get(start)
    if start_local is None:
        start_local = local[start] = start.astimezone(calendar.zone)
    completed: dt.datetime | None = None
    for event in m.completed_by:
        for at in every.get(event, ()):  # in time order
            if at >= start:
                if completed is None or at < completed:
                    completed = at
                break
    used = pauses if m.pausable else []
    if used and completed is not None:
        used = _clip(used, completed)
    unit = duration.unit
    due = calendar.deadline(start_local, duration.amount, unit, used)
    for event, amount in duration.extensions:
        granted = first.get(event)
        if granted is not None and granted <= due and (completed is None
                                                       or granted <= completed):
            due = calendar.deadline(start_local, amount, unit, used)
    paused = paused_seconds(used, start, completed or now) if used else 0.0
    completed_local = None
    status: Status
    if completed is not None:
        status = "met" if completed <= due else "breached"
        completed_local = completed.astimezone(calendar.zone)
    elif now > due:
        status = "breached"
    else:
        # ``calendars.elapsed_share`` inlined: all three are aware here
        allowed = (due - start).total_seconds()
        share = (now - start).total_seconds() / allowed if allowed > 0 else 0.0
        status = "at_risk" if share >= m.at_risk else "pending"
    return MilestoneStatus(name=m.name, status=status, due_at=due,
                           completed_at=completed_local, started_at=start_local,
                           allowed=duration.text, paused_seconds=paused)


def _report(runtime: Runtime, cache: dict[tuple[Any, ...], Selection], complaint: Complaint,
            now: dt.datetime, policy: str | None, prefix: str) -> SlaDecision:
    doc = runtime.policy(POLICY_KIND, complaint.received_at.date(), policy)
    rules = doc.policy
    selection = _selection(runtime, cache, doc, complaint, prefix)
    now_utc = now.astimezone(_UTC)
    first, every, pauses, paused_now = _timeline(rules, complaint, now_utc, prefix)
    local: dict[dt.datetime, dt.datetime] = {}
    statuses = tuple(_milestone(rules, m, duration, first, every, pauses, now_utc, local)
                     for m, duration in selection.milestones)
    worst = 0
    next_due: dt.datetime | None = None
    escalations = selection.escalations
    extra: set[str] = set()
    for (m, _), s in zip(selection.milestones, statuses, strict=True):
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
        policy=runtime.ref(doc), engine=runtime.engine_name, input_digest=complaint.digest(),
        as_of=now, complaint_id=complaint.id, milestones=statuses, next_due=next_due,
        route=selection.route, escalations=escalations, paused=paused_now, warnings=warnings)


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
    for i, item in enumerate(complaints):
        prefix = f"complaints.{i}."
        parsed = item if type(item) is Complaint else \
            Complaint.parse(item, field=f"complaints.{i}")
        out.append(_report(runtime, cache, parsed, when, policy, prefix))
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
