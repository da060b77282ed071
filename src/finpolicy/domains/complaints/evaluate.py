"""SLA evaluation: ``complaint_sla``, ``complaint_sla_batch`` and ``evaluate_input``.

Conventions (tests pin them):

- the policy version is the one in force on the day of ``received_at`` in the policy's
  calendar zone (``versions.policy_at``);
- events after ``now`` have not happened yet and are ignored (so a report can be replayed for
  any earlier ``now``); they are still validated;
- a milestone starts at its starting event's first occurrence and is completed by the first
  completing event at or after its start; until it starts it is ``pending`` with no due time;
- a pause runs from a pause event to its resume event; one still open at ``now`` runs to
  ``now``; pauses after a milestone's completion do not count for it;
- an extension counts when its event happened before the deadline it extends (and before the
  milestone was completed); the longest such extension applies; a late one is noted;
- a restarting event (new material) restarts the clock only while the period it restarts
  still runs (CBIRC 2020 No. 3 Art. 18: within the handling period); a later one is noted
  and restarts nothing, so it cannot clear a breach;
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
from finpolicy.calendars import Pause
from finpolicy.decisions import decision_maker
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.complaints.checks import (
    early_completers,
    early_completion,
    early_start,
    watched,
    window_openers,
)
from finpolicy.domains.complaints.models import STATUSES, Complaint, SlaDecision
from finpolicy.domains.complaints.plan import Plan, Timeline, run
from finpolicy.domains.complaints.policy import (
    RECEIVED,
    RULESET,
    ComplaintRules,
    Duration,
    Milestone,
    Selection,
    select,
)
from finpolicy.domains.complaints.targets import contradiction
from finpolicy.domains.complaints.versions import policy_at
from finpolicy.errors import InputError, InputProblem, NotInForceError
from finpolicy.inputs import InputModel, in_zone, kind_of
from finpolicy.runtime import Runtime, StateKey

# the attrs constructor, several times cheaper (one per complaint)
_decision = decision_maker(
    SlaDecision, "outcome", "hits", "obligations", "policy", "engine", "input_digest", "as_of",
    "complaint_id", "milestones", "next_due", "route", "escalations", "paused", "warnings",
    "severity", "retention")
_UTC = dt.UTC
_MAX_CACHE = 65_536
_NOT_A_ZONE = object()  # no event's tzinfo is this


# Rule selections and their milestone plans by (document, category, severity, channel,
# flags), per engine: each engine runs its own rules, so the cache lives in the runtime, not
# on the shared policy.
SELECTIONS: StateKey[dict[tuple[Any, ...], tuple[Selection, Plan]]] = StateKey(
    "complaints.selections", dict)
# Plans by (document, milestones): selections with the same milestones share one, and so the
# deadlines it keeps per receipt day.
PLANS: StateKey[dict[tuple[Any, ...], Plan]] = StateKey("complaints.plans", dict)


def _problem(path: str, message: str, code: str, value: Any = None) -> InputError:
    return InputError.one(path, message, code, value, model="Complaint")


def _now(value: Any) -> dt.datetime:
    if value.__class__ is dt.datetime and value.utcoffset() is not None:
        return value  # (the usual case, first)
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


def _selection(runtime: Runtime, cache: dict[tuple[Any, ...], tuple[Selection, Plan]],
               doc: PolicyDocument[ComplaintRules], complaint: Complaint, prefix: str,
               severity: str) -> tuple[Selection, Plan]:
    rules = doc.policy
    flags = tuple(sorted(set(complaint.flags))) if complaint.flags else ()
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
    selection = select(rules, runtime.run(doc, RULESET, fact), complaint.category, severity)
    found = (selection, _plan(runtime, doc, selection.milestones))
    if len(cache) >= _MAX_CACHE:
        cache.clear()
    cache[key] = found  # one dict store: atomic, and a lost race only recomputes
    return found


def _plan(runtime: Runtime, doc: PolicyDocument[ComplaintRules],
          milestones: tuple[tuple[Milestone, Duration], ...]) -> Plan:
    plans = runtime.state(PLANS)
    key = (id(doc), milestones)
    found = plans.get(key)
    if found is None:
        if len(plans) >= _MAX_CACHE:
            plans.clear()
        found = plans[key] = Plan(doc.policy, milestones, f"{doc.id}@{doc.version}",
                                  runtime.ref(doc))
    return found


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


def _timeline(rules: ComplaintRules, complaint: Complaint, received: dt.datetime,
              now: dt.datetime, prefix: str) -> Timeline:
    """Validate the events; return their timeline up to ``now`` (all times UTC, ``received``
    too)."""
    first: dict[str, dt.datetime] = {RECEIVED: received}
    if not complaint.events:
        return Timeline(first, {}, [], False, [], {})
    every: dict[str, list[dt.datetime]] = {}
    marks: dict[tuple[str, dt.datetime], list[Any]] = {}
    pausing, resuming, needs = rules.pauses, rules.resumes, rules.pause_requires
    open_: dict[str, dt.datetime] = {}
    closed: list[tuple[str, Pause]] = []
    unpaused: list[tuple[str, dt.datetime, tuple[str, ...]]] = []  # stating too little
    ordered = _ordered(rules, complaint, received, prefix)
    for j in range(len(ordered)):
        _settle(ordered, j, open_, pausing, resuming)
        at, i, kind, event = ordered[j]
        if at > now:
            break  # and so are the ones after it
        seen = every.get(kind)
        if seen is None:
            first[kind] = at
            every[kind] = [at]
        else:
            seen.append(at)
        if event is not None:
            marks.setdefault((kind, at), []).append(event)
        if kind in pausing:
            missing = _missing(needs.get(kind), event)
            if missing:
                unpaused.append((kind, at, missing))
            else:
                open_.setdefault(kind, at)
        elif kind in resuming:
            opener = resuming[kind]
            if opener not in open_ and any(k == opener for k, _, _ in unpaused):
                continue  # it ends a pause that never stopped the clock
            closed.append(_closed(rules, open_, kind, at, f"{prefix}events.{i}.kind"))
    if not closed and not open_:
        return Timeline(first, every, [], False, [], marks, tuple(unpaused))
    for opener, started in open_.items():
        closed.append((opener, (started, now)))
    return Timeline(first, every, [p for _, p in closed], bool(open_), closed, marks,
                    tuple(unpaused))


def _settle(ordered: list[tuple[dt.datetime, int, str, Any]], j: int,
            open_: dict[str, dt.datetime], pausing: Any, resuming: Mapping[str, str]) -> None:
    """Order the events at the instant of ``ordered[j]`` as they must have happened,
    whatever order the input listed them in: a pause that is open ends before it starts
    again (one session of mediation ending at 12:00, the next starting at 12:00), and one
    that is not open starts before it ends (a pause of no length). Moves the event that
    must come first to ``j``."""
    at, _, kind, _ = ordered[j]
    if kind in pausing:
        wanted = {r for r, p in resuming.items() if p == kind} if kind in open_ else None
    elif kind in resuming and resuming[kind] not in open_:
        wanted = {resuming[kind]}
    else:
        return
    if not wanted:
        return
    for k in range(j + 1, len(ordered)):
        if ordered[k][0] != at:
            return
        if ordered[k][2] in wanted:
            ordered.insert(j, ordered.pop(k))
            return


def _missing(needed: frozenset[str] | None, event: Any) -> tuple[str, ...]:
    """What a pausing event fails to state of what its pause requires."""
    if not needed:
        return ()
    return tuple(sorted(needed - set(event.states if event is not None else ())))


def _ordered(rules: ComplaintRules, complaint: Complaint, received: dt.datetime,
             prefix: str) -> list[tuple[dt.datetime, int, str, Any]]:
    """The complaint's events, validated, as (UTC time, index, kind, the event when it states
    something or names an approver) in time order (a stable sort: indices differ)."""
    known, contents, approvers = rules.events, rules.contents, rules.approvers
    starters, surveyed = watched(rules)
    starting = False
    utc = _UTC
    # An event in the receipt's own fixed offset (one ``dt.timezone`` object, as an
    # application that stamps every time alike gives) is its offset from the receipt after
    # the receipt's UTC time: the same datetime as ``astimezone(UTC)``, at a fifth the cost.
    received_at = complaint.received_at
    fixed: object = received_at.tzinfo
    if fixed.__class__ is not dt.timezone:
        fixed = _NOT_A_ZONE
    ordered: list[tuple[dt.datetime, int, str, Any]] = []
    i = 0
    for event in complaint.events:
        fields = event.__dict__  # (the model's fields: cheaper than four attribute reads)
        kind, states, approver = fields["kind"], fields["states"], fields["approved_by"]
        if kind not in known:
            raise _problem(f"{prefix}events.{i}.kind", f"unknown event kind `{kind}`, "
                           f"expected one of {', '.join(sorted(known))}", "unknown_event", kind)
        marked = states or approver is not None
        if marked and (not contents.issuperset(states)
                       or (approver is not None and approver not in approvers)):
            _check_event(rules, event, f"{prefix}events.{i}")  # (raises, naming it)
        if kind in starters:
            starting = True
        if states and kind in surveyed:  # (satisfied and dissatisfied: raises, naming it)
            contradiction(rules, event, f"{prefix}events.{i}")
        at = fields["at"]
        at = received + (at - received_at) if at.tzinfo is fixed else at.astimezone(utc)
        ordered.append((at, i, kind, event if marked else None))
        if at < received:
            raise _problem(f"{prefix}events.{i}.at", f"event at {event.at.isoformat()} is "
                           f"before the complaint was received ({received_at.isoformat()})",
                           "before_receipt", event.at.isoformat())
        i += 1
    if i > 1:
        ordered.sort()
    early = early_start(window_openers(rules), ordered) if starting else None
    if early is not None:  # (e.g. a review requested of no decision)
        j, kind, after, name = early
        raise _problem(f"{prefix}events.{j}.at", f"`{kind}` at "
                       f"{complaint.events[j].at.isoformat()} comes before any `{after}`: "
                       f"`{name}` starts only after `{after}`, within its window",
                       "early_start", complaint.events[j].at.isoformat())
    late = early_completion(early_completers(rules), ordered) if starting else None
    if late is not None:  # (e.g. a review decided with no review requested)
        j, kind, starts, name = late
        raise _problem(f"{prefix}events.{j}.at", f"`{kind}` at "
                       f"{complaint.events[j].at.isoformat()} comes before any {starts}: "
                       f"`{name}` starts with {starts}, so there is nothing for it to "
                       "complete", "early_completion", complaint.events[j].at.isoformat())
    return ordered


def _closed(rules: ComplaintRules, open_: dict[str, dt.datetime], kind: str, at: dt.datetime,
            where: str) -> tuple[str, Pause]:
    """The pause the resume event ``kind`` at ``at`` ends (which pause event opened it)."""
    opener = rules.resumes[kind]
    started = open_.pop(opener, None)
    if started is None:
        raise _problem(where, f"`{kind}` without an open `{opener}` before it",
                       "resume_without_pause", kind)
    return opener, (started, at)


def _report(runtime: Runtime, cache: dict[tuple[Any, ...], tuple[Selection, Plan]],
            complaint: Complaint, now: dt.datetime, policy: str | None, prefix: str,
            now_utc: dt.datetime | None = None) -> SlaDecision:
    """The decision on one complaint (``now_utc``: ``now`` in UTC, when a batch has it)."""
    received_at = complaint.received_at
    doc = policy_at(runtime, received_at, policy, f"{prefix}received_at")
    rules = doc.policy
    severity = complaint.severity
    if complaint.criteria or severity not in rules.severity_ranks:
        severity = _severity(rules, complaint, prefix)  # (graded, or an error naming it)
    selection, plan = _selection(runtime, cache, doc, complaint, prefix, severity)
    try:
        if now_utc is None:
            now_utc = now.astimezone(_UTC)
        received = received_at.astimezone(_UTC)
        tl = _timeline(rules, complaint, received, now_utc, prefix)
        statuses, worst, next_due, breached, first, last = run(plan, tl, now_utc, received)
    except OverflowError:  # a deadline past 9999-12-31 (or a time before year 1)
        raise _problem(f"{prefix}received_at", "its dates are too far from today: a deadline "
                       "or time zone change falls outside years 1 to 9999", "date_out_of_range",
                       received_at.isoformat()) from None
    if now_utc < received:  # no SLA position before receipt (not a `pending` one)
        raise _problem(f"{prefix}received_at", f"complaint {complaint.id} was received at "
                       f"{received_at.isoformat()}, after as_of {now.isoformat()}: give an "
                       "as_of at or after its receipt", "as_of_before_receipt",
                       received_at.isoformat())
    escalations = selection.escalations
    if breached:
        escalations = plan.escalations(escalations, breached)
    # deadlines counted over a year whose holiday schedule is not confirmed
    warnings = () if plan.statutory else plan.warnings(first, last)
    made: SlaDecision = _decision(
        STATUSES[worst], selection.hits, selection.obligations, plan.ref,
        runtime.engine_name, complaint, now, complaint.id, statuses,
        next_due, selection.route, escalations, tl.paused, warnings, severity,
        selection.retention)
    return made


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
            kind; an event before receipt; an ``as_of`` before receipt, at ``received_at``; a
            window's starting event before the window's event, e.g. a review requested
            before any decision; a resume without its pause; a naive datetime).
        NotInForceError: when no complaint policy is in force on the day of receipt.
    """
    if now is not None:
        as_of = renamed(as_of, now, old_name="now", new_name="as_of", where="complaint_sla")
    return single(runtime, complaint, as_of, policy)


# ``as_of`` and its UTC instant for the last single call (a run of calls shares one ``as_of``)
_last_now: tuple[Any, dt.datetime | None] = (None, None)


def single(runtime: Runtime, complaint: Any, as_of: Any, policy: str | None) -> SlaDecision:
    """``complaint_sla`` with its arguments resolved (``PolicyEngine.complaint_sla`` calls
    this: the request path)."""
    global _last_now
    last = _last_now  # (one read: another thread may replace it; never half of it)
    if last[0] is as_of and as_of is not None:  # (checked on the call before)
        when, now_utc = as_of, last[1]
    else:
        when = _now(as_of)
        now_utc = in_zone(when, _UTC, "as_of")
        _last_now = (when, now_utc)
    parsed = complaint if complaint.__class__ is Complaint else _parsed(complaint)
    return _report(runtime, runtime.state(SELECTIONS), parsed, when, policy, "", now_utc)


def _parsed(complaint: Any) -> Complaint:
    """One complaint from a ``Complaint`` or a mapping of its fields; anything else (``None``)
    names ``complaint`` (its own fields' errors stay at their names: ``received_at``)."""
    if not isinstance(complaint, Complaint | Mapping):
        raise _problem("complaint", f"expected a Complaint or a mapping of its fields, got "
                                    f"{kind_of(complaint)}", "model_type", complaint)
    return Complaint.parse(complaint)


def complaint_sla_batch(runtime: Runtime, complaints: Iterable[Any], *, as_of: Any = None,
                        policy: str | None = None, now: Any = None) -> list[SlaDecision]:
    """The SLA position of many complaints as of one ``as_of``, in input order (``now`` is
    its deprecated name).

    Rule results are computed once per (category, severity, channel, flags) and deadlines are
    cached per receipt day, so large batches are cheap. Errors name ``complaints.<i>.<field>``
    (a complaint received before its policy's first version: ``received_at``,
    ``not_in_force``).
    """
    when = _now(renamed(as_of, now, old_name="now", new_name="as_of",
                        where="complaint_sla_batch"))
    if isinstance(complaints, str | bytes | Mapping | InputModel) or \
            not isinstance(complaints, Iterable):
        raise _problem("complaints", "expected a list of complaints", "bad_complaints")
    cache = runtime.state(SELECTIONS)
    out: list[SlaDecision] = []
    now_utc = in_zone(when, _UTC, "as_of")
    # A batch allocates many small objects that all survive (the reports): the cyclic
    # collector would scan them again and again for nothing (a quarter of the time at 100,000
    # complaints). It is off during the batch and on again after, as it was.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for i, item in enumerate(complaints):
            parsed = item if type(item) is Complaint else \
                Complaint.parse(item, field=f"complaints.{i}")
            try:
                out.append(_report(runtime, cache, parsed, when, policy, f"complaints.{i}.",
                                   now_utc))
            except NotInForceError as exc:
                if not str(exc).startswith("no version of"):  # no such policy at all
                    raise
                # this complaint's receipt, not the batch: name it, as a table row is named
                raise _problem(f"complaints.{i}.received_at", str(exc), "not_in_force",
                               parsed.received_at.isoformat()) from None
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
