"""Complaint milestones over arrays: one pass per milestone of the policy over every row whose
selection has it (a book's rows fall in a few dozen selections that share their milestones,
so passes per selection would repeat the same array work on small slices), the deadline
computed once per distinct duration among them.

Each row goes through its milestones in the policy's order, as ``complaint_sla`` does; what
a milestone leaves for the next (the restart clock, the latest due time, the worst status so
far, the nearest open deadline) is kept per row between passes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from finpolicy.columnar.tables import first_and_inverse
from finpolicy.columnar.workdays import NO_DAY, WorkdayIndex
from finpolicy.domains.complaints.columnar_out import NONE, DecisionColumns
from finpolicy.domains.complaints.models import STATUSES
from finpolicy.domains.complaints.policy import RECEIVED, Duration, Milestone, Selection

__all__ = ["Codes", "Days", "Seen", "decide_rows", "due", "due_where", "warnings"]

_NONE = NONE
_YEARS = 10_000  # years run to 9999
_BREACHED = STATUSES.index("breached")
_NO_BIT = 1 << 62



class Codes:
    """A policy's contents as bits and its approvers as numbers, so what an event stated and
    who approved it are integers per row."""

    def __init__(self, contents: Iterable[str], approvers: Iterable[str]) -> None:
        names = sorted(contents)
        # more contents than bits: every event that states some goes to the row engine
        self.contents = {c: 1 << i for i, c in enumerate(names)} if len(names) < 62 else {}
        self.approvers = {a: i for i, a in enumerate(sorted(approvers))}

    def bits(self, contents: Iterable[str]) -> int:
        """The bits of ``contents``; one no event has for a content without a bit."""
        out = 0
        for name in contents:
            out |= self.contents.get(name, _NO_BIT)
        return out


class Seen:
    """What the rows of one pass show of each event kind: its first time up to now
    (``_NONE``: none), the contents it stated (``Codes`` bits) and its approver (a ``Codes``
    number, -1: none); ``None`` for a kind no row has."""

    def __init__(self, times: dict[str, Any], stated: dict[str, Any],
                 approved: dict[str, Any], take: Callable[[Any], Any]) -> None:
        self._times, self._stated, self._approved, self._take = times, stated, approved, take

    def at(self, kind: str) -> Any:
        times = self._times.get(kind)
        return None if times is None else self._take(times)

    def stated(self, kind: str, n: int) -> Any:
        bits = self._stated.get(kind)
        return np.zeros(n, np.int64) if bits is None else self._take(bits)

    def approved(self, kind: str, n: int) -> Any:
        who = self._approved.get(kind)
        return np.full(n, -1, np.int64) if who is None else self._take(who)

    def subset(self, rows: Any) -> Seen:
        take = self._take
        return Seen(self._times, self._stated, self._approved, lambda a: take(a)[rows])


class Days:
    """The local day and the effective receipt day of one array of instants, worked out once
    for every deadline counted from it (most milestones count from receipt)."""

    def __init__(self, index: WorkdayIndex, micros: Any) -> None:
        self.index, self.micros = index, micros
        self._local: Any = None
        self._irregular: Any = None
        self._receipt: Any = None
        self._counted: Any = None

    @property
    def local(self) -> Any:
        if self._local is None:
            self._local = self.index.local_day(self.micros)
        return self._local

    @property
    def irregular(self) -> Any:
        """Days outside the index or with a clock change (the row engine's)."""
        if self._irregular is None:
            local = self.local
            self._irregular = (local == NO_DAY) | ~self.index.regular[np.maximum(local, 0)]
        return self._irregular

    @property
    def receipt(self) -> Any:
        if self._receipt is None:
            self._receipt = self.index.effective_receipt_day(self.micros, self.local)
        return self._receipt

    def working_days_due(self, n: int) -> Any:
        """``index.nth_after(receipt, n)``, with the receipt days' working-day counts
        looked up once for every ``n``."""
        index, day = self.index, self.receipt
        if self._counted is None:
            inside = day >= 0
            self._counted = inside, index.through[np.where(inside, day, 0)]
        inside, through = self._counted
        k = through + (n - 1)
        ok = inside & (k < len(index.working))
        found = day if n == 0 else index.working[np.where(ok, k, 0)]
        return np.where(ok, found, NO_DAY)


def due(index: WorkdayIndex, start: Any, amount: int, unit: str,
        days: Days | None = None) -> tuple[Any, Any]:
    """Due instants (UTC microseconds) and where the index could not say (row engine);
    ``days``: ``start``'s days, when already known."""
    if unit == "hours":
        return start + amount * 3_600_000_000, np.zeros(len(start), np.bool_)
    days = days if days is not None and days.micros is start else Days(index, start)
    if unit == "working_days":
        day = days.working_days_due(amount)
    elif unit == "calendar_days":
        day = index.calendar_days_due(start, amount, days.local)
    else:
        day = index.weeks_due(start, amount, days.local)
    return index.end_of(day), (day == NO_DAY) | days.irregular


def due_where(index: WorkdayIndex, start: Any, amount: int, unit: str, needed: Any,
              days: Days | None = None) -> tuple[Any, Any]:
    """``due`` for the rows ``needed`` marks; the others get ``start`` and no flag (a
    deadline no clock runs for is not worked out: most rows have not reached most
    milestones)."""
    if unit == "hours" or needed.all():
        return due(index, start, amount, unit, days)
    when, bad = start.copy(), np.zeros(len(start), np.bool_)
    rows = np.flatnonzero(needed)
    if len(rows):
        when[rows], bad[rows] = due(index, start[rows], amount, unit)
    return when, bad


def _start(index: WorkdayIndex, m: Milestone, received: Any, seen: Seen) -> tuple[Any, Any]:
    """When each row's milestone starts (``_NONE``: not started) and the rows the index
    could not decide."""
    none = np.full(len(received), _NONE, np.int64)
    started = received if m.starts == RECEIVED else seen.at(m.starts)
    started = none if started is None else started
    if m.window is None:
        return started, np.zeros(len(received), np.bool_)
    after, amount, unit = m.window
    opened = received if after == RECEIVED else seen.at(after)
    opened = none if opened is None else opened
    is_open = opened != _NONE
    end, bad = due_where(index, np.where(is_open, opened, received), amount, unit, is_open)
    inside = is_open & (started != _NONE) & (started >= opened) & (started <= end)
    return np.where(inside, started, _NONE), is_open & bad


def _deadline(index: WorkdayIndex, duration: Duration, start: Any, completed: Any,
              seen: Seen, codes: Codes, started: Any,
              days: Days | None = None) -> tuple[Any, Any]:
    """Each started row's due time under ``duration`` from ``start``, with the extensions
    granted before it fell due and before completion, and the rows the index could not
    decide (rows not ``started`` get ``start``)."""
    days = days if days is not None and days.micros is start else Days(index, start)
    when, bad = due_where(index, start, duration.amount, duration.unit, started, days)
    conditions = {name: (who, needs) for name, who, needs in duration.conditions}
    after = dict(duration.after)
    counted_at: dict[str, Any] = {}  # per extension, when it counted (_NONE where not)
    for event, amount in duration.extensions:
        granted = seen.at(event)
        if granted is None:
            continue
        prior = after.get(event)
        if prior is not None:  # a further extension counts only after the first one did
            first = counted_at.get(prior)
            granted = np.full(len(start), _NONE) if first is None else np.where(
                (first != _NONE) & (first <= granted), granted, _NONE)
        if event in conditions:  # it counts when approved as required and stating so
            who, needs = conditions[event]
            ok = np.ones(len(start), np.bool_)
            if who:
                ok &= np.isin(seen.approved(event, len(start)),
                              [codes.approvers[a] for a in who if a in codes.approvers])
            if needs:
                bits = codes.bits(needs)
                ok &= (seen.stated(event, len(start)) & bits) == bits
            granted = np.where(ok, granted, _NONE)
        counts = started & (granted != _NONE) & (granted <= when) & (granted <= completed)
        counted_at[event] = np.where(counts, granted, _NONE)
        if counts.any():
            longer, worse = due_where(index, start, amount, duration.unit, counts, days)
            when, bad = np.where(counts, longer, when), bad | (counts & worse)
    return when, bad


class _Rows:
    """The per-row state of the rows decided by arrays, carried from milestone to
    milestone."""

    def __init__(self, rows: Any, received: Any, first: dict[str, Any],
                 stated: dict[str, Any], approved: dict[str, Any]) -> None:
        n = len(rows)
        self.rows, self.received = rows, received[rows]
        self.days: Days | None = None  # of ``received``, once a deadline counts from it
        self.first = {kind: times[rows] for kind, times in first.items()}
        self.stated = {kind: bits[rows] for kind, bits in stated.items()}
        self.approved = {kind: who[rows] for kind, who in approved.items()}
        self.needs = np.zeros(n, np.bool_)
        self.worst = np.zeros(n, np.int64)
        self.next_due = np.full(n, _NONE, np.int64)
        self.latest = np.full(n, -1, np.int64)
        self.breached: list[tuple[Any, tuple[str, ...]]] = []


def decide_rows(index: WorkdayIndex, now: int, out: DecisionColumns, rows: Any, which: Any,
                found: Sequence[tuple[Selection, str] | None], received: Any,
                events: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
                milestones: Sequence[Milestone], codes: Codes) -> tuple[Any, Any, Days]:
    """Fill the decisions of ``rows`` (chunk rows; ``which``: each one's selection in
    ``found``; ``events``: per kind, each chunk row's first time, contents stated and
    approver, see ``Seen``); return the rows left to the row engine, each row's latest due
    time, and the days of their receipt times."""
    state = _Rows(rows, received, *events)
    for m in milestones:
        # a rule may set the events completing ``m``: one pass per such variant of it
        variants: dict[Milestone, dict[int, Duration]] = {}
        for g, item in enumerate(found):
            for mm, d in item[0].milestones if item is not None else ():
                if mm.name == m.name:
                    variants.setdefault(mm, {})[g] = d
        for variant, durations in variants.items():
            has = np.zeros(len(found), np.bool_)
            has[list(durations)] = True
            _milestone(index, now, out, state, which, has[which], variant, durations, codes)
    _escalations(out, state, which, [None if f is None else f[0] for f in found])
    out.words_by("outcome", rows, STATUSES, state.worst)
    out.set_times("next_due", rows, state.next_due)
    out.words_by("severity", rows, [None if f is None else f[1] for f in found], which)
    for name, value in (("route", lambda s: s.route),
                        ("rule_ids", lambda s: [h.rule_id for h in s.hits]),
                        ("obligations", lambda s: list(s.obligations))):
        out.words_by(name, rows, [None if f is None else value(f[0]) for f in found], which)
    return state.needs, state.latest, state.days or Days(index, state.received)


def _milestone(index: WorkdayIndex, now: int, out: DecisionColumns, state: _Rows, which: Any,
               mine: Any, m: Milestone, durations: dict[int, Duration], codes: Codes) -> None:
    """One milestone over the rows ``mine`` marks: those whose selection has it."""
    part = None if mine.all() else np.flatnonzero(mine)
    if part is not None and not len(part):
        return

    def take(values: Any) -> Any:
        return values if part is None else values[part]

    seen = Seen(state.first, state.stated, state.approved, take)
    received = take(state.received)
    start, bad = _start(index, m, received, seen)
    needs = bad
    started = start != _NONE
    # from receipt (the usual start), every row has started: the receipt times themselves
    safe_start = received if start is received else np.where(started, start, received)
    completed = _completion(m, seen, codes, safe_start)
    latest = take(state.latest)
    if m.restarted_by:
        start, needs = _restarted(index, m, state, take, which, durations, start, started,
                                  safe_start, completed, seen, codes, needs)
        safe_start = np.where(started, start, received)
    days = None
    if safe_start is state.received:
        days = state.days = state.days or Days(index, state.received)
    when, bad = _due_by_duration(index, take(which), durations, safe_start, completed, seen,
                                 codes, started, days)
    done = completed != _NONE
    status = _status(m, now, when, safe_start, completed, started)
    applies = started | (not m.conditional)
    rows = take(state.rows)
    out.words_by(f"{m.name}.status", rows[applies], STATUSES, status[applies])
    out.set_times(f"{m.name}.due_at", rows, when, started)
    out.set_times(f"{m.name}.started_at", rows, start, started)
    out.set_times(f"{m.name}.completed_at", rows, completed, started & done)
    np.maximum(latest, when, out=latest, where=started)  # ``latest``: this pass's own array
    _put(state, "latest", part, latest)
    _put(state, "needs", part, take(state.needs) | needs | (started & bad))
    if m.binding:
        _bind(state, part, take, m, np.where(applies, status, 0),
              applies & started & ~done, when)


def _completion(m: Milestone, seen: Seen, codes: Codes, start: Any) -> Any:
    """When each row's milestone was completed (``_NONE``: open): the first completing event
    at or after ``start`` that states every content the milestone requires."""
    completed = np.full(len(start), _NONE, np.int64)
    needed = codes.bits(m.requires)
    for kind in m.completed_by:
        done_at = seen.at(kind)
        if done_at is None:
            continue
        if needed:  # it completes only when it states them all
            stated = seen.stated(kind, len(start)) & needed
            done_at = np.where(stated == needed, done_at, _NONE)
        completed = np.where((done_at >= start) & (done_at < completed), done_at, completed)
    return completed


def _restarts(m: Milestone, seen: Seen, start: Any, completed: Any) -> tuple[Any, Any]:
    """The latest restarting event after ``start`` and before completion (-1: none), and
    how many there are."""
    latest = np.full(len(start), -1, np.int64)
    count = np.zeros(len(start), np.int64)
    for kind in m.restarted_by:
        again = seen.at(kind)
        if again is not None:
            counts = (again != _NONE) & (again > start) & (again < completed)
            count += counts
            latest = np.where(counts & (again > latest), again, latest)
    return latest, count


def _restarted(index: WorkdayIndex, m: Milestone, state: _Rows, take: Callable[[Any], Any],
               which: Any, durations: dict[int, Duration], start: Any, started: Any,
               safe_start: Any, completed: Any, seen: Seen, codes: Codes,
               needs: Any) -> tuple[Any, Any]:
    """Each row's start after new material (Art. 18): a restarting event counts only while
    the period it restarts still runs, so one event is checked against the deadline counted
    from the start; rows with several (each restart moving the period the next must fall
    in) go to the row engine. Returns the starts and the rows the row engine decides."""
    again, count = _restarts(m, seen, safe_start, completed)
    one = started & (count == 1)
    needs = needs | (started & (count > 1))
    if one.any():
        days = None
        if safe_start is state.received:
            days = state.days = state.days or Days(index, state.received)
        first, bad = _due_by_duration(index, take(which), durations, safe_start, completed,
                                      seen, codes, started, days)
        needs = needs | (one & bad)
        start = np.where(one & (again <= first), again, start)
    return start, needs


def _status(m: Milestone, now: int, when: Any, start: Any, completed: Any,
            started: Any) -> Any:
    """Each row's status code (``STATUSES``), as ``complaint_sla`` rates the milestone."""
    status = np.where(completed != _NONE, np.where(completed <= when, 0, 3),
                      np.where(now > when, 3, 1))
    status = np.where(started, status, 1)
    # the share of the time allowed matters only for open milestones not yet due
    rows = np.flatnonzero(started & (status == 1))
    if len(rows):
        begin, end = start[rows], when[rows]
        allowed = (end - begin) / 1e6  # seconds, as ``timedelta.total_seconds`` gives them
        share = np.where(allowed > 0, ((now - begin) / 1e6) / np.where(
            allowed > 0, allowed, 1.0), 0.0)
        status[rows] = np.where(share >= m.at_risk, 2, 1)
    return status


def _bind(state: _Rows, part: Any, take: Callable[[Any], Any], m: Milestone, ranked: Any,
          open_: Any, when: Any) -> None:
    """A binding milestone's share of the outcome: the worst status, the nearest open due
    time, and its escalations when breached."""
    _put(state, "worst", part, np.maximum(take(state.worst), ranked))
    open_ = open_ & (ranked != _BREACHED)
    nearest = take(state.next_due)
    _put(state, "next_due", part, np.where(open_ & (when < nearest), when, nearest))
    if m.escalate_on_breach:
        hit = np.zeros(len(state.rows), np.bool_)
        _put_into(hit, part, ranked == _BREACHED)
        state.breached.append((hit, m.escalate_on_breach))


def _due_by_duration(index: WorkdayIndex, which: Any, durations: dict[int, Duration],
                     start: Any, completed: Any, seen: Seen, codes: Codes, started: Any,
                     days: Days | None) -> tuple[Any, Any]:
    """``_deadline`` once per distinct duration among the rows' selections."""
    distinct = list(dict.fromkeys(durations.values()))
    if len(distinct) == 1:
        return _deadline(index, distinct[0], start, completed, seen, codes, started, days)
    number = {d: i for i, d in enumerate(distinct)}
    lookup = np.full(max(durations) + 1, -1, np.int64)
    for g, d in durations.items():
        lookup[g] = number[d]
    kind = lookup[which]
    when = np.empty(len(start), np.int64)
    bad = np.zeros(len(start), np.bool_)
    for i, duration in enumerate(distinct):
        rows = np.flatnonzero(kind == i)
        when[rows], bad[rows] = _deadline(index, duration, start[rows], completed[rows],
                                          seen.subset(rows), codes, started[rows])
    return when, bad


def _put(state: _Rows, name: str, part: Any, values: Any) -> None:
    if part is None:
        setattr(state, name, values)
    else:
        getattr(state, name)[part] = values


def _put_into(target: Any, part: Any, values: Any) -> None:
    if part is None:
        target[:] = values
    else:
        target[part] = values


def _escalations(out: DecisionColumns, state: _Rows, which: Any,
                 selections: Sequence[Selection | None]) -> None:
    """Each selection's escalations, plus those of each binding milestone breached."""
    base = [None if s is None else list(s.escalations) for s in selections]
    if not state.breached:
        out.words_by("escalations", state.rows, base, which)
        return
    width = len(state.breached)
    key = which.astype(np.int64) << width
    for i, (hit, _) in enumerate(state.breached):
        key |= hit.astype(np.int64) << i
    first, inverse = first_and_inverse(key, len(selections) << width)
    lists = []
    for value in key[first]:
        g, mask = int(value) >> width, int(value)
        extra = {e for i, (_, names) in enumerate(state.breached) if mask >> i & 1
                 for e in names}
        chosen = selections[g]
        assert chosen is not None  # rows without a selection are not decided here
        lists.append(sorted(extra.union(chosen.escalations)) if extra else base[g])
    out.words_by("escalations", state.rows, lists, inverse)


def warnings(calendar: Any, unconfirmed: str, index: WorkdayIndex, out: DecisionColumns,
             rows: Any, received: Days, latest: Any) -> Any:
    """The unconfirmed-year warnings per (receipt year, last due year); rows whose policy
    makes that an error are left to the row engine."""
    needs = np.zeros(len(rows), np.bool_)
    if calendar.schedule == "statutory":
        out.word("warnings", rows, [])
        return needs
    first = index.first_year + (_years(index, received.local))
    last = np.where(latest >= 0, index.first_year + _years(index, index.local_day(
        np.where(latest >= 0, latest, received.micros))), first)
    last = np.maximum(first, last)
    span = first * _YEARS + last  # one number per (first, last): a 1-d unique is a fast sort
    for key in np.unique(span):
        a, b = divmod(int(key), _YEARS)
        hit = span == key
        years = [y for y in range(a, b + 1) if not calendar.is_confirmed(y)]
        if years and unconfirmed == "error":
            needs |= hit
            continue
        out.word("warnings", rows[hit], [calendar.unconfirmed_warning(y) for y in years])
    return needs


def _years(index: WorkdayIndex, day: Any) -> Any:
    """Years since the index's first year of day indices."""
    starts = np.asarray([dt.date(y, 1, 1).toordinal() - index.base
                         for y in range(index.first_year, index.last_year + 2)])
    return np.searchsorted(starts, np.maximum(day, 0), side="right") - 1
