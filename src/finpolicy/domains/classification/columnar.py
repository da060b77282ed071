"""Records over tables: every row a record, every column a field, classified column-wise.

``engine.evaluate_table("classification", source, as_of=...)`` gives, for each row, exactly
what ``engine.classify_record(row, as_of=...)`` gives for the row as a mapping of column name
to cell (a null cell is a field without a value, classified by its name alone).

How: a field with one value has facts that depend only on its name, whether the value is
blank and which detectors accept it (``columnar_facts``), so each column has a handful of
distinct facts; each is classified once by the row engine's own ``_classify`` on a cell that
has it, and every row takes its result by index. The record's level, hits and obligations are
then combined, as ``classify_record`` combines them, once per distinct combination of its
fields' results. Rows holding what the codes do not stand for (a list of samples, a structure,
bytes, a non-finite number) and rows whose facts the rules refuse are decided by
``classify_record`` itself, so the table always equals the row engine, or raises its error
located at the row (counting from 1; while bad rows are set aside, the errors of every row it
refuses at once, ``RowErrors``, so the chunk is decided again without them once). Columns of
a table hold no ``DataField``, so no field derives from another.

The decisions table: the ``key`` column when one is named (copied; it is a field too), then
``level`` (the record's level, its decision's outcome), ``rule_ids``
(its hits, in field order, each once) and ``obligations``, then per input column ``c``:
``c.level``, ``c.category``, ``c.pfi_category``, ``c.mask``, ``c.detector``, ``c.share``
and ``c.rule_ids`` (that field's ``ClassificationDecision``). Handling and JR/T 0197 grades
follow from the levels (``rules.handling``, ``rules.grades``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from finpolicy.columnar.decisions import list_column
from finpolicy.columnar.rejects import RowErrors
from finpolicy.columnar.tables import first_and_inverse
from finpolicy.domains.classification.classify import (
    _classify,
    classify_record,
    policy_in_force,
    record_fields,
)
from finpolicy.domains.classification.columnar_facts import ROW_ENGINE, fact_codes
from finpolicy.domains.classification.model import ClassificationDecision
from finpolicy.errors import FinpolicyError, InputError
from finpolicy.runtime import Runtime

__all__ = ["FIELD_COLUMNS", "decide_batch", "prepare", "schema"]

_WORD = pa.dictionary(pa.int32(), pa.string())
_WORDS = pa.list_(_WORD)
FIELD_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("level", _WORD), ("category", _WORD), ("pfi_category", _WORD), ("mask", _WORD),
    ("detector", _WORD), ("share", pa.float64()), ("rule_ids", _WORDS))
"""The columns each input column ``c`` gives, as ``c.<name>``."""

Rows = np.ndarray[Any, np.dtype[np.intp]]
_Record = tuple[str, tuple[str, ...], tuple[str, ...]]  # level, rule ids, obligations


def schema(names: Sequence[str], key: pa.Field | None = None) -> pa.Schema:
    """The decisions table of a records table with the columns ``names`` (and the ``key``
    column first, when one is kept)."""
    fields = [] if key is None else [key]
    fields += [pa.field("level", _WORD), pa.field("rule_ids", _WORDS),
               pa.field("obligations", _WORDS)]
    fields += [pa.field(f"{name}.{suffix}", kind) for name in names
               for suffix, kind in FIELD_COLUMNS]
    return pa.schema(fields)


class _Context:
    """What every row of a batch shares: the policy in force and the evaluation date."""

    def __init__(self, runtime: Runtime, on: dt.date, policy: str | None) -> None:
        self.runtime, self.policy = runtime, policy
        self.on, self.doc, self.rules = policy_in_force(runtime, on, policy)
        self.detectors: list[str] = list(dict.fromkeys(self.rules.detectors))


class _Column:
    """One input column's field results: the distinct decisions and each row's."""

    def __init__(self, name: str, n: int) -> None:
        self.name = name
        self.results: list[ClassificationDecision] = []
        self.which = np.full(n, ROW_ENGINE, np.intp)

    def add(self, rows: Any, result: ClassificationDecision) -> None:
        self.results.append(result)
        self.which[rows] = len(self.results) - 1


def _classify_column(ctx: _Context, name: str, array: pa.Array) -> _Column:
    """The column's results, each distinct fact classified once on its first cell; rows the
    row engine decides keep ``ROW_ENGINE``."""
    n = len(array)
    out = _Column(name, n)
    codes = fact_codes(array, ctx.detectors, f"record.{name}")
    decided = codes != ROW_ENGINE
    if not decided.any():
        return out
    space = 2 ** (len(ctx.detectors) + 1) + 1
    first, inverse = first_and_inverse(np.where(decided, codes + 1, 0), space)
    number = np.full(len(first), ROW_ENGINE, np.intp)
    for group, row in enumerate(first):
        if not decided[row]:
            continue
        try:
            field = record_fields({name: array[int(row)].as_py()})[name]
            result = _classify(ctx.runtime, ctx.doc, ctx.rules, ctx.on, field, {})
        except FinpolicyError:  # the row engine says why, at the first such row
            continue
        number[group] = len(out.results)
        out.results.append(result)
    out.which = number[inverse]
    return out


def _record(results: Sequence[ClassificationDecision]) -> _Record:
    """The record's level, rule ids and obligations, as ``classify_record`` combines them."""
    level = max(c.level for c in results)
    hits = tuple(dict.fromkeys(h for c in results for h in c.hits))
    obligations = tuple(sorted({o for c in results for o in c.obligations}))
    return str(level), tuple(h.rule_id for h in hits), obligations


def _combinations(columns: Sequence[_Column], rows: Rows) -> tuple[Rows, Rows]:
    """The first of ``rows`` of each distinct combination of the columns' results and each
    row's combination, re-numbered after every column so the key never overflows."""
    key = np.zeros(len(rows), np.int64)
    space = 1
    for column in columns:
        size = len(column.results)
        key = key * size + column.which[rows]
        _, key = first_and_inverse(key, space * size)
        space = int(key.max()) + 1 if len(key) else 1
    first, inverse = first_and_inverse(key, space)
    return rows[first], inverse


class _Out:
    """The decisions columns of a batch: distinct values, and each row's index into them."""

    def __init__(self, n: int, columns: Sequence[_Column]) -> None:
        self.records: list[_Record] = []
        self.which = np.zeros(n, np.intp)
        self.columns = columns

    def add(self, rows: Any, record: _Record) -> None:
        self.records.append(record)
        self.which[rows] = len(self.records) - 1

    def add_many(self, rows: Rows, records: Sequence[_Record], inverse: Rows) -> None:
        """``rows[j]`` takes ``records[inverse[j]]``."""
        self.which[rows] = len(self.records) + inverse
        self.records.extend(records)

    def table(self, names: Sequence[str], key: pa.Array | None, out: pa.Schema) -> pa.Table:
        arrays: list[pa.Array] = [] if key is None else [key]
        arrays += [
            _words([r[0] for r in self.records], self.which),
            list_column([r[1] for r in self.records], self.which),
            list_column([r[2] for r in self.records], self.which)]
        for column in self.columns:
            arrays += _field_arrays(column)
        return pa.Table.from_arrays(arrays, schema=out)


def _words(values: Sequence[str | None], which: Any) -> pa.Array:
    """``values[which[i]]`` per row, dictionary-encoded (a ``None`` value is null)."""
    texts = sorted({v for v in values if v is not None})
    code = {t: i for i, t in enumerate(texts)}
    per_value = np.asarray([-1 if v is None else code[v] for v in values] + [-1], np.int32)
    indices = per_value[np.asarray(which, np.intp)]  # every row has a value: -1 is unused
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32(), mask=indices < 0),
                                          pa.array(texts, pa.string()))


def _field_arrays(column: _Column) -> list[pa.Array]:
    results, which = column.results, column.which
    take: dict[str, Callable[[ClassificationDecision], Any]] = {
        "level": lambda c: str(c.level), "category": lambda c: c.category,
        "pfi_category": lambda c: c.pfi_category, "mask": lambda c: c.mask,
        "detector": lambda c: c.detector}
    out = [_words([get(c) for c in results], which) for get in take.values()]
    shares = np.asarray([np.nan if c.share is None else c.share for c in results] + [np.nan])
    share = shares[which]
    out.append(pa.array(share, pa.float64(), mask=np.isnan(share)))
    out.append(list_column([[h.rule_id for h in c.hits] for c in results], which))
    return out


def _schema_of(batch: pa.RecordBatch, key: str | None) -> pa.Schema:
    """The decisions schema of ``batch``, after checking its names and the ``key``."""
    names = list(batch.schema.names)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError.one("table", f"the column `{name}` appears twice; a record's "
                                          "field names are unique", "bad_table", name)
        seen.add(name)
    if key is None:
        return schema(names)
    if key not in seen:
        raise InputError.one("key", f"the table has no column `{key}` to keep as the key "
                                    f"(columns: {', '.join(names)})", "bad_table", key)
    out = schema(names, batch.schema.field(key))
    if out.get_all_field_indices(key) != [0]:
        raise InputError.one("key", f"the key column `{key}` has the name of a decision "
                                    "column; rename it", "bad_table", key)
    return out


def decide_batch(runtime: Runtime, batch: pa.RecordBatch, *, on: dt.date,
                 policy: str | None = None, first_row: int = 0,
                 key: str | None = None) -> pa.Table:
    """The record decisions of one batch, in row order (``key``: a column copied first).

    Raises:
        InputError: a column name given twice, a ``key`` the table lacks, or the row
            engine's error for the first row it refuses, located at its row (``first_row``
            + index, counting from 1); while bad rows are set aside, the errors of every
            row it refuses, together (``RowErrors``).
    """
    names = list(batch.schema.names)
    out_schema = _schema_of(batch, key)
    n = batch.num_rows
    if n == 0:
        return out_schema.empty_table()
    ctx = _Context(runtime, on, policy)
    columns = [_classify_column(ctx, name, array)
               for name, array in zip(names, batch.columns, strict=True)]
    out = _Out(n, columns)
    needs = np.ones(n, np.bool_) if not columns else \
        np.logical_or.reduce([c.which == ROW_ENGINE for c in columns])
    decided = np.flatnonzero(~needs)
    if len(decided):
        starts, inverse = _combinations(columns, decided)
        out.add_many(decided, [_record([c.results[c.which[row]] for c in columns])
                               for row in starts], inverse)
    errors = RowErrors()  # (every bad row named at once while bad rows are set aside)
    for i in np.flatnonzero(needs):
        _row_engine(ctx, batch, int(i), first_row, out, errors)
    errors.check()
    kept = None if key is None else batch.column(batch.schema.get_field_index(key))
    return out.table(names, kept, out_schema)


def _row_engine(ctx: _Context, batch: pa.RecordBatch, i: int, first_row: int,
                out: _Out, errors: RowErrors) -> None:
    """Row ``i`` decided by ``classify_record``, its results added to the columns; its
    error, located at its row, goes to ``errors`` (raised at once unless collecting)."""
    record = {name: column[i].as_py()
              for name, column in zip(batch.schema.names, batch.columns, strict=True)}
    try:
        decision = classify_record(ctx.runtime, record, as_of=ctx.on, policy=ctx.policy)
    except InputError as exc:
        errors.add(exc.located("table", first_row + i + 1))
        return
    for column in out.columns:
        column.add(i, decision.fields[column.name])
    out.add(i, (decision.outcome, tuple(h.rule_id for h in decision.hits),
                tuple(decision.obligations)))


def prepare(runtime: Runtime, /, *, as_of: Any = None, policy: str | None = None,
            key: str | None = None) -> Callable[[pa.RecordBatch, int], pa.Table]:
    """The chunk evaluator of the batch API (``as_of``: the evaluation date, today by
    default; ``key``: a column, classified like the others, also copied as the first column
    of the decisions, to join them back where row order is not kept, as in Spark)."""
    on = policy_in_force(runtime, as_of, policy)[0]  # (an instant: its day in the policy's zone)
    if key is not None and not isinstance(key, str):
        raise InputError.one("key", f"expected a column name, got {type(key).__name__}",
                             "bad_table", key)

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        return decide_batch(runtime, batch, on=on, policy=policy, first_row=first_row,
                            key=key)
    return evaluate
