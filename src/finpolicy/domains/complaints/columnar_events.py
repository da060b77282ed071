"""Complaint events in long form: one row per event (``complaint_id, kind, at`` and optionally
``states``, ``approved_by``, ``note``), joined to a complaints table by the complaint's ``id``.

The events table is read once and ordered by complaint, so each chunk of complaints finds its
events by a look-up per complaint, not a scan of every event. Each event becomes, per kind,
its time (as an event-kind column gives it), the contents it stated as bits and its approver
as a number, so milestones that require contents and extensions that need an approver are
decided by the arrays too; a complaint with an unknown content or approver, or an event kind
twice, is decided by the row engine. An event whose ``complaint_id`` is in no chunk is an
error once the last chunk is done: a mistyped id would otherwise leave a deadline silently
wrong.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.columnar.rejected import reject_record
from finpolicy.columnar.tables import Source, column_or_none, csv_lines, read_table
from finpolicy.domains.complaints.columnar_milestones import Codes
from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_ITEMS, MAX_TEXT_LENGTH

__all__ = ["EVENT_COLUMNS", "ChunkEvents", "EventIndex"]

EVENT_COLUMNS = ("complaint_id", "kind", "at", "states", "approved_by", "note")
_NULL = -1


def _problem(message: str, value: Any = None) -> InputError:
    return InputError.one("events", message, "bad_table", value)


def _state_lists(array: pa.Array | None) -> pa.Array | None:
    """The ``states`` cells as lists of text (text cells split at ``;`` or ``|``, as the row
    engine is given them), or ``None`` when no event states anything."""
    if array is None or pa.types.is_null(array.type):
        return None
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        return array.cast(pa.list_(pa.string()))
    text = pc.replace_substring(array.cast(pa.string()), "|", ";")
    return pc.split_pattern(text, ";")


def _codes(values: pa.Array, names: list[str]) -> Any:
    """Each value's index in ``names`` (-1: not there, or null)."""
    found = pc.index_in(values, value_set=pa.array(names, pa.string()))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)


class ChunkEvents:
    """The events of one chunk's complaints: ``rows`` (the complaint's row in the chunk),
    ``kinds`` (codes into ``names``), ``at`` (the raw cells), and which events only the row
    engine can read (no kind, an over-long note)."""

    def __init__(self, index: EventIndex, positions: Any, rows: Any) -> None:
        self.index, self.positions, self.rows = index, positions, rows
        self.kinds = index.kinds[positions]
        self.names = index.names
        self.at = index.at.take(pa.array(positions, pa.int64()))
        self.row_engine = index.row_engine[positions]

    def marks(self, codes: Codes) -> tuple[Any, Any, Any]:
        """Per event: the contents it stated (``codes`` bits), its approver (a ``codes``
        number, -1: none), and whether it names a content or approver the policy does not
        know (or more states than an event may hold: the row engine's to refuse)."""
        n = len(self.positions)
        bits, who = np.zeros(n, np.int64), np.full(n, -1, np.int64)
        unknown = np.zeros(n, np.bool_)
        take = pa.array(self.positions, pa.int64())
        lists = self.index.states
        if lists is not None and n:
            mine = lists.take(take)
            lengths = pc.list_value_length(mine).fill_null(0).to_numpy(zero_copy_only=False)
            unknown |= np.asarray(lengths) > MAX_ITEMS
            items = pc.list_flatten(mine)
            parents = np.asarray(pc.list_parent_indices(mine).to_numpy(zero_copy_only=False))
            blank = np.zeros(len(items), np.bool_)
            if self.index.states_as_text:  # split text: trimmed, blanks dropped (``of_row``)
                items = pc.utf8_trim_whitespace(items)
                blank = np.asarray(pc.equal(items, "").fill_null(True).to_numpy(
                    zero_copy_only=False), np.bool_)
            index = _codes(items, sorted(codes.contents))
            unknown[parents[(index < 0) & ~blank]] = True
            known = index >= 0
            np.bitwise_or.at(bits, parents[known], np.left_shift(1, index[known]))
        approvers = self.index.approved_by
        if approvers is not None and n:
            mine = approvers.take(take)
            who = _codes(mine, sorted(codes.approvers))
            given = ~np.asarray(mine.is_null().to_numpy(zero_copy_only=False), np.bool_)
            unknown |= given & (who < 0)
        return bits, who, unknown

    def lines_of(self, row: int) -> list[int]:
        """Where row ``row``'s events (``of_row``) are in the events source (``lines``)."""
        low, high = np.searchsorted(self.rows, [row, row + 1])  # rows come sorted
        return self.index.lines(self.positions[low:high])

    def of_row(self, row: int) -> list[dict[str, Any]]:
        """Row ``row``'s events as the row API takes them (every value as the table holds
        it, so the row engine validates them itself)."""
        out = []
        low, high = np.searchsorted(self.rows, [row, row + 1])  # rows come sorted
        for position in self.positions[low:high]:
            event: dict[str, Any] = {}
            for name in EVENT_COLUMNS[1:]:
                column = self.index.table.column(name) if name in self.index.columns else None
                value = None if column is None else column[int(position)].as_py()
                if value is None:
                    continue
                if name == "states" and isinstance(value, str):
                    value = [v.strip() for v in value.replace("|", ";").split(";")
                             if v.strip()]
                event[name] = value
            out.append(event)
        return out


class EventIndex:
    """A long-form events table, ordered by complaint id for look-ups chunk by chunk.

    Raises:
        InputError: the source cannot be read, or lacks ``complaint_id``, ``kind`` or ``at``,
            or its ids or kinds are not text.
    """

    def __init__(self, source: Source) -> None:
        table = read_table(source)
        # what an event's error names: the file (a CSV file's lines, see ``lines``)
        self.name = str(source) if isinstance(source, str | Path) else "events"
        self.header = 1 if self.name.lower().endswith(".csv") else 0
        missing = [c for c in EVENT_COLUMNS[:3] if c not in table.column_names]
        if missing:
            raise _problem(f"an events table needs the columns complaint_id, kind and at; "
                           f"missing: {', '.join(missing)}", missing[0])
        unknown = [c for c in table.column_names if c not in EVENT_COLUMNS]
        if unknown:  # as an event's unknown field is refused, not dropped
            raise _problem(f"unknown column `{unknown[0]}` in the events table, expected "
                           f"{', '.join(EVENT_COLUMNS)}", unknown[0])
        # dictionary-encoded columns (pandas categoricals, Spark) read as their values
        self.table = pa.table([c.cast(c.type.value_type) if pa.types.is_dictionary(c.type)
                               else c for c in table.combine_chunks().columns],
                              names=table.column_names)
        self.columns = set(table.column_names)
        n = table.num_rows
        ids = column_or_none(self.table, "complaint_id")
        kinds = column_or_none(self.table, "kind")
        assert ids is not None and kinds is not None
        for name, array in (("complaint_id", ids), ("kind", kinds)):
            if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
                    or pa.types.is_null(array.type)):
                raise _problem(f"events.{name}: expected text, got {array.type}", name)
        encoded = pc.dictionary_encode(ids.cast(pa.string()))
        codes = encoded.indices.fill_null(_NULL).to_numpy(zero_copy_only=False)
        # trimmed, as the complaints' ids are: `' c1 '` names complaint `c1`
        trimmed = [v.strip() for v in encoded.dictionary.to_pylist()]
        self.ids: dict[str, int] = {v: i for i, v in enumerate(dict.fromkeys(trimmed))}
        merged = np.asarray([self.ids[v] for v in trimmed] + [_NULL], np.int64)
        codes = merged[np.where(codes == _NULL, len(trimmed), codes)]
        # events ordered by complaint; ``start[c]:start[c + 1]`` are complaint c's
        self.order = np.argsort(codes, kind="stable")[int(np.count_nonzero(codes == _NULL)):]
        self.start = np.concatenate([[0], np.cumsum(np.bincount(codes[codes != _NULL],
                                                                minlength=len(self.ids)))])
        self.unclaimed = codes != _NULL  # events not yet joined to a complaint
        self.joined = np.zeros(len(self.ids), np.bool_)  # complaints whose events were taken
        self.orphans = codes == _NULL  # events with no complaint id
        kind_codes = pc.dictionary_encode(kinds.cast(pa.string()))
        self.kinds = kind_codes.indices.fill_null(_NULL).to_numpy(zero_copy_only=False)
        self.names: list[str] = kind_codes.dictionary.to_pylist()
        at = column_or_none(self.table, "at")
        assert at is not None
        self.at = at
        note = column_or_none(self.table, "note")
        long_note = np.zeros(n, np.bool_) if note is None or pa.types.is_null(note.type) else \
            np.asarray(pc.utf8_length(note.cast(pa.string())).fill_null(0).to_numpy(
                zero_copy_only=False)) > MAX_TEXT_LENGTH
        states = column_or_none(self.table, "states")
        self.states = _state_lists(states)
        self.states_as_text = self.states is not None and states is not None and not (
            pa.types.is_list(states.type) or pa.types.is_large_list(states.type))
        approved_by = column_or_none(self.table, "approved_by")
        self.approved_by = None if approved_by is None or pa.types.is_null(approved_by.type) \
            else approved_by.cast(pa.string())
        self.row_engine = long_note | (self.kinds == _NULL)

    def chunk(self, ids: pa.Array) -> ChunkEvents:
        """The events of a chunk's complaints (``ids``: its ``id`` column)."""
        # a null id is no key: it finds nothing, as an id no event names
        codes = np.fromiter(map(self.ids.get, ids.to_pylist(), itertools.repeat(_NULL)),
                            np.int64, len(ids))
        known = codes != _NULL
        rows = np.flatnonzero(known)
        self._once(codes[rows])
        lengths = self.start[codes[rows] + 1] - self.start[codes[rows]]
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        # each event's place in ``order``: its complaint's first, plus its rank among them
        places = np.repeat(self.start[codes[rows]] - (ends - lengths), lengths) + np.arange(total)
        positions = self.order[places]
        self.unclaimed[positions] = False
        return ChunkEvents(self, positions, np.repeat(rows, lengths))

    def state(self) -> tuple[Any, Any]:
        """What ``chunk`` changes, to restore when the chunk is refused (``restore``)."""
        return self.unclaimed.copy(), self.joined.copy()

    def restore(self, state: tuple[Any, Any]) -> None:
        self.unclaimed, self.joined = state

    def claim(self, ids: pa.Array | None) -> None:
        """The events of complaints set aside (``ids``), taken with them: no strays."""
        for value in [] if ids is None else ids.to_pylist():
            code = self.ids.get(value.strip()) if isinstance(value, str) else None
            if code is not None:
                self.unclaimed[self.order[self.start[code]:self.start[code + 1]]] = False
                self.joined[code] = True

    def _once(self, codes: Any) -> None:
        """Refuse a complaint id that two rows of the table hold: its events would go to
        both, each decided as if every event were its own."""
        unique, counts = np.unique(codes, return_counts=True)
        again = unique[self.joined[unique] | (counts > 1)]
        if len(again):
            name = list(self.ids)[int(again[0])]
            raise InputError([InputProblem(
                "id", f"complaint `{name}` is in the table twice, and the events of "
                "`events` are joined by id: give each complaint one row",
                "duplicate_value", name)])
        self.joined[codes] = True

    def lines(self, positions: Any) -> list[int]:
        """Where the events at ``positions`` (the table's rows, from 0) are: a CSV file's
        lines as the row reader numbers them (``csv_lines``: the header, blank lines and
        line breaks in quoted cells counted), otherwise their rows counting from 1."""
        rows = [int(p) + 1 for p in positions]
        if not self.header:
            return rows
        found = csv_lines(self.name, rows)
        return [found[r] for r in rows]

    def attach(self, evaluate: Any) -> None:
        """Give the chunk evaluator ``finish`` (raise for an event that names no complaint of
        the table), ``strays`` (those events as rows set aside, when bad rows are) and
        ``set_aside`` (the events of complaints set aside go with them: no strays)."""
        evaluate.finish = self.check_all_joined
        evaluate.strays = self.strays
        evaluate.set_aside = lambda batch: self.claim(column_or_none(batch, "id"))

    def strays(self) -> list[dict[str, Any]]:
        """The events that name no complaint of the table (or none), as rows set aside
        (``columnar.rejected.reject_record``) at their lines."""
        stray = np.flatnonzero(self.unclaimed | self.orphans)
        ids = self.table.column("complaint_id").take(pa.array(stray)).to_pylist()
        return [reject_record(self.name, line, value, [InputProblem(
            "complaint_id", "the event names no complaint of the table" if value is not None
            else "the event names no complaint (no complaint_id)", "unknown_complaint",
            value)]) for line, value in zip(self.lines(stray), ids, strict=True)]

    def check_all_joined(self) -> None:
        """Raise when an event named no complaint of the table (or no complaint at all)."""
        stray = np.flatnonzero(self.unclaimed | self.orphans)
        if len(stray):
            first = self.table.column("complaint_id")[int(stray[0])].as_py()
            here = "no complaint_id" if first is None else f"`{first}`"
            raise InputError([InputProblem(
                "complaint_id", f"{len(stray):,} event(s) name no complaint of the table (the "
                f"first: {here} here)", "unknown_complaint", first, file=self.name,
                line=self.lines([stray[0]])[0])])
