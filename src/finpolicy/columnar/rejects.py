"""Bad rows set aside: the batch API's ``bad_rows="set_aside"``.

By default (``bad_rows="raise"``) the first row a domain refuses stops the table with its
``InputError``, located at the row. Set aside, a chunk whose evaluation raises rows' errors
is decided again without those rows, until every row is either decided or rejected: the
rows decided are decided exactly as in a table without the rejected ones, and each rejected
row is one row of the rejects table (``REJECTS_SCHEMA``), with the error that refused it.
The domains' row loops name every row they refuse at once while rows are set aside
(``RowErrors``), so a chunk with bad rows is usually evaluated twice; a piece that fails at
one row is split in halves around it (at most about ``log2(n)`` evaluations of a chunk's
``n`` rows). A chunk without bad rows is evaluated once, as by default.

An error about no row (a missing column, an unknown option, an unreadable file, a complaint
id two rows hold while an events table is joined by it) still stops the table: no row is to
blame, so no row can be set aside.

A chunk evaluator must leave its state as it was when it raises (a review's grant ids seen
so far, the events joined so far), and may take ``set_aside(batch)``, the rows it will not
see again (complaints: their events are no strays), and ``strays()``, the rows of another
table that only the whole table shows to be bad, set aside instead of raised by ``finish``
(complaints: events that name no complaint of the table).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from finpolicy.columnar.rejected import REJECT_COLUMNS, key_column, reject_record
from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_CSV_CELL

__all__ = ["BAD_ROWS", "REJECTS_SCHEMA", "CsvLines", "RowErrors", "SetAside",
           "checked_mode", "decide_chunk", "rejects_table"]

BAD_ROWS = ("raise", "set_aside")
"""The values of ``bad_rows``."""

REJECTS_SCHEMA = pa.schema([pa.field(name, pa.int64() if name == "row" else pa.string())
                            for name in REJECT_COLUMNS])
"""The rejects table: ``rejected.REJECT_COLUMNS``, ``row`` a whole number, the others
text."""

Evaluate = Callable[[pa.RecordBatch, int], pa.Table]
Rows = dict[int, list[InputProblem]]
Index = np.ndarray[Any, np.dtype[np.int64]]


class SetAside(NamedTuple):
    """What ``bad_rows="set_aside"`` gives: the decisions of the rows decided, and one row
    per row set aside (``REJECTS_SCHEMA``)."""

    decided: pa.Table
    rejected: pa.Table


def checked_mode(bad_rows: Any) -> str:
    """``bad_rows`` if it is one of ``BAD_ROWS``."""
    if not isinstance(bad_rows, str) or bad_rows not in BAD_ROWS:
        raise InputError.one("bad_rows", f"expected `raise` or `set_aside`, got "
                                         f"`{bad_rows!r}`", "bad_option", bad_rows)
    return bad_rows


def _rows_of(exc: InputError, first: int, stop: int) -> Rows | None:
    """The rows of ``first < row <= stop`` (rows of the piece's table, counting from 1)
    that ``exc`` refuses, with their problems; ``None`` when a problem is about no such
    row. A problem found in another file (a complaint's event) names the table's row as
    its error's ``table_row``; ``RowErrors`` gives several errors as one."""
    out: Rows = {}
    for part in getattr(exc, "parts", None) or [exc]:
        row_of_error = getattr(part, "table_row", None)
        for problem in part.problems:
            if problem.file in (None, "table") and problem.line is not None:
                row = problem.line
            elif isinstance(row_of_error, int):
                row = row_of_error
            else:
                return None
            if not first < row <= stop:
                return None
            out.setdefault(row, []).append(problem)
    return out or None


_COLLECTING: ContextVar[bool] = ContextVar("finpolicy_collect_row_errors", default=False)


class RowErrors:
    """The errors of a chunk evaluator's rows decided one by one (``add``, then ``check``
    after the loop): raised at once by default, as ever; while bad rows are set aside,
    gathered and raised together after the loop, so that one evaluation names every row
    it refuses rather than the first (a chunk with many bad rows is then evaluated a few
    times, not once per bad row). The rows left are then evaluated as one batch taken from
    the chunk, numbered from its first row: a domain whose errors name another row of the
    table in their text (the review's first row of a grant given twice) does not collect."""

    def __init__(self) -> None:
        self.collect = _COLLECTING.get()
        self.errors: list[InputError] = []

    def add(self, error: InputError) -> None:
        if not self.collect:
            raise error from None
        self.errors.append(error)

    def check(self) -> None:
        if self.errors:
            combined = InputError([p for e in self.errors for p in e.problems])
            combined.parts = self.errors  # type: ignore[attr-defined]
            raise combined


def _halves(idx: Index, contiguous: bool) -> Iterator[Index]:
    """``idx`` (positions, in order) in pieces of at most half its length (at least one
    row); a contiguous piece also split where a row is missing, so each piece is a slice."""
    size = max(1, (len(idx) + 1) // 2)
    if not contiguous:
        yield from (idx[i:i + size] for i in range(0, len(idx), size))
        return
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    for run in np.split(idx, breaks):
        yield from (run[i:i + size] for i in range(0, len(run), size))


def decide_chunk(evaluate: Evaluate, check: Callable[[pa.RecordBatch, int], None],
                 batch: pa.RecordBatch, seen: int) -> tuple[list[pa.Table], Rows]:
    """The decisions of ``batch`` (``seen``: the table's rows before it), in row order, in
    one table or in pieces, and the rows set aside (rows of the table counting from 1) with
    their problems. ``check`` raises for a piece as ``evaluate`` does (a time out of range).

    A piece that fails at one row is split in halves around it (slices of the batch, so
    its rows keep their numbers); one that fails at several rows (``RowErrors``) is
    evaluated again without them, whole, its rows renumbered back to the batch's.

    Raises:
        InputError: an error about no row of the piece evaluated.
    """
    tables: list[pa.Table] = []
    rejected: Rows = {}

    def piece(idx: Index) -> None:
        contiguous = bool(idx[-1] - idx[0] + 1 == len(idx))
        part = batch.slice(int(idx[0]), len(idx)) if contiguous else \
            batch.take(pa.array(idx))
        first = seen + int(idx[0])
        token = _COLLECTING.set(True)
        try:
            check(part, first)
            tables.append(evaluate(part, first))
            return
        except InputError as exc:
            rows = _rows_of(exc, first, first + len(idx))
            if rows is None:
                raise
        finally:
            _COLLECTING.reset(token)
        out = {int(idx[row - first - 1]) for row in rows}
        rejected.update({seen + int(idx[row - first - 1]) + 1: problems
                         for row, problems in rows.items()})
        rest = idx[~np.isin(idx, list(out))]
        if len(rest) and len(out) > 1:
            piece(rest)
        elif len(rest):
            for half in _halves(rest, contiguous):
                piece(half)

    if batch.num_rows:
        piece(np.arange(batch.num_rows, dtype=np.int64))
    return tables, rejected


def _keys(batch: pa.RecordBatch, indices: Sequence[int], key: Any) -> list[str | None]:
    names = batch.schema.names
    name = key_column(names, key)
    if name is None:
        return [None] * len(indices)
    values = batch.column(names.index(name)).take(pa.array(indices, pa.int64())).to_pylist()
    return [None if v is None else str(v) for v in values]


def rejects_table(batch: pa.RecordBatch, seen: int, rows: Rows, key: Any, file: str,
                  lines: Callable[[list[int]], dict[int, int]]) -> pa.Table:
    """The rejects of ``rows`` (rows of the table, counting from 1) of ``batch`` (``seen``:
    the table's rows before it), at their ``file`` and ``lines``."""
    order = sorted(rows)
    where = lines(order)
    keys = _keys(batch, [row - seen - 1 for row in order], key)
    # a row's problems at its file's line (a repeated id names its first row as a line too)
    records = [reject_record(file, where[row], value,
                             [p if p.file not in (None, "table") or file == "table"
                              else p.located(file, where[row]) for p in rows[row]])
               for row, value in zip(order, keys, strict=True)]
    return pa.Table.from_pylist(records, schema=REJECTS_SCHEMA)


class CsvLines:
    """The lines of rows of a CSV file (data rows counting from 1) as the row reader numbers
    them (``csv_lines``), asked for in increasing order: the file is read once, however many
    chunks ask."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._handle: Any = None
        self._reader: Any = None
        self._row = 0

    def __call__(self, rows: list[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        with contextlib.suppress(csv.Error, UnicodeDecodeError, OSError):
            reader = self._open()
            for row in rows:
                while self._row < row and (cells := next(reader, None)) is not None:
                    self._row += bool(cells)
                if self._row < row:  # past the file's end
                    break
                out[row] = reader.line_num
        return {r: out.get(r, r + 1) for r in rows}

    def _open(self) -> Any:
        if self._reader is None:
            csv.field_size_limit(MAX_CSV_CELL)
            self._handle = open(self.path, encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._reader = csv.reader(self._handle)
            next((row for row in self._reader if row), None)  # the header
        return self._reader

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
