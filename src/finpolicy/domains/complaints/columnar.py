"""Complaint SLAs over tables: rule selections once per distinct (category, severity,
channel, flags), deadlines as working-day look-ups (``columnar.workdays``), statuses
column-wise.

Input: a complaints table (``id, received_at, channel, category, severity, flags``) whose
other columns are event kinds holding the event's time (text cells may hold several times
separated by ``;``, as the CSV reader takes them), and optionally ``events``: a table in long
form (``complaint_id, kind, at``). The arrays decide the common case: every event kind at
most once up to ``as_of``, no pause, no graded criteria, milestones without windows, required
contents, restarts or conditional extensions, days without a clock change. Every other row
is decided by ``complaint_sla`` itself, so a table gets exactly the row engine's decisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.columnar.tables import column_or_none, distinct, distinct_rows
from finpolicy.columnar.workdays import NO_DAY, WorkdayIndex, to_micros, workday_index
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.complaints.columnar_out import NONE, TIME, DecisionColumns, fill, schema
from finpolicy.domains.complaints.evaluate import (
    SELECTIONS,
    _now,
    _selection,
    complaint_sla,
)
from finpolicy.domains.complaints.models import STATUSES, Complaint
from finpolicy.domains.complaints.policy import POLICY_KIND, RECEIVED, ComplaintRules, Selection
from finpolicy.errors import FinpolicyError, InputError
from finpolicy.limits import MAX_ID_LENGTH
from finpolicy.runtime import Runtime

__all__ = ["BASE_COLUMNS", "decide_batch", "prepare"]

BASE_COLUMNS = ("id", "received_at", "channel", "category", "severity", "flags", "criteria")
_NONE = NONE
_TIME = TIME
_AWARE = r"(Z|[+-]\d\d:?\d\d)$"
_YEARS = 10_000  # years run to 9999


def _micros(array: pa.Array | None, n: int) -> tuple[Any, Any]:
    """UTC microseconds of aware times (a timestamp with a zone, or ISO text with an offset)
    and where they could not be read so (left to the row engine)."""
    if array is None:
        return np.full(n, _NONE, np.int64), np.zeros(n, np.bool_)
    valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
    if pa.types.is_timestamp(array.type) and array.type.tz is not None:
        values = array.cast(_TIME).cast(pa.int64()).fill_null(_NONE)
        return values.to_numpy(zero_copy_only=False), np.zeros(n, np.bool_)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        text = pc.utf8_trim_whitespace(array)
        aware = pc.match_substring_regex(text, _AWARE).fill_null(False)
        readable = pc.if_else(aware, text, pa.scalar(None, pa.string()))
        try:
            stamps = pc.cast(readable, _TIME)
        except pa.ArrowInvalid:
            return np.full(n, _NONE, np.int64), valid
        values = stamps.cast(pa.int64()).fill_null(_NONE).to_numpy(zero_copy_only=False)
        return values, valid & ~np.asarray(aware.to_numpy(zero_copy_only=False), np.bool_)
    return np.full(n, _NONE, np.int64), valid


def _wide_events(batch: pa.RecordBatch, rules: ComplaintRules, now: int
                 ) -> tuple[dict[str, Any], Any, Any]:
    """First time per event kind up to ``now`` (from event-kind columns), the earliest
    event of each row, and the rows left to the row engine."""
    n = batch.num_rows
    first: dict[str, Any] = {}
    earliest = np.full(n, _NONE, np.int64)
    needs = np.zeros(n, np.bool_)
    for name in batch.schema.names:
        if name in BASE_COLUMNS or name == "events":
            continue
        array = column_or_none(batch, name)
        assert array is not None
        if name not in rules.events:  # the row engine names the unknown kind
            needs |= ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
            continue
        if pa.types.is_string(array.type):
            several = pc.match_substring(array, ";").fill_null(False)
            needs |= np.asarray(several.to_numpy(zero_copy_only=False), np.bool_)
        at, bad = _micros(array, n)
        needs |= bad
        seen = at != _NONE
        happened = seen & (at <= now)
        first[name] = np.where(happened, at, _NONE)
        earliest = np.minimum(earliest, at)
        if name in rules.pauses or name in rules.resumes:
            needs |= happened  # paused clocks: the row engine counts them
    return first, earliest, needs


def _start(index: WorkdayIndex, m: Any, rows: Any, received: Any,
           first: dict[str, Any]) -> tuple[Any, Any]:
    """When each row's milestone starts (``_NONE``: not started) and the rows the index
    could not decide."""
    none = np.full(len(rows), _NONE, np.int64)
    at = received[rows] if m.starts == RECEIVED else first.get(m.starts, none)[rows] \
        if m.starts in first else none
    if m.window is None:
        return at, np.zeros(len(rows), np.bool_)
    after, amount, unit = m.window
    opened = received[rows] if after == RECEIVED else first[after][rows] if after in first \
        else none
    is_open = opened != _NONE
    end, bad = _due(index, np.where(is_open, opened, received[rows]), amount, unit)
    inside = is_open & (at != _NONE) & (at >= opened) & (at <= end)
    return np.where(inside, at, _NONE), is_open & bad


class _Chunk:
    """What one batch's rows share: the policy, the calendar index, ``as_of``."""

    def __init__(self, runtime: Runtime, doc: PolicyDocument[ComplaintRules], now: dt.datetime,
                 received: Any) -> None:
        self.runtime, self.doc, self.rules = runtime, doc, doc.policy
        self.now = to_micros(now)
        calendar = doc.policy.calendar
        seen = received[received != _NONE]
        low = int(seen.min()) if len(seen) else self.now
        high = max(int(seen.max()) if len(seen) else self.now, self.now)
        per_unit = {"working_days": 2, "calendar_days": 1, "weeks": 7, "hours": 1}
        days = max(max([d.amount, *(a for _, a in d.extensions)]) * per_unit[d.unit]
                   for m in doc.policy.milestones for d in [m.duration])
        self.index: WorkdayIndex = workday_index(calendar, max(_year(low) - 1, 1),
                                                 min(_year(high) + 2 + days // 365, 9998))
        self.zone = calendar.zone


def _year(micros: int) -> int:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)).year


def _due(index: WorkdayIndex, start: Any, amount: int, unit: str) -> tuple[Any, Any]:
    """Due instants (UTC microseconds) and where the index could not say (row engine)."""
    if unit == "hours":
        return start + amount * 3_600_000_000, np.zeros(len(start), np.bool_)
    local = index.local_day(start)
    if unit == "working_days":
        day = index.working_days_due(start, amount, local)
    elif unit == "calendar_days":
        day = index.calendar_days_due(start, amount, local)
    else:
        day = index.weeks_due(start, amount, local)
    irregular = (local == NO_DAY) | ~index.regular[np.maximum(local, 0)]
    return index.end_of(day), (day == NO_DAY) | irregular


def _texts(batch: pa.RecordBatch, name: str, n: int) -> tuple[Any, list[Any]]:
    array = column_or_none(batch, name)
    if array is None:
        return np.full(n, -1, np.int32), []
    return distinct(array)


def _flags(value: Any) -> Any:
    if isinstance(value, str):
        return [v.strip() for v in value.replace("|", ";").split(";") if v.strip()]
    return value


def _selections(chunk: _Chunk, batch: pa.RecordBatch, n: int
                ) -> tuple[list[tuple[Selection, str] | None], Any]:
    """Each distinct (category, severity, channel, flags) with its selection and severity
    (``None`` where the row engine must say why not), and each row's."""
    parts = [_texts(batch, name, n) for name in ("category", "severity", "channel", "flags")]
    stacked = np.stack([codes for codes, _ in parts], axis=1)
    first, inverse = distinct_rows([codes for codes, _ in parts], [len(v) for _, v in parts])
    cache = chunk.runtime.state(SELECTIONS)
    found: list[tuple[Selection, str] | None] = []
    for row in first:
        values = [v[c] if c >= 0 else None for (codes, v), c in
                  zip(parts, stacked[row], strict=True)]
        data = {"id": "x", "received_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                "category": values[0], "severity": values[1], "channel": values[2],
                "flags": _flags(values[3])}
        try:
            complaint = Complaint.parse({k: v for k, v in data.items() if v is not None})
            severity = _severity_of(chunk.rules, complaint)
            found.append((_selection(chunk.runtime, cache, chunk.doc, complaint, "", severity),
                          severity))
        except InputError:
            found.append(None)
    return found, inverse


def _severity_of(rules: ComplaintRules, complaint: Complaint) -> str:
    from finpolicy.domains.complaints.evaluate import _severity

    return _severity(rules, complaint, "")


def _group(chunk: _Chunk, out: DecisionColumns, rows: Any, selection: Selection, severity: str,
           received: Any, first: dict[str, Any]) -> Any:
    """Fill the decisions of ``rows`` (one selection); return the rows left to the row
    engine."""
    index, now = chunk.index, chunk.now
    needs = np.zeros(len(rows), np.bool_)
    worst = np.zeros(len(rows), np.int64)
    next_due = np.full(len(rows), _NONE, np.int64)
    breached: list[tuple[Any, tuple[str, ...]]] = []
    latest = np.full(len(rows), -1, np.int64)
    for m, duration in selection.milestones:
        start, bad = _start(index, m, rows, received, first)
        needs |= bad
        started = start != _NONE
        safe_start = np.where(started, start, received[rows])
        completed = np.full(len(rows), _NONE, np.int64)
        # an event column carries no contents: a milestone that requires some stays open
        for kind in () if m.requires else m.completed_by:
            at = first.get(kind)
            if at is not None:
                at = at[rows]
                completed = np.where((at >= safe_start) & (at < completed), at, completed)
        if m.restarted_by:
            latest = np.full(len(rows), -1, np.int64)
            for kind in m.restarted_by:
                at = first.get(kind)
                if at is not None:
                    at = at[rows]
                    counts = (at != _NONE) & (at > safe_start) & (at < completed)
                    latest = np.where(counts & (at > latest), at, latest)
            start = np.where(started & (latest >= 0), latest, start)
            safe_start = np.where(started, start, received[rows])
        due, bad = _due(index, safe_start, duration.amount, duration.unit)
        conditioned = {name for name, _, _ in duration.conditions}
        for event, amount in duration.extensions:
            # nor an approver: an extension that needs one does not count
            granted = None if event in conditioned else first.get(event)
            if granted is None:
                continue
            granted = granted[rows]
            counts = (granted != _NONE) & (granted <= due) & (granted <= completed)
            if counts.any():
                longer, worse = _due(index, safe_start, amount, duration.unit)
                due, bad = np.where(counts, longer, due), bad | (counts & worse)
        needs |= started & bad
        done = completed != _NONE
        allowed = (due - safe_start) / 1e6
        share = np.where(allowed > 0, ((now - safe_start) / 1e6) / np.where(
            allowed > 0, allowed, 1.0), 0.0)
        status = np.where(done, np.where(completed <= due, 0, 3),
                          np.where(now > due, 3, np.where(share >= m.at_risk, 2, 1)))
        status = np.where(started, status, 1)
        applies = started | (not m.conditional)
        name = m.name
        for code, word in enumerate(STATUSES):
            hit = applies & (status == code)
            if hit.any():
                out.word(f"{name}.status", rows[hit], word)
        out.times[f"{name}.due_at"][rows[started]] = due[started]
        latest = np.where(started, np.maximum(latest, due), latest)
        out.times[f"{name}.started_at"][rows[started]] = start[started]
        out.times[f"{name}.completed_at"][rows[started & done]] = completed[started & done]
        if m.binding:
            ranked = np.where(applies, status, 0)
            worst = np.maximum(worst, ranked)
            open_ = applies & started & ~done & (ranked != 3)
            next_due = np.where(open_ & (due < next_due), due, next_due)
            if m.escalate_on_breach:
                breached.append((applies & (ranked == 3), m.escalate_on_breach))
    _escalations(out, rows, selection, breached)
    for code, word in enumerate(STATUSES):
        hit = worst == code
        if hit.any():
            out.word("outcome", rows[hit], word)
    out.times["next_due"][rows] = next_due
    out.word("severity", rows, severity)
    out.word("route", rows, selection.route)
    out.word("rule_ids", rows, [h.rule_id for h in selection.hits])
    out.word("obligations", rows, list(selection.obligations))
    needs |= _warnings(chunk, out, rows, received[rows], latest)
    return needs


def _escalations(out: DecisionColumns, rows: Any, selection: Selection,
                 breached: list[tuple[Any, tuple[str, ...]]]) -> None:
    """The selection's escalations, plus those of each binding milestone breached."""
    if not breached:
        out.word("escalations", rows, list(selection.escalations))
        return
    bits = np.zeros(len(rows), np.int64)
    for i, (hit, _) in enumerate(breached):
        bits |= hit.astype(np.int64) << i
    for key in np.unique(bits):
        extra = {e for i, (_, names) in enumerate(breached) if key >> i & 1 for e in names}
        words = sorted(extra.union(selection.escalations)) if extra else \
            list(selection.escalations)
        out.word("escalations", rows[bits == key], words)


def _warnings(chunk: _Chunk, out: DecisionColumns, rows: Any, received: Any, latest: Any) -> Any:
    """The unconfirmed-year warnings per (receipt year, last due year); rows whose policy
    makes that an error are left to the row engine."""
    calendar = chunk.rules.calendar
    needs = np.zeros(len(rows), np.bool_)
    if calendar.schedule == "statutory":
        out.word("warnings", rows, [])
        return needs
    index = chunk.index
    first = index.first_year + (_years(index, index.local_day(received)))
    last = np.where(latest >= 0, index.first_year + _years(index, index.local_day(
        np.where(latest >= 0, latest, received))), first)
    last = np.maximum(first, last)
    span = first * _YEARS + last  # one number per (first, last): a 1-d unique is a fast sort
    for key in np.unique(span):
        a, b = divmod(int(key), _YEARS)
        hit = span == key
        years = [y for y in range(a, b + 1) if not calendar.is_confirmed(y)]
        if years and chunk.rules.unconfirmed_year == "error":
            needs |= hit
            continue
        out.word("warnings", rows[hit], [
            f"the {calendar.jurisdiction} holiday schedule for {y} is not confirmed: "
            "deadlines in it assume the usual holidays and no weekend working days"
            for y in years])
    return needs


def _years(index: WorkdayIndex, day: Any) -> Any:
    """Years since the index's first year of day indices."""
    starts = np.asarray([dt.date(y, 1, 1).toordinal() - index.base
                         for y in range(index.first_year, index.last_year + 2)])
    return np.searchsorted(starts, np.maximum(day, 0), side="right") - 1


def _doc(runtime: Runtime, received: Any, valid: Any, policy: str | None
         ) -> PolicyDocument[ComplaintRules] | None:
    """The one policy version in force over every receipt day of the batch (a day either
    side, since the row engine takes the day in the receipt's own offset), else ``None``."""
    seen = received[valid]
    if not len(seen):
        return None
    low, high = _date(int(seen.min())) - dt.timedelta(days=1), \
        _date(int(seen.max())) + dt.timedelta(days=1)
    try:
        doc = runtime.policy(POLICY_KIND, low, policy)
        if runtime.policy(POLICY_KIND, high, policy) is not doc:
            return None
        windows = {(d.metadata.effective_from) for d in runtime.bundle.policies(POLICY_KIND.name)}
    except FinpolicyError:  # not in force, unknown policy: the row engine raises it
        return None
    if any(low < day <= high for day in windows):
        return None
    return doc


def _date(micros: int) -> dt.date:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)).date()


def decide_batch(runtime: Runtime, batch: pa.RecordBatch, *, now: dt.datetime,
                 policy: str | None = None, first_row: int = 0) -> pa.Table:
    """The SLA decisions of one batch of complaints, in row order.

    Raises:
        InputError: the row engine's error for the first row it refuses, located at its row
            (``first_row`` + index, counting from 1).
    """
    n = batch.num_rows
    ids = column_or_none(batch, "id")
    needs = np.zeros(n, np.bool_)
    if ids is None or not pa.types.is_string(ids.type):
        ids, needs[:] = pa.nulls(n, pa.string()), True
    else:
        lengths = pc.utf8_length(ids).fill_null(0).to_numpy(zero_copy_only=False)
        needs |= (lengths < 1) | (lengths > MAX_ID_LENGTH)
    received, bad = _micros(column_or_none(batch, "received_at"), n)
    needs |= bad | (received == _NONE)
    for name in ("criteria", "events"):  # graded complaints, `kind@time` lists: row engine
        cells = column_or_none(batch, name)
        if cells is not None:
            needs |= ~np.asarray(cells.is_null().to_numpy(zero_copy_only=False), np.bool_)
    doc = _doc(runtime, received, ~needs, policy)
    names = _names(runtime, policy)
    out = DecisionColumns(n, names)
    if doc is None:
        needs[:] = True
    else:
        chunk = _Chunk(runtime, doc, now, received)
        first, earliest, bad = _wide_events(batch, chunk.rules, chunk.now)
        needs |= bad | (earliest < received)
        found, which = _selections(chunk, batch, n)
        for g, item in enumerate(found):
            rows = np.flatnonzero((which == g) & ~needs)
            if item is None:
                needs[rows] = True
                continue
            if len(rows):
                needs[rows] |= _group(chunk, out, rows, item[0], item[1], received, first)
    for i in np.flatnonzero(needs):
        fill(out, int(i), _row_decision(runtime, batch, int(i), now, policy, first_row))
    return out.table(ids, schema(names))


def _names(runtime: Runtime, policy: str | None) -> tuple[str, ...]:
    """Every milestone name of the bundle's complaint policies (one column set per name)."""
    seen: dict[str, None] = {}
    for doc in runtime.bundle.policies(POLICY_KIND.name):
        if policy is None or doc.id == policy:
            seen.update((m.name, None) for m in doc.policy.milestones)
    return tuple(seen)


def _row_decision(runtime: Runtime, batch: pa.RecordBatch, i: int, now: dt.datetime,
                  policy: str | None, first_row: int) -> Any:
    from finpolicy.domains.complaints.batch import _csv_complaint

    cells: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        value = column[i].as_py()
        if value is None:
            continue
        if isinstance(value, dt.datetime) and name not in BASE_COLUMNS:
            events.append({"kind": name, "at": value})
        elif isinstance(value, list) and name == "flags":
            cells["flags"] = value
        elif name == "criteria" and not isinstance(value, str):
            cells["criteria"] = dict(value) if not isinstance(value, dict) else value
        else:
            cells[name] = value
    try:
        text = {k: v for k, v in cells.items() if isinstance(v, str)}
        data = _csv_complaint(text)
        data.update({k: v for k, v in cells.items() if not isinstance(v, str)})
        if events:
            data["events"] = [*data.get("events", []), *events]
        return complaint_sla(runtime, data, as_of=now, policy=policy)
    except InputError as exc:
        raise exc.located("table", first_row + i + 1) from None


def prepare(runtime: Runtime, /, *, as_of: Any = None, policy: str | None = None) -> Any:
    """The chunk evaluator of the batch API (``as_of``: an aware datetime, now by default)."""
    now = _now(as_of)

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        return decide_batch(runtime, batch, now=now, policy=policy, first_row=first_row)
    return evaluate
