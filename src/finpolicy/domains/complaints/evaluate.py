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
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from finpolicy.calendars import Pause
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.complaints.checks import (
    completion,
    counted_extension,
    restart,
    window_start,
)
from finpolicy.domains.complaints.clock import paused_time
from finpolicy.domains.complaints.models import (
    STATUSES,
    Complaint,
    MilestoneStatus,
    SlaReport,
    Status,
)
from finpolicy.domains.complaints.policy import (
    KIND,
    RECEIVED,
    RULESET,
    ComplaintRules,
    Duration,
    Milestone,
    Selection,
    select,
)
from finpolicy.errors import InputError, InputProblem
from finpolicy.inputs import InputModel

_RANK = {name: i for i, name in enumerate(STATUSES)}
_UTC = dt.UTC
_MAX_CACHE = 65_536


def _problem(path: str, message: str, code: str, value: Any = None) -> InputError:
    return InputError([InputProblem(path, message, code, value)], model="Complaint")


class _EngineCache:
    """Per engine: policy documents by (date, id), and rule selections by combination.

    Kept per engine (not on the shared policy object) so each engine runs its own rules.
    """

    __slots__ = ("docs", "lock", "refs", "selections")

    def __init__(self) -> None:
        self.docs: dict[tuple[dt.date, str | None], PolicyDocument] = {}
        self.selections: dict[tuple[Any, ...], Selection] = {}
        self.refs: dict[int, Any] = {}
        self.lock = threading.Lock()


_CACHES: weakref.WeakKeyDictionary[Any, _EngineCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache(engine: Any) -> _EngineCache:
    found = _CACHES.get(engine)
    if found is None:
        with _CACHES_LOCK:
            found = _CACHES.get(engine)
            if found is None:
                found = _CACHES[engine] = _EngineCache()
    return found


def _now(value: Any) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _problem("now", f"expected an ISO datetime with an offset, got `{value}`",
                           "bad_datetime", value) from None
    if not isinstance(value, dt.datetime):
        raise _problem("now", f"expected a datetime with a time zone, got "
                              f"{type(value).__name__}", "bad_datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise _problem("now", "naive datetime: give a datetime with a time zone offset",
                       "naive_datetime", value)
    return value


def _document(engine: Any, cache: _EngineCache, on: dt.date,
              policy: str | None) -> PolicyDocument:
    key = (on, policy)
    doc = cache.docs.get(key)
    if doc is None:
        doc = engine.policy(KIND, on, policy)
        with cache.lock:
            if len(cache.docs) >= 4096:
                cache.docs.clear()
            cache.docs[key] = doc
    return doc


def _ref(engine: Any, cache: _EngineCache, doc: PolicyDocument) -> Any:
    found = cache.refs.get(id(doc))
    if found is None:
        found = cache.refs[id(doc)] = engine.ref(doc)
    return found


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


def _selection(engine: Any, cache: _EngineCache, doc: PolicyDocument, rules: ComplaintRules,
               complaint: Complaint, prefix: str, severity: str) -> Selection:
    flags = tuple(sorted(set(complaint.flags)))
    # id(doc): documents live as long as the engine's bundle, and hashing one is not cheap
    key = (id(doc), complaint.category, severity, complaint.channel, flags)
    found = cache.selections.get(key)
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
    found = select(rules, engine.run(doc, RULESET, fact), complaint.category, severity)
    with cache.lock:
        if len(cache.selections) >= _MAX_CACHE:
            cache.selections.clear()
        cache.selections[key] = found
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
    clock = rules.clock

    def window_end(opened: dt.datetime) -> dt.datetime:
        return clock.deadline(opened, opened.astimezone(clock.zone), amount, unit)[1]

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
    clock = rules.clock
    completed, notes = _completed(m, tl, start, clock.zone)
    if m.restarted_by:
        again = restart(m.restarted_by, tl.every, start, completed, now)
        if again is not None:
            start = again
            notes.append(f"the clock restarted at "
                         f"{again.astimezone(clock.zone):%Y-%m-%d %H:%M} on new material")
    start_local = local.get(start)
    if start_local is None:
        start_local = local[start] = start.astimezone(clock.zone)
    used = _pauses(m, tl, completed)
    unit = duration.unit
    due_local, due = clock.deadline(start, start_local, duration.amount, unit, used)
    for event, amount in duration.extensions:
        granted = _granted(duration, event, tl, clock.zone, notes) if duration.conditions \
            else tl.first.get(event)
        if granted is not None and granted <= due and (completed is None
                                                       or granted <= completed):
            due_local, due = clock.deadline(start, start_local, amount, unit, used)
    paused = paused_time(used, start, completed or now) if used else 0.0
    completed_local = None
    status: Status
    if completed is not None:
        status = "met" if completed <= due else "breached"
        completed_local = completed.astimezone(clock.zone)
    elif now > due:
        status = "breached"
    else:
        # ``calendars.elapsed_share`` inlined: all three are aware UTC here
        allowed = (due - start).total_seconds()
        share = (now - start).total_seconds() / allowed if allowed > 0 else 0.0
        status = "at_risk" if share >= m.at_risk else "pending"
    return MilestoneStatus(name=m.name, status=status, due_at=due_local,
                           completed_at=completed_local, started_at=start_local,
                           allowed=duration.text, paused_seconds=paused, notes=tuple(notes))


def _report(engine: Any, cache: _EngineCache, complaint: Complaint, now: dt.datetime,
            policy: str | None, prefix: str) -> SlaReport:
    doc = _document(engine, cache, complaint.received_at.date(), policy)
    rules: ComplaintRules = doc.policy  # type: ignore[assignment]
    severity = _severity(rules, complaint, prefix)
    selection = _selection(engine, cache, doc, rules, complaint, prefix, severity)
    now_utc = now.astimezone(_UTC)
    tl = _timeline(rules, complaint, now_utc, prefix)
    local: dict[dt.datetime, dt.datetime] = {}
    applying = [(m, _milestone(rules, m, duration, tl, now_utc, local))
                for m, duration in selection.milestones]
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
    return SlaReport(
        outcome=STATUSES[worst], hits=selection.hits, obligations=selection.obligations,
        policy=_ref(engine, cache, doc), engine=engine.engine_name, input_digest=complaint.digest(),
        as_of=now, complaint_id=complaint.id, milestones=statuses, next_due=next_due,
        route=selection.route, escalations=escalations, paused=tl.paused, severity=severity,
        retention=selection.retention)


def complaint_sla(engine: Any, complaint: Any, *, now: Any = None,
                  policy: str | None = None) -> SlaReport:
    """The SLA position of one complaint at ``now`` (the current time by default).

    Args:
        engine: the ``PolicyEngine``.
        complaint: a ``Complaint`` or a mapping of its fields.
        now: an aware datetime (or ISO text with an offset).
        policy: a policy id, when the bundle has several complaint policies.

    Raises:
        InputError: naming the field (unknown category, severity, channel, flag or event
            kind; an event before receipt; a resume without its pause; a naive datetime).
        NotInForceError: when no complaint policy is in force on the day of receipt.
    """
    when = _now(now)
    parsed = Complaint.parse(complaint)
    return _report(engine, _cache(engine), parsed, when, policy, "")


def complaint_sla_batch(engine: Any, complaints: Iterable[Any], *, now: Any = None,
                        policy: str | None = None) -> list[SlaReport]:
    """The SLA position of many complaints at one ``now``, in input order.

    Rule results are computed once per (category, severity, channel, flags) and deadlines are
    cached per receipt day, so large batches are cheap. Errors name ``complaints.<i>.<field>``.
    """
    when = _now(now)
    if isinstance(complaints, str | bytes | Mapping | InputModel) or \
            not isinstance(complaints, Iterable):
        raise _problem("complaints", "expected a list of complaints", "bad_complaints")
    cache = _cache(engine)
    out: list[SlaReport] = []
    for i, item in enumerate(complaints):
        prefix = f"complaints.{i}."
        parsed = item if type(item) is Complaint else \
            Complaint.parse(item, field=f"complaints.{i}")
        out.append(_report(engine, cache, parsed, when, policy, prefix))
    return out


def evaluate_input(engine: Any, data: Mapping[str, Any], *, as_of: Any = None) -> list[SlaReport]:
    """Evaluate ``{complaint: {...}}`` or ``{complaints: [...]}`` at ``as_of`` (an aware
    datetime; ``now`` inside the data is used when ``as_of`` is not given)."""
    if not isinstance(data, Mapping):
        raise _problem("", "expected a mapping with `complaint` or `complaints`", "bad_input")
    unknown = sorted(str(k) for k in data if k not in ("complaint", "complaints", "now"))
    if unknown:
        raise InputError([InputProblem(k, "unknown key (expected complaint, complaints, now)",
                                       "unknown_key") for k in unknown])
    if ("complaint" in data) == ("complaints" in data):
        raise _problem("complaint", "give exactly one of `complaint` and `complaints`",
                       "missing")
    when = as_of if as_of is not None else data.get("now")
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        raise _problem("now", "expected a datetime with a time zone offset, got a date",
                       "bad_datetime", when)
    if "complaints" in data:
        return complaint_sla_batch(engine, data["complaints"], now=when)
    return [complaint_sla(engine, data["complaint"], now=when)]
