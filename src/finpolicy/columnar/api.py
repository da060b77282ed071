"""The batch API: a whole table of inputs to a table of decisions.

``evaluate_table(runtime, "suitability", "customers.parquet", as_of=..., products=...)`` reads
the source in chunks (see ``tables``), evaluates each chunk column-wise with the domain's
``columnar`` module and returns one Arrow table of decisions (``iter_tables`` yields one per
chunk, so memory follows the chunk size). The decisions are exactly the row engine's:
every domain module leaves to the row engine the rows its arrays do not decide.

A domain takes part by shipping ``<package>.columnar`` with a ``prepare`` function
(``Prepare``); the batch API never names a domain.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import attrs
import pyarrow as pa

from finpolicy.columnar.rejects import (
    REJECTS_SCHEMA,
    CsvLines,
    SetAside,
    checked_mode,
    decide_chunk,
    rejects_table,
)
from finpolicy.columnar.tables import (
    DEFAULT_CHUNK_ROWS,
    TIME_RANGE,
    Source,
    batches,
    csv_lines,
    empty_batch,
    time_out_of_range,
)
from finpolicy.domains import domain
from finpolicy.errors import InputError
from finpolicy.runtime import Runtime

__all__ = ["ChunkEvaluator", "Prepare", "Progress", "SetAside", "evaluate_table",
           "iter_tables", "table_domains"]

ChunkEvaluator = Callable[[pa.RecordBatch, int], pa.Table]
"""``(batch, first_row) → decisions`` of one chunk (``first_row``: rows before it)."""
Progress = Callable[[int], None]
"""Called after each chunk with the number of input rows it held."""


class Prepare(Protocol):
    """What a domain's ``columnar.prepare`` is: parse the options once, return the chunk
    evaluator."""

    def __call__(self, runtime: Runtime, /, *, as_of: Any, policy: str | None,
                 **options: Any) -> ChunkEvaluator: ...


def _prepare(name: str) -> Prepare:
    package = domain(name).package
    try:
        module = importlib.import_module(f"{package}.columnar")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.columnar":
            raise
        raise InputError.one("domain", f"domain `{name}` has no columnar evaluation "
                             f"(available: {', '.join(table_domains())})", "unknown_domain",
                             name) from None
    prepare: Prepare = module.prepare
    return prepare


def _checked(name: str, prepare: Prepare, options: dict[str, Any]) -> None:
    """Refuse an option the domain's ``prepare`` does not take, naming the ones it does (a
    TypeError about ``prepare()`` named neither)."""
    taken = [p.name for p in inspect.signature(prepare).parameters.values()
             if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in ("as_of", "policy")]
    for option in options:
        if option not in taken:
            raise InputError.one(option, f"`{name}` tables take no option `{option}` (its "
                                         f"options: {', '.join(taken) or 'none'})",
                                 "unknown_option", option)


def table_domains() -> list[str]:
    """The registered domains that evaluate tables."""
    from finpolicy.domains import names

    out = []
    for name in names():
        try:
            importlib.import_module(f"{domain(name).package}.columnar")
        except ModuleNotFoundError:
            continue
        out.append(name)
    return out


def iter_tables(runtime: Runtime, domain_name: str, source: Source, /, *, as_of: Any = None,
                policy: str | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                progress: Progress | None = None, bad_rows: str = "raise",
                **options: Any) -> Iterator[Any]:
    """The decisions of ``source``, one table per chunk of at most ``chunk_rows`` input rows
    (one table without rows for a source without rows).

    Args:
        runtime: the engine's runtime (``PolicyEngine.iter_tables`` passes it).
        domain_name: a registered domain with a columnar module (``table_domains()``).
        source: a pyarrow Table, RecordBatch or RecordBatchReader (a stream, such as a
            Parquet dataset's batches, read once), a pandas or polars DataFrame, or a path
            to a ``.parquet`` or ``.csv`` file.
        as_of: the evaluation date or time, as the domain's row API takes it.
        policy: a policy id, when the bundle has several of the domain's kind.
        chunk_rows: input rows per chunk; memory is proportional to it.
        progress: called with each chunk's input row count.
        bad_rows: ``"raise"`` (the first row refused stops the table) or ``"set_aside"``:
            each chunk gives a ``SetAside`` pair, the decisions of the rows decided and a
            table of the rows refused with their errors (``rejects.REJECTS_SCHEMA``); every
            row is in one of them.
        options: the domain's own (suitability: ``products``; classification: ``key``).

    Raises:
        InputError: for an unreadable source, or the row engine's error for the first row it
            refuses (located at the row, counting from 1); set aside, only an error about no
            row (a missing column, say).
    """
    mode = checked_mode(bad_rows)
    prepare = _prepare(domain_name)
    _checked(domain_name, prepare, options)
    evaluate = prepare(runtime, as_of=as_of, policy=policy, **options)
    if mode == "set_aside":
        yield from _set_aside(evaluate, source, chunk_rows, progress, options.get("key"))
        return
    seen = 0
    chunks = 0
    for batch in batches(source, chunk_rows=chunk_rows):
        try:
            _times_in_range(batch, seen)
            yield evaluate(batch, seen)
        except InputError as exc:
            raise _located(exc, source) from None
        seen += batch.num_rows
        chunks += 1
        if progress is not None:
            progress(batch.num_rows)
    if not chunks:  # no rows: one table of no decisions, with the columns (and a review's
        # findings about the role assignments), as evaluate_table has always given
        yield evaluate(empty_batch(source), 0)
    finish = getattr(evaluate, "finish", None)
    if finish is not None:  # what only the whole table shows (complaints: stray events)
        finish()


def _set_aside(evaluate: ChunkEvaluator, source: Source, chunk_rows: int,
               progress: Progress | None, key: Any) -> Iterator[SetAside]:
    """``iter_tables`` with ``bad_rows="set_aside"``: a ``SetAside`` pair per chunk."""
    file, lines = _where(source)
    seen = 0
    set_aside = getattr(evaluate, "set_aside", None)
    try:
        for batch in batches(source, chunk_rows=chunk_rows):
            try:
                tables, rows = decide_chunk(evaluate, _times_in_range, batch, seen)
            except InputError as exc:
                raise _located(exc, source) from None
            if rows and set_aside is not None:
                set_aside(batch.take(pa.array([r - seen - 1 for r in sorted(rows)],
                                              pa.int64())))
            # every row set aside: no decisions, with the columns
            yield SetAside(pa.concat_tables(tables or [evaluate(batch.slice(0, 0), seen)]),
                           rejects_table(batch, seen, rows, key, file, lines))
            seen += batch.num_rows
            if progress is not None:
                progress(batch.num_rows)
        if not seen:  # no rows: one table of no decisions, as by default
            yield SetAside(evaluate(empty_batch(source), 0), REJECTS_SCHEMA.empty_table())
        strays = getattr(evaluate, "strays", None)  # rows of another table set aside
        finish = getattr(evaluate, "finish", None)  # (complaints: events that name no
        if strays is None and finish is not None:   # complaint of the table)
            try:
                finish()
            except InputError as exc:
                raise _located(exc, source) from None
        records = [] if strays is None else strays()
        if records:
            yield SetAside(evaluate(empty_batch(source), 0),
                           pa.Table.from_pylist(records, schema=REJECTS_SCHEMA))
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()


def _where(source: Source) -> tuple[str, Callable[[list[int]], dict[int, int]]]:
    """The file a source's rejects name (``table`` for one in memory) and their lines (a
    CSV file's, as the row reader numbers them)."""
    if not isinstance(source, str | Path):
        return "table", lambda rows: {r: r for r in rows}
    path = str(source)
    if path.lower().endswith(".csv"):
        return path, CsvLines(path)
    return path, lambda rows: {r: r for r in rows}


def _times_in_range(batch: pa.RecordBatch, seen: int) -> None:
    found = time_out_of_range(batch)
    if found is not None:
        name, row = found
        raise InputError.one(name, TIME_RANGE, "bad_datetime").located("table", seen + row + 1)


def _located(exc: InputError, source: Source) -> InputError:
    """A row's error located in the file it came from (a CSV file's line, as the row reader
    numbers it: the header, blank lines and line breaks in quoted cells counted); a problem
    found in another file (a complaint's events table) keeps its own place."""
    if not isinstance(source, str | Path):
        return exc
    path = str(source)
    ours = [p.line for p in exc.problems if p.file in (None, "table") and p.line is not None]
    lines = csv_lines(path, ours) if path.lower().endswith(".csv") else {n: n for n in ours}
    return InputError([p if p.file not in (None, "table") else
                       attrs.evolve(p, file=path, line=None if p.line is None
                                    else lines[p.line]) for p in exc.problems],
                      model=exc.model)


def evaluate_table(runtime: Runtime, domain_name: str, source: Source, /, *,
                   as_of: Any = None, policy: str | None = None,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS, progress: Progress | None = None,
                   bad_rows: str = "raise", **options: Any) -> Any:
    """All the decisions of ``source`` in one Arrow table (see ``iter_tables``);
    ``.to_pandas()`` or ``polars.from_arrow`` convert it. With ``bad_rows="set_aside"``, a
    ``SetAside`` pair: the decisions of the rows decided, and the rows set aside."""
    parts = list(iter_tables(runtime, domain_name, source, as_of=as_of, policy=policy,
                             chunk_rows=chunk_rows, progress=progress, bad_rows=bad_rows,
                             **options))
    if bad_rows != "set_aside":
        return pa.concat_tables(parts)
    return SetAside(pa.concat_tables([p.decided for p in parts]),
                    pa.concat_tables([p.rejected for p in parts]))
