"""The decision columns of a complaints table: filled a group of rows at a time by the
arrays, a row at a time from the row engine's decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from finpolicy.columnar.decisions import list_column
from finpolicy.columnar.workdays import to_micros
from finpolicy.domains.complaints.models import MilestoneStatus
from finpolicy.errors import InputProblem

__all__ = ["NONE", "TIME", "DecisionColumns", "event_place", "fill", "of_source", "schema",
           "summarise"]

NONE = np.iinfo(np.int64).max  # "no such instant": later than any
TIME = pa.timestamp("us", tz="UTC")
_WORD = pa.dictionary(pa.int32(), pa.string())


def schema(names: Sequence[str]) -> pa.Schema:
    fields = [("complaint_id", pa.string()), ("outcome", _WORD), ("severity", _WORD),
              ("route", _WORD), ("rule_ids", pa.list_(_WORD)),
              ("obligations", pa.list_(_WORD)), ("escalations", pa.list_(_WORD)),
              ("next_due", TIME), ("paused", pa.bool_()), ("warnings", pa.list_(_WORD))]
    for name in names:
        fields += [(f"{name}.status", _WORD), (f"{name}.due_at", TIME),
                   (f"{name}.started_at", TIME), (f"{name}.completed_at", TIME)]
    return pa.schema(fields)


class DecisionColumns:
    """The decision columns of a batch, filled group by group, then row by row."""

    def __init__(self, n: int, names: Sequence[str]) -> None:
        self.n, self.names = n, list(names)
        self.words: dict[str, list[Any]] = {}
        self.codes: dict[str, Any] = {}
        self.times: dict[str, Any] = {}
        for name in ("outcome", "severity", "route", "rule_ids", "obligations", "escalations",
                     "warnings", *(f"{m}.status" for m in names)):
            self.words[name] = [None]
            self.codes[name] = np.zeros(n, np.int64)
        self.time_names = ("next_due", *(f"{m}.{t}" for m in names
                                         for t in ("due_at", "started_at", "completed_at")))
        self.paused = np.zeros(n, np.bool_)

    def time(self, name: str) -> Any:
        """The microseconds of time column ``name`` (``NONE``: no time), made when first
        written (a milestone no row has stays all nulls)."""
        values = self.times.get(name)
        if values is None:
            values = self.times[name] = np.full(self.n, NONE, np.int64)
        return values

    def set_times(self, name: str, rows: Any, values: Any, where: Any = None) -> None:
        """Set time column ``name`` on ``rows`` (sorted, distinct) to ``values`` where
        ``where`` holds (on all of them without it)."""
        if len(rows) == self.n and name not in self.times:  # the whole chunk: no scatter
            self.times[name] = values if where is None else np.where(where, values, NONE)
        elif where is None:
            self.time(name)[rows] = values
        else:
            self.time(name)[rows[where]] = values[where]

    def word(self, name: str, rows: Any, value: Any) -> None:
        """Set ``name`` to ``value`` (a text, or a list of texts) on ``rows``."""
        values = self.words[name]
        values.append(value)
        self.codes[name][rows] = len(values) - 1

    def words_by(self, name: str, rows: Any, values: Sequence[Any], which: Any) -> None:
        """Set ``name`` on each of ``rows`` to ``values[which[i]]``."""
        words = self.words[name]
        offset = len(words)
        words.extend(values)
        if len(rows) == self.n:  # the whole chunk (rows are sorted and distinct)
            self.codes[name] = offset + np.asarray(which, np.int64)
        else:
            self.codes[name][rows] = offset + which

    def table(self, ids: pa.Array, schema: pa.Schema) -> pa.Table:
        columns: list[pa.Array] = [ids]
        for field in schema:
            name = field.name
            if name == "complaint_id":
                continue
            if name == "paused":
                columns.append(pa.array(self.paused))
            elif name in self.times:
                values = self.times[name]
                columns.append(pa.array(values, pa.int64(), mask=values == NONE).cast(TIME))
            elif name in self.time_names:
                columns.append(pa.nulls(self.n, TIME))
            elif pa.types.is_list(field.type):
                lists = [v or [] for v in self.words[name]]
                columns.append(list_column(lists, self.codes[name]))
            else:
                texts = [v for v in self.words[name]]
                columns.append(pa.DictionaryArray.from_arrays(
                    pa.array(self.codes[name].astype(np.int32)), pa.array(texts, pa.string())))
        return pa.Table.from_arrays(columns, schema=schema)


def fill(out: DecisionColumns, i: int, decision: Any) -> None:
    out.word("outcome", i, decision.outcome)
    out.word("severity", i, decision.severity)
    out.word("route", i, decision.route)
    out.word("rule_ids", i, [h.rule_id for h in decision.hits])
    out.word("obligations", i, list(decision.obligations))
    out.word("escalations", i, list(decision.escalations))
    out.word("warnings", i, list(decision.warnings))
    out.paused[i] = decision.paused
    out.time("next_due")[i] = NONE if decision.next_due is None else \
        to_micros(decision.next_due)
    status: MilestoneStatus
    for status in decision.milestones:
        name = status.name
        out.word(f"{name}.status", i, status.status)
        for field in ("due_at", "started_at", "completed_at"):
            value = getattr(status, field)
            if value is not None:
                out.time(f"{name}.{field}")[i] = to_micros(value)


def summarise(summary: Any, table: pa.Table, now: Any, zone: Any) -> None:
    """Add a decisions table to an ``SlaSummary``: counts by status and by milestone, and
    the open milestones nearest their due time and those overdue the most, as
    ``SlaSummary.add`` would one by one."""
    import heapq

    import pyarrow.compute as pc

    summary.total += table.num_rows
    for value in pc.value_counts(table.column("outcome").cast(pa.string())).to_pylist():
        summary.status[value["values"]] += value["counts"]
    for said in table.column("warnings").to_pylist():
        summary.warnings.update(set(said or ()))
    names = [n[:-len(".status")] for n in table.schema.names if n.endswith(".status")]
    now_us = to_micros(now)
    candidates: dict[bool, list[Any]] = {False: [], True: []}  # overdue -> its candidates
    for position, name in enumerate(names):
        status = table.column(f"{name}.status").cast(pa.string())
        counts = summary.milestones.get(name)
        for value in pc.value_counts(status).to_pylist():
            if value["values"] is None:
                continue
            if counts is None:
                from collections import Counter
                counts = summary.milestones[name] = Counter()
            counts[value["values"]] += value["counts"]
        due = table.column(f"{name}.due_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
        done = table.column(f"{name}.completed_at").is_valid().to_numpy(zero_copy_only=False)
        text = status.to_numpy(zero_copy_only=False)
        due_ok = table.column(f"{name}.due_at").is_valid().to_numpy(zero_copy_only=False)
        open_ = due_ok & ~done & (text != None)  # noqa: E711
        for found in np.flatnonzero(open_):
            candidates[bool(text[found] == "breached")].append((
                int(due[found]) - now_us, int(found), position, name, str(text[found])))
    # nearest first; ties in complaint order, then milestone order, as the heap keeps them
    for overdue, offered in candidates.items():
        for left_us, at, _, name, status_word in heapq.nsmallest(
                max(summary.top, 0), offered, key=lambda c: (c[0], c[1], c[2])):
            left = left_us / 1e6
            due_at = table.column(f"{name}.due_at")[at].as_py()
            summary.keep(left, {
                "complaint": table.column("complaint_id")[at].as_py(), "milestone": name,
                "status": status_word, "due_at": due_at.astimezone(zone).isoformat(),
                "hours_left": round(left / 3600, 2)}, overdue=overdue)


def of_source(problem: InputProblem, own: int) -> bool:
    """Whether ``problem`` is about an event of the events source (after the row's own)."""
    head, _, rest = problem.path.partition(".")
    number = rest.partition(".")[0]
    return head == "events" and number.isdecimal() and int(number) >= own


def event_place(problem: InputProblem, row: int, own: int, events: str,
           lines: list[int]) -> InputProblem:
    """``problem`` located at the complaint's ``row`` of the table, or, when it is about one
    of the events that came from the events source (after the row's ``own``), at that
    event's line there (``events.5.kind`` → ``kind`` at its line)."""
    head, _, rest = problem.path.partition(".")
    number, _, field = rest.partition(".")
    if head == "events" and number.isdecimal() and own <= int(number) < own + len(lines):
        return attrs.evolve(problem, path=field, file=events, line=lines[int(number) - own])
    return problem.located("table", row)
