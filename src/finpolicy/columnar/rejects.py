"""Bad rows set aside: the batch API's ``bad_rows="set_aside"``.

By default (``bad_rows="raise"``) the first row a domain refuses stops the table with its
``InputError``, located at the row. Set aside, a chunk whose evaluation raises a row's error
is decided again in pieces without that row, until every row is either decided or rejected:
the rows decided are decided exactly as in a table without the rejected ones, and each
rejected row is one row of the rejects table (``REJECTS_SCHEMA``), with the error that refused
it. A piece that fails is split in halves around its bad row, so a chunk of ``n`` rows with
bad rows costs at most about ``log2(n)`` evaluations of its rows; a chunk without any is
evaluated once, as by default.

An error about no row (a missing column, an unknown option, an unreadable file, a complaint
id two rows hold while an events table is joined by it) still stops the table: no row is to
blame, so no row can be set aside.

A chunk evaluator must leave its state as it was when it raises (a review's grant ids seen
so far, the events joined so far), and may take ``set_aside(batch)``, the rows it will not
see again (complaints: their events are no strays).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import pyarrow as pa

from finpolicy.columnar.rejected import REJECT_COLUMNS, key_column, reject_record
from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_CSV_CELL

__all__ = ["BAD_ROWS", "REJECTS_SCHEMA", "CsvLines", "SetAside",
           "checked_mode", "decide_chunk", "rejects_table"]

BAD_ROWS = ("raise", "set_aside")
"""The values of ``bad_rows``."""

REJECTS_SCHEMA = pa.schema([pa.field(name, pa.int64() if name == "row" else pa.string())
                            for name in REJECT_COLUMNS])
"""The rejects table: ``rejected.REJECT_COLUMNS``, ``row`` a whole number, the others
text."""

Evaluate = Callable[[pa.RecordBatch, int], pa.Table]
Rows = dict[int, list[InputProblem]]


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
    """The rows of ``first < row <= stop`` (rows of the table counting from 1) that ``exc``
    refuses, with their problems; ``None`` when a problem is about no such row. A problem
    found in another file (a complaint's event) names the table's row as the error's
    ``table_row``."""
    out: Rows = {}
    row_of_error = getattr(exc, "table_row", None)
    for problem in exc.problems:
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


def _runs(lo: int, hi: int, out: set[int], size: int) -> Iterator[tuple[int, int]]:
    """The ranges of ``lo:hi`` without the rows ``out`` (indices), each at most ``size``
    rows long."""
    start = lo
    for stop in [*sorted(i for i in out if lo <= i < hi), hi]:
        for begin in range(start, stop, size):
            yield begin, min(begin + size, stop)
        start = stop + 1


def decide_chunk(evaluate: Evaluate, check: Callable[[pa.RecordBatch, int], None],
                 batch: pa.RecordBatch, seen: int) -> tuple[list[pa.Table], Rows]:
    """The decisions of ``batch`` (``seen``: the table's rows before it), in row order, in
    one table or in pieces, and the rows set aside (rows of the table counting from 1) with
    their problems. ``check`` raises for a piece as ``evaluate`` does (a time out of range).

    Raises:
        InputError: an error about no row of the piece evaluated.
    """
    tables: list[pa.Table] = []
    rejected: Rows = {}

    def piece(lo: int, hi: int) -> None:
        part = batch.slice(lo, hi - lo)
        try:
            check(part, seen + lo)
            tables.append(evaluate(part, seen + lo))
            return
        except InputError as exc:
            rows = _rows_of(exc, seen + lo, seen + hi)
            if rows is None:
                raise
        rejected.update(rows)
        out = {row - seen - 1 for row in rows}
        for begin, end in _runs(lo, hi, out, max(1, (hi - lo) // 2)):
            piece(begin, end)

    piece(0, batch.num_rows)
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
    records = [reject_record(file, where[row], value, rows[row])
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
