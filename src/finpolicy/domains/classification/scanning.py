"""Classify the columns of real tables: CSV, Parquet and SQLite (``engine.scan``).

Tables are read in chunks (a CSV streams row by row, Parquet by record batches, SQLite with
``fetchmany``), so a file of any size is never held in memory. Each column keeps a sample of
its non-empty values, either a reservoir sample (Algorithm L with a fixed seed: the same file
gives the same sample) or the first N non-empty values (``sample_mode="first"``, which stops
reading as soon as every column is full). Each column is then classified once by name and
sample, through the engine's rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import attrs

from finpolicy.decisions import PolicyRef, _plain
from finpolicy.domains.classification.classify import classify
from finpolicy.domains.classification.model import (
    ClassificationDecision,
    DataField,
    DataLevel,
    Handling,
    bounded_sample,
)
from finpolicy.domains.classification.spec import POLICY_KIND
from finpolicy.errors import InputError
from finpolicy.inputs import evaluation_date
from finpolicy.limits import MAX_CSV_CELL, MAX_SAMPLES
from finpolicy.readers import set_csv_cell_limit
from finpolicy.runtime import Runtime

__all__ = ["ColumnResult", "ScanReport", "scan"]

Progress = Callable[[int, "int | None"], None]

DEFAULTS: dict[str, Any] = {
    "sample": 1000,          # non-empty values kept per column
    "sample_mode": "reservoir",
    "seed": 0,
    "chunk_rows": 10_000,    # rows per chunk (Parquet batches, SQLite fetchmany, progress)
    "encoding": "utf-8-sig",
    "delimiter": None,       # guessed from the header line when None
    "as_of": None,
    "policy": None,
    "progress": None,        # callable(done, total): bytes for CSV, rows otherwise
}
_MAX_SAMPLE = MAX_SAMPLES
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


_problem = InputError.one


# --- results ------------------------------------------------------------------------------

@attrs.frozen(slots=True)
class ColumnResult:
    """One column: its classification and what was read of it.

    Attributes:
        column: the column's name (blank names become ``column_N``, repeats get ``_2``...).
        non_empty: non-empty values read.
        sampled: values in the sample the detectors ran on.
        classification: the full decision (hits, policy, explain()).
    """

    column: str
    non_empty: int
    sampled: int
    classification: ClassificationDecision

    @property
    def level(self) -> DataLevel:
        return self.classification.level

    @property
    def category(self) -> str | None:
        return self.classification.category

    @property
    def detector(self) -> str | None:
        return self.classification.detector

    @property
    def share(self) -> float | None:
        return self.classification.share

    @property
    def handling(self) -> Handling:
        return self.classification.handling

    def to_dict(self) -> dict[str, Any]:
        c = self.classification
        return {"column": self.column, "level": str(c.level), "category": c.category,
                "grade": c.grade, "pfi_category": c.pfi_category, "detector": c.detector,
                "share": c.share, "mask": c.mask, "handling": _plain(c.handling),
                "non_empty": self.non_empty, "sampled": self.sampled,
                "rules": list(c.rule_ids)}


@attrs.frozen(slots=True)
class ScanReport:
    """Every column of a table classified; the table takes the highest column level.

    Attributes:
        source: what was scanned, as given.
        format: ``csv``, ``parquet`` or ``sqlite``.
        rows: rows read (all of them, unless ``sample_mode="first"`` stopped early).
        complete: whether every row was read.
        columns: per-column results, in table order.
        policy / engine / as_of: which policy and engine classified, and for which date.
    """

    source: str
    format: str
    rows: int
    complete: bool
    columns: tuple[ColumnResult, ...]
    policy: PolicyRef
    engine: str
    as_of: dt.date
    sample: int
    sample_mode: str

    @property
    def level(self) -> DataLevel:
        return max(c.level for c in self.columns)

    def __getitem__(self, column: str) -> ColumnResult:
        for c in self.columns:
            if c.column == column:
                return c
        raise KeyError(column)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format, "rows": self.rows,
                "complete": self.complete, "level": str(self.level),
                "sample": self.sample, "sample_mode": self.sample_mode,
                "policy": _plain(self.policy), "engine": self.engine,
                "as_of": self.as_of.isoformat(),
                "columns": [c.to_dict() for c in self.columns]}


# --- sampling -----------------------------------------------------------------------------

class _Sampler:
    """Reservoir sample (Algorithm L) or first-N of one column's non-empty values."""

    __slots__ = ("first", "items", "k", "next", "rng", "seen", "w")

    def __init__(self, k: int, rng: random.Random, first: bool) -> None:
        self.k, self.rng, self.first = k, rng, first
        self.items: list[str] = []
        self.seen = 0
        self.w = 1.0
        self.next = 0

    @property
    def full(self) -> bool:
        return len(self.items) >= self.k

    def _u(self) -> float:
        return self.rng.random() or 5e-324  # log(0) would fail; 0.0 has probability 2**-53

    def _skip(self) -> None:
        self.next += math.floor(math.log(self._u()) / math.log1p(-self.w)) + 1

    def extend(self, values: list[str]) -> None:
        """Add a chunk of non-empty values; after the fill, only replacements cost time."""
        i = 0
        if len(self.items) < self.k:
            take = values[:self.k - len(self.items)]
            self.items.extend(take)
            self.seen += len(take)
            i = len(take)
            if len(self.items) == self.k and not self.first:
                self.w = math.exp(math.log(self._u()) / self.k)
                self.next = self.seen
                self._skip()
        rest = len(values) - i
        if rest <= 0:
            return
        if not self.first:
            # ``next`` is the 1-based position (over all values seen) of the next replacement.
            end = self.seen + rest
            while self.next <= end:
                self.items[self.rng.randrange(self.k)] = values[i + self.next - self.seen - 1]
                self.w *= math.exp(math.log(self._u()) / self.k)
                self._skip()
        self.seen += rest


def _text(value: Any) -> str | None:
    """A cell as text for the detectors; ``None`` for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return None if math.isnan(value) else repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "<binary>"  # never matches a detector, still counts as a value
    return str(value)


def _column_names(raw: list[Any]) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(raw):
        name = str(value).strip() if value is not None else ""
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


# --- readers: each yields the column names, then lists of rows ----------------------------

Reader = Iterator[list[Any]]


def _sniff(head: str, suffix: str) -> str:
    # The header line decides: csv.Sniffer guesses wrong on short or ragged samples.
    if suffix == ".tsv":
        return "\t"
    first = head.splitlines()[0] if head else ""
    counts = {d: first.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _read_csv(path: Path, opts: dict[str, Any], progress: Progress | None) -> Reader:
    try:
        size = path.stat().st_size
        raw = path.open("rb")
    except OSError as exc:
        raise _problem("source", f"cannot read `{path}`: {exc.strerror}", "unreadable",
                       str(path)) from None
    if size == 0:
        raw.close()
        raise _problem("source", f"`{path}` is empty: expected a header row", "empty_file",
                       str(path))
    with raw:
        text = io.TextIOWrapper(raw, encoding=opts["encoding"], newline="")
        set_csv_cell_limit()
        try:
            head = text.read(65536)
            text.seek(0)
            delimiter = opts["delimiter"] or _sniff(head, path.suffix.lower())
            reader = csv.reader(text, delimiter=delimiter)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise _problem("source", f"`{path}` has no header row", "empty_file",
                               str(path))
            yield header
            chunk: list[list[str]] = []
            for row in reader:
                if not row:
                    continue
                chunk.append(row)
                if len(chunk) >= opts["chunk_rows"]:
                    yield chunk
                    chunk = []
                    if progress is not None:
                        progress(raw.tell(), size)
            if chunk:
                yield chunk
        except UnicodeError as exc:  # a decoding error, or a codec refusing the stream
            where = (f"byte {exc.start} of a block" if isinstance(exc, UnicodeDecodeError)
                     else str(exc))
            raise _problem("source", f"`{path}` is not {opts['encoding']} text ({where}); "
                           "give the encoding, e.g. gbk", "bad_encoding", str(path)) from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _problem("source", f"`{path}` is not valid CSV: a cell is longer than "
                               f"{MAX_CSV_CELL} characters", "too_large", str(path)) from None
            raise _problem("source", f"`{path}` is not valid CSV: {exc}", "bad_csv",
                           str(path)) from None
        except OSError as exc:
            raise _problem("source", f"cannot read `{path}`: {exc.strerror or exc}",
                           "unreadable", str(path)) from None
        if progress is not None:
            progress(size, size)


def _read_parquet(path: Path, opts: dict[str, Any], progress: Progress | None) -> Reader:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise _problem("source", "reading Parquet needs pyarrow: pip install pyarrow",
                       "missing_dependency", str(path)) from None
    try:
        file = pq.ParquetFile(path)
    except FileNotFoundError:
        raise _problem("source", f"no such file `{path}`", "missing_file", str(path)) from None
    except Exception as exc:  # pyarrow raises its own ArrowInvalid/OSError kinds
        raise _problem("source", f"`{path}` is not a readable Parquet file: {exc}",
                       "bad_parquet", str(path)) from None
    total = file.metadata.num_rows
    yield list(file.schema_arrow.names)
    done = 0
    try:
        for batch in file.iter_batches(batch_size=opts["chunk_rows"]):
            columns = [_column_values(col) for col in batch.columns]
            yield [list(row) for row in zip(*columns, strict=True)]
            done += batch.num_rows
            if progress is not None:
                progress(done, total)
    except InputError:
        raise
    except Exception as exc:  # pyarrow's own errors on a damaged file
        raise _problem("source", f"`{path}` is not a readable Parquet file: {exc}",
                       "bad_parquet", str(path)) from None


def _column_values(column: Any) -> list[Any]:
    """A Parquet column as Python values; a temporal value Python cannot hold (nanoseconds,
    a year beyond 9999) is read as Arrow's text of it instead."""
    values: list[Any]
    try:
        values = column.to_pylist()
    except (ValueError, OverflowError):
        import pyarrow as pa

        values = column.cast(pa.string()).to_pylist()
    return values


def _sqlite_target(source: str) -> tuple[Path, str]:
    parts = urlsplit(source)
    if parts.netloc:
        raise _problem("source", "expected sqlite:///relative.db?table=NAME or "
                                 "sqlite:////absolute.db?table=NAME", "bad_url", source)
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    tables = parse_qs(parts.query).get("table")
    if not path:
        raise _problem("source", "the sqlite URL names no database file", "bad_url", source)
    if not tables or not tables[0]:
        raise _problem("source", "name the table: sqlite:///file.db?table=NAME", "no_table",
                       source)
    return Path(path), tables[0]


def sqlite_uri(path: Path) -> str:
    """A read-only SQLite URI for ``path``: every character that means something in a URI
    (``?``, ``#``, ``%``, spaces …) escaped, so a file name cannot add parameters such as
    ``mode=rwc``."""
    return f"file:{quote(path.resolve().as_posix(), safe='/')}?mode=ro"


def _read_sqlite(source: str, opts: dict[str, Any], progress: Progress | None) -> Reader:
    path, table = _sqlite_target(source)
    if not path.is_file():
        raise _problem("source", f"no such database file `{path}`", "missing_file", str(path))
    try:
        conn = sqlite3.connect(sqlite_uri(path), uri=True)
        # nothing the file's schema says may write, or call functions with side effects
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
    except sqlite3.Error as exc:
        raise _problem("source", f"cannot open `{path}`: {exc}", "unreadable",
                       str(path)) from None
    try:
        try:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
        except sqlite3.DatabaseError as exc:
            raise _problem("source", f"`{path}` is not a SQLite database: {exc}",
                           "bad_database", str(path)) from None
        if table not in names:
            raise _problem("source", f"no table `{table}` in `{path}`; tables: "
                           f"{', '.join(names) or 'none'}", "unknown_table", table)
        quoted = '"' + table.replace('"', '""') + '"'
        total = conn.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0]
        cursor = conn.execute(f"SELECT * FROM {quoted}")
        yield [d[0] for d in cursor.description]
        done = 0
        while rows := cursor.fetchmany(opts["chunk_rows"]):
            yield [list(r) for r in rows]
            done += len(rows)
            if progress is not None:
                progress(done, total)
    except sqlite3.Error as exc:
        raise _problem("source", f"cannot read table `{table}`: {exc}", "unreadable",
                       table) from None
    finally:
        conn.close()


# --- scan ---------------------------------------------------------------------------------

def _options(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(DEFAULTS))
    if unknown:
        raise _problem(unknown[0], f"unknown scan option, expected one of "
                       f"{', '.join(DEFAULTS)}", "unknown_option")
    opts = {**DEFAULTS, **options}
    for key, low, high in (("sample", 1, _MAX_SAMPLE), ("chunk_rows", 1, 10_000_000)):
        value = opts[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _problem(key, f"expected a whole number from {low} to {high}", "bad_option",
                           value)
    if opts["sample_mode"] not in ("reservoir", "first"):
        raise _problem("sample_mode", "expected `reservoir` or `first`", "bad_option",
                       opts["sample_mode"])
    if isinstance(opts["seed"], bool) or not isinstance(opts["seed"], int):
        raise _problem("seed", "expected an integer", "bad_option", opts["seed"])
    if opts["delimiter"] is not None and (not isinstance(opts["delimiter"], str)
                                          or len(opts["delimiter"]) != 1):
        raise _problem("delimiter", "expected one character", "bad_option", opts["delimiter"])
    if not isinstance(opts["encoding"], str):
        raise _problem("encoding", "expected an encoding name", "bad_option", opts["encoding"])
    try:
        "".encode(opts["encoding"])
    except LookupError:
        raise _problem("encoding", f"unknown encoding `{opts['encoding']}`", "bad_option",
                       opts["encoding"]) from None
    if opts["progress"] is not None and not callable(opts["progress"]):
        raise _problem("progress", "expected a callable(done, total)", "bad_option")
    return opts


def open_source(source: Any, opts: dict[str, Any]) -> tuple[str, Reader]:
    """The format and a reader of ``source`` (a path, or a ``sqlite:///`` URL)."""
    progress = opts["progress"]
    if isinstance(source, str) and source.startswith("sqlite:"):
        return "sqlite", _read_sqlite(source, opts, progress)
    if not isinstance(source, str | Path):
        raise _problem("source", f"expected a path or a sqlite:/// URL, got "
                                 f"{type(source).__name__}", "bad_source")
    path = Path(source)
    if not path.exists():
        raise _problem("source", f"no such file `{path}`", "missing_file", str(path))
    if path.is_dir():
        raise _problem("source", f"`{path}` is a folder, expected a CSV or Parquet file",
                       "not_a_file", str(path))
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return "parquet", _read_parquet(path, opts, progress)
    return "csv", _read_csv(path, opts, progress)


def scan(runtime: Runtime, source: Any, /, **options: Any) -> ScanReport:
    """Classify every column of a CSV, Parquet file or SQLite table.

    Args:
        runtime: the engine's runtime (``PolicyEngine.scan`` passes it).
        source: a ``.csv``/``.tsv`` (any other suffix is read as CSV) or ``.parquet`` path, or
            ``sqlite:///file.db?table=NAME`` (four slashes for an absolute path).
        **options: ``sample`` (values kept per column, 1000), ``sample_mode`` (``reservoir``
            or ``first``), ``seed``, ``chunk_rows``, ``encoding`` (``utf-8-sig``),
            ``delimiter`` (sniffed), ``as_of``, ``policy``, ``progress`` (a callable
            ``(done, total)``: bytes for CSV, rows otherwise).

    Raises:
        InputError: a missing or unreadable file, an unknown table, an empty CSV, a bad option.
    """
    opts = _options(options)
    on = evaluation_date(opts["as_of"])
    # The policy in force is checked before reading, so a wrong date fails fast.
    runtime.policy(POLICY_KIND, on, opts["policy"])
    fmt, reader = open_source(source, opts)
    first = opts["sample_mode"] == "first"
    rows, complete = 0, True
    header = _column_names(next(reader))
    width = len(header)
    rng = random.Random(opts["seed"])
    samplers = [_Sampler(opts["sample"], random.Random(rng.random()), first) for _ in header]
    for chunk in reader:
        rows += len(chunk)
        if any(len(row) != width for row in chunk):  # ragged rows: pad or cut to the header
            chunk = [(row + [None] * width)[:width] for row in chunk]
        for sampler, values in zip(samplers, zip(*chunk, strict=True), strict=True):
            if fmt == "csv":  # cells are already text: skip the per-value conversion
                sampler.extend([v for v in values if v and not v.isspace()])
            else:
                sampler.extend([t for t in map(_text, values) if t is not None])
        if first and all(s.full for s in samplers):
            complete = False
            reader.close()  # type: ignore[attr-defined]
            break
    columns = []
    for i, (name, sampler) in enumerate(zip(header, samplers, strict=True)):
        samples = [bounded_sample(v) for v in sampler.items]
        result = classify(runtime, DataField.parse({"name": name, "sample_values": samples},
                                                   field=f"columns.{i}"),
                          as_of=on, policy=opts["policy"])
        columns.append(ColumnResult(name, sampler.seen, len(sampler.items), result))
    if not columns:
        raise _problem("source", "the table has no columns", "no_columns", str(source))
    doc_ref = columns[0].classification.policy
    return ScanReport(source=str(source), format=fmt, rows=rows, complete=complete,
                      columns=tuple(columns), policy=doc_ref, engine=runtime.engine_name,
                      as_of=on, sample=opts["sample"], sample_mode=opts["sample_mode"])
