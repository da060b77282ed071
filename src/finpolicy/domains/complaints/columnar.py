"""Complaint SLAs over tables: rule selections once per distinct (category, severity,
channel, flags), deadlines as working-day look-ups (``columnar.workdays``), statuses
column-wise.

Input: a complaints table (``id, received_at, channel, category, severity, flags``) whose
other columns are event kinds holding the event's time (text cells may hold several times
separated by ``;``, as the CSV reader takes them), and optionally (``prepare(events=...)``)
the events in long form, one row per event (``complaint_id, kind, at`` and optionally
``states, approved_by, note``; see ``columnar_events``). The arrays decide the common case:
every event kind at most once, no pause, at most one restarting event, no graded criteria,
no event stating contents or naming an approver, days without a clock change. Every other
row is decided by ``complaint_sla`` itself, so a table gets exactly the row engine's
decisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import TypeAdapter, ValidationError

from finpolicy.columnar.columns import PLAIN_ID
from finpolicy.columnar.rejects import RowErrors
from finpolicy.columnar.repeated import SeenIds
from finpolicy.columnar.tables import Source, column_or_none, distinct, distinct_rows
from finpolicy.columnar.workdays import WorkdayIndex, to_micros, workday_index
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.complaints.checks import early_completers, window_openers
from finpolicy.domains.complaints.columnar_events import ChunkEvents, EventIndex
from finpolicy.domains.complaints.columnar_milestones import Codes, decide_rows, warnings
from finpolicy.domains.complaints.columnar_out import (
    NONE,
    TIME,
    DecisionColumns,
    event_place,
    fill,
    of_source,
    schema,
)
from finpolicy.domains.complaints.evaluate import (
    SELECTIONS,
    _now,
    _selection,
    complaint_sla,
)
from finpolicy.domains.complaints.models import Complaint
from finpolicy.domains.complaints.policy import POLICY_KIND, ComplaintRules, Selection
from finpolicy.errors import FinpolicyError, InputError, NotInForceError
from finpolicy.inputs import in_zone
from finpolicy.limits import Reference
from finpolicy.runtime import Runtime

__all__ = ["BASE_COLUMNS", "decide_batch", "prepare"]

BASE_COLUMNS = ("id", "received_at", "channel", "category", "severity", "flags", "criteria")
_NONE = NONE
_TIME = TIME
_AWARE = r"(Z|[+-]\d\d:?\d\d)$"
# UTC microseconds Python's datetimes hold: a time outside goes to the row engine (its error)
_FIRST, _LAST = (to_micros(t.replace(tzinfo=dt.UTC)) for t in (dt.datetime.min, dt.datetime.max))


def _micros(array: pa.Array | None, n: int) -> tuple[Any, Any]:
    """UTC microseconds of aware times (a timestamp with a zone, or ISO text with an offset)
    and where they could not be read so (left to the row engine)."""
    if array is None:
        return np.full(n, _NONE, np.int64), np.zeros(n, np.bool_)
    valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
    if pa.types.is_timestamp(array.type) and array.type.tz is not None:
        try:
            values = array.cast(_TIME).cast(pa.int64()).fill_null(_NONE)
        except pa.ArrowInvalid:  # nanoseconds a microsecond cannot hold: the row engine
            return np.full(n, _NONE, np.int64), valid
        return _in_range(values.to_numpy(zero_copy_only=False), np.zeros(n, np.bool_))
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        text = pc.utf8_trim_whitespace(array)
        aware = pc.match_substring_regex(text, _AWARE).fill_null(False)
        readable = pc.if_else(aware, text, pa.scalar(None, pa.string()))
        try:
            stamps = pc.cast(readable, _TIME)
        except pa.ArrowInvalid:
            return np.full(n, _NONE, np.int64), valid
        values = stamps.cast(pa.int64()).fill_null(_NONE).to_numpy(zero_copy_only=False)
        return _in_range(values, valid & ~np.asarray(aware.to_numpy(zero_copy_only=False),
                                                     np.bool_))
    return np.full(n, _NONE, np.int64), valid


def _in_range(values: Any, bad: Any) -> tuple[Any, Any]:
    """``values``, with the times Python cannot hold (past year 9999 in UTC, before year 1)
    marked bad too."""
    outside = (values != _NONE) & ((values < _FIRST) | (values > _LAST))
    return np.where(outside, _NONE, values), bad | outside


def _wide_events(batch: pa.RecordBatch, rules: ComplaintRules, now: int,
                 whole: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    """First time per event kind up to ``now`` (from event-kind columns; in ``whole``, at
    any time), the earliest event of each row, and the rows left to the row engine."""
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
        whole[name] = at
        seen = at != _NONE
        happened = seen & (at <= now)
        first[name] = np.where(happened, at, _NONE)
        earliest = np.minimum(earliest, at)
        if name in rules.pauses or name in rules.resumes:
            needs |= happened  # paused clocks: the row engine counts them
    return first, earliest, needs


def _long_events(events: ChunkEvents, rules: ComplaintRules, codes: Codes, now: int, n: int,
                 seen: tuple[dict[str, Any], dict[str, Any], dict[str, Any]], earliest: Any,
                 needs: Any, whole: dict[str, Any]) -> Any:
    """Add a chunk's long-form events to ``seen`` (per kind: first time, contents stated,
    approver) and ``earliest``, as ``_wide_events`` reads event columns; return
    ``earliest``. Rows with an event the arrays cannot read, or a kind more than once, are
    marked in ``needs``."""
    first, stated, approved = seen
    rows, kinds = events.rows, events.kinds
    needs[rows[events.row_engine]] = True
    bits, who, unknown = events.marks(codes)
    needs[rows[unknown]] = True  # the row engine names the unknown content or approver
    at, bad = _micros(events.at, len(rows))
    needs[rows[bad | (at == _NONE)]] = True
    width = len(events.names) + 1  # (row, kind) as one number; -1 (no kind) counts too
    pairs, counts = np.unique(rows * width + kinds + 1, return_counts=True)
    needs[pairs[counts > 1] // width] = True
    for code, kind in enumerate(events.names):
        mine = kinds == code
        if not mine.any():
            continue
        if kind not in rules.events:  # the row engine names the unknown kind
            needs[rows[mine]] = True
            continue
        times = np.full(n, _NONE, np.int64)
        times[rows[mine]] = at[mine]
        present = times != _NONE
        if kind in first:  # an event column of the same kind too: the row engine's
            needs |= present & (first[kind] != _NONE)
        happened = present & (times <= now)
        first[kind] = np.where(present, np.where(happened, times, _NONE),
                               first.get(kind, times))
        whole[kind] = np.where(present, times, whole.get(kind, times))
        if bits[mine].any():
            stated[kind] = np.zeros(n, np.int64)
            stated[kind][rows[mine]] = bits[mine]
        if (who[mine] >= 0).any():
            approved[kind] = np.full(n, -1, np.int64)
            approved[kind][rows[mine]] = who[mine]
        earliest = np.minimum(earliest, times)
        if kind in rules.pauses or kind in rules.resumes:
            needs |= happened  # paused clocks: the row engine counts them
    return earliest


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
            selection, _ = _selection(chunk.runtime, cache, chunk.doc, complaint, "", severity)
            found.append((selection, severity))
        except InputError:
            found.append(None)
    return found, inverse


def _severity_of(rules: ComplaintRules, complaint: Complaint) -> str:
    from finpolicy.domains.complaints.evaluate import _severity

    return _severity(rules, complaint, "")


def _doc(runtime: Runtime, received: Any, valid: Any, policy: str | None
         ) -> PolicyDocument[ComplaintRules] | None:
    """The one policy version in force over every receipt day of the batch (a day either
    side, since the row engine takes the day in the policy's zone), else ``None``."""
    seen = received[valid]
    if not len(seen):
        return None
    try:
        low, high = _date(int(seen.min())) - dt.timedelta(days=1), \
            _date(int(seen.max())) + dt.timedelta(days=1)
    except OverflowError:  # a receipt on the first or last day of the calendar: row engine
        return None
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
                 policy: str | None = None, first_row: int = 0,
                 events: EventIndex | None = None) -> pa.Table:
    """The SLA decisions of one batch of complaints, in row order (``events``: their events
    in long form, joined by id).

    Raises:
        InputError: the row engine's error for the first row it refuses, located at its row
            (``first_row`` + index, counting from 1).
    """
    n = batch.num_rows
    ids, needs = _ids(_plain_text(column_or_none(batch, "id")), n)
    received, bad = _micros(column_or_none(batch, "received_at"), n)
    needs |= bad | (received == _NONE)
    extra = None if events is None else events.chunk(ids)
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
        whole: dict[str, Any] = {}
        first, earliest, bad = _wide_events(batch, chunk.rules, chunk.now, whole)
        seen: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] = (first, {}, {})
        codes = Codes(chunk.rules.contents, chunk.rules.approvers)
        if extra is not None:
            earliest = _long_events(extra, chunk.rules, codes, chunk.now, n, seen, earliest,
                                    bad, whole)
        # an event before receipt or its window, or as_of before receipt: the row engine's
        # error at its row
        needs |= bad | (earliest < received) | (received > chunk.now)
        needs |= _refused(chunk.rules, codes, whole, seen[1], n)
        found, which = _selections(chunk, batch, n)
        if found:
            needs |= np.asarray([item is None for item in found], np.bool_)[which]
        rows = np.flatnonzero(~needs)
        if len(rows):
            rules = chunk.rules
            left, latest, days = decide_rows(chunk.index, chunk.now, out, rows, which[rows],
                                             found, received, seen, rules.milestones, codes)
            left |= warnings(rules.calendar, rules.unconfirmed_year, chunk.index, out, rows,
                             days, latest)
            needs[rows] |= left
    errors = RowErrors()  # (every bad row named at once while bad rows are set aside)
    for i in np.flatnonzero(needs):
        try:
            fill(out, int(i), _row_decision(runtime, batch, int(i), now, policy, first_row,
                                            extra))
        except InputError as exc:
            errors.add(exc)
    errors.check()
    return out.table(ids, schema(names))


def _refused(rules: ComplaintRules, codes: Codes, whole: dict[str, Any],
             stated: dict[str, Any], n: int) -> Any:
    """Rows the row engine refuses for what their events say together: an event starting a
    window before any of the window's own event (a review requested of no decision,
    ``early_start``), or completing a conditional milestone before any of its starting
    events (a review decided with none requested, ``early_completion``), an answer stating
    a target's content and its opposite (``contradictory_answer``)."""
    out = np.zeros(n, np.bool_)
    never = np.full(n, _NONE, np.int64)  # (no such event: _NONE, the latest time)
    for starts, after, _ in window_openers(rules):
        began = whole.get(starts)
        if began is not None:
            out |= (began != _NONE) & (began < whole.get(after, never))
    for kind, starters, _ in early_completers(rules):
        done = whole.get(kind)
        if done is not None:
            began = np.minimum.reduce([whole.get(s, never) for s in starters])
            out |= (done != _NONE) & (done < began)
    for target in rules.targets:
        bits = stated.get(target.event)
        if target.against is not None and bits is not None:
            both = codes.bits((target.stating, target.against))
            out |= (bits & both) == both
    return out


_REFERENCE: TypeAdapter[str] = TypeAdapter(Reference)


def _ids(ids: pa.Array | None, n: int) -> tuple[pa.Array, Any]:
    """The complaint ids (all null when absent or not text) and the rows left to the row
    engine. Ids are read as the other text cells are, trimmed, and validated as
    ``Complaint`` validates them: a plain one (``PLAIN_ID``) needs no check; any other is
    checked once per distinct value, and one ``Complaint`` refuses (blank once invisible
    characters are removed, such as ``"\u200b"``) goes to the row engine, which refuses it
    at its row."""
    needs = np.zeros(n, np.bool_)
    if ids is None or not pa.types.is_string(ids.type):
        needs[:] = True
        return pa.nulls(n, pa.string()), needs
    plain = pc.match_substring_regex(ids, PLAIN_ID).fill_null(False)
    odd = np.flatnonzero(~np.asarray(plain.to_numpy(zero_copy_only=False), np.bool_))
    if not len(odd):
        return ids, needs
    codes, raw = distinct(ids.take(pa.array(odd)))
    read = [_reference(v) for v in raw]
    fixed = [None if c < 0 else read[c] for c in codes.tolist()]
    needs[odd] = [v is None for v in fixed]
    where = np.arange(n)
    where[odd] = n + np.arange(len(odd))
    return pa.concat_arrays([ids, pa.array(fixed, pa.string())]).take(pa.array(where)), needs


def _reference(value: str) -> str | None:
    """``value`` trimmed, as ``Complaint`` takes it as an id (``None``: refused)."""
    try:
        return _REFERENCE.validate_python(value.strip())
    except ValidationError:
        return None


def _plain_text(array: pa.Array | None) -> pa.Array | None:
    """Dictionary-encoded and large text as plain text (ids in any other type are left to
    the row engine, and the decisions carry these ids: kept as nulls they were lost)."""
    if array is not None and pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if array is not None and pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    return array


def _names(runtime: Runtime, policy: str | None) -> tuple[str, ...]:
    """Every milestone name of the bundle's complaint policies (one column set per name)."""
    seen: dict[str, None] = {}
    for doc in runtime.bundle.policies(POLICY_KIND.name):
        if policy is None or doc.id == policy:
            seen.update((m.name, None) for m in doc.policy.milestones)
    return tuple(seen)


def _row_decision(runtime: Runtime, batch: pa.RecordBatch, i: int, now: dt.datetime,
                  policy: str | None, first_row: int, extra: ChunkEvents | None) -> Any:
    from finpolicy.domains.complaints.batch import _csv_complaint, event_column

    more = [] if extra is None else extra.of_row(i)
    own = 0  # the row's own events, before those of the events source
    cells, events = _cells(batch, i)
    data: dict[str, Any] = {}
    try:
        text = {k: v for k, v in cells.items() if isinstance(v, str)}
        data = _csv_complaint(text)
        data.update({k: v for k, v in cells.items() if not isinstance(v, str)})
        own = len(data.get("events", [])) + len(events)
        if events or more:
            data["events"] = [*data.get("events", []), *events, *more]
        return complaint_sla(runtime, data, as_of=now, policy=policy)
    except NotInForceError as exc:  # the row's receipt day chooses the version: its error
        if exc.several:  # (no row's error: the caller chooses a policy)
            raise
        raise InputError.one("received_at", str(exc), "not_in_force",
                             data.get("received_at")).located("table",
                                                              first_row + i + 1) from None
    except InputError as exc:
        lines = [] if extra is None else extra.lines_of(i)
        name = "events" if extra is None else extra.index.name
        columns = frozenset(batch.schema.names)
        error = InputError([event_place(p if of_source(p, own) else event_column(p, data, columns),
                                   first_row + i + 1, own, name, lines)
                            for p in exc.problems], model=exc.model)
        error.table_row = first_row + i + 1  # type: ignore[attr-defined]  # (its events')
        raise error from None


def _cells(batch: pa.RecordBatch, i: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Row ``i``'s complaint cells and the events of its event-kind columns that are no
    text (text goes through the CSV reader's ``_csv_complaint``). Every value of an event
    column is an event, so that a date or a number is refused as no time, naming the
    column, rather than as a field a complaint does not have."""
    cells: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        value = column[i].as_py()
        if value is None:
            continue
        if name in BASE_COLUMNS or name == "events" or isinstance(value, str):
            if isinstance(value, list | str) or name != "criteria":
                cells[name] = value
            else:
                cells[name] = dict(value) if not isinstance(value, dict) else value
        elif isinstance(value, list):
            events.extend({"kind": name, "at": at} for at in value if at is not None)
        else:
            events.append({"kind": name, "at": value})
    return cells, events


def prepare(runtime: Runtime, /, *, as_of: Any = None, policy: str | None = None,
            events: Source | None = None) -> Any:
    """The chunk evaluator of the batch API (``as_of``: an aware datetime, now by default;
    ``events``: a long-form events table, see ``columnar_events``)."""
    now = _now(as_of)
    in_zone(now, dt.UTC, "as_of")  # (the arrays count in UTC microseconds)
    index = None if events is None else EventIndex(events)
    seen = SeenIds("id", "complaint", "give each complaint one row")  # (as `finpolicy sla`)

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        if index is None:
            table = decide_batch(runtime, batch, now=now, policy=policy, first_row=first_row)
            seen.add(seen.refuse(table.column("complaint_id"), first_row))
            return table
        state = index.state()
        try:
            return decide_batch(runtime, batch, now=now, policy=policy, first_row=first_row,
                                events=index)
        except InputError:  # the chunk refused joins no events: it may be decided again
            index.restore(state)
            raise
    if index is not None:  # what only the whole table shows, and events set aside
        index.attach(evaluate)
    return evaluate
