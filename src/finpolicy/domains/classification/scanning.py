"""Classify the columns of real tables: CSV, Parquet and SQLite (``engine.scan``).

Tables are read in chunks (a CSV streams row by row, Parquet by record batches, SQLite with
``fetchmany``), so a file of any size is never held in memory. With pyarrow installed, CSV
and Parquet files are read column-wise instead (``scan_columns``), with the same report; the
row readers (``scan_readers``) stay the reference and take every file the columns cannot.
Each column keeps a sample of its non-empty values, either a reservoir sample (Algorithm L
with a fixed seed: the same file gives the same sample) or the first N non-empty values
(``sample_mode="first"``, which stops reading as soon as every column is full). Each column
is then classified once by name and sample, through the engine's rules.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from finpolicy.decisions import PolicyRef, _plain
from finpolicy.domains.classification import scan_columns
from finpolicy.domains.classification.classify import _classify, policy_in_force
from finpolicy.domains.classification.model import (
    ClassificationDecision,
    DataField,
    DataLevel,
    Handling,
    bounded_sample,
)
from finpolicy.domains.classification.scan_readers import (
    PARQUET_SUFFIXES,
    Reader,
    column_values,
    file_kind,
    open_source,
    sniff,
    sqlite_uri,
)
from finpolicy.domains.detectors import detect_column
from finpolicy.errors import InputError
from finpolicy.limits import MAX_SAMPLES
from finpolicy.runtime import Runtime

__all__ = ["ColumnResult", "Reader", "ScanReport", "open_source", "scan", "sqlite_uri"]

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
    "columnar": None,        # read files column-wise with pyarrow: None = when installed
}
_MAX_SAMPLE = MAX_SAMPLES


_problem = InputError.one


# --- results ------------------------------------------------------------------------------

def _counts(value: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class ColumnResult:
    """One column: its classification and what was read of it.

    Attributes:
        column: the column's name (blank names become ``column_N``, repeats get ``_2``...).
        non_empty: non-empty values read.
        sampled: values in the sample the detectors ran on.
        classification: the full decision (hits, policy, explain()).
        unknown_mask: the policy's ``unknown_field_mask``, what a column no rule knows is
            shown with.
        matched: per content detector of the policy that accepts any sampled value, how many
            it accepts (most first): the evidence beside the one detector the decision names.
    """

    column: str
    non_empty: int
    sampled: int
    classification: ClassificationDecision
    unknown_mask: str | None = attrs.field(default=None, kw_only=True)
    matched: Mapping[str, int] = attrs.field(factory=dict, kw_only=True, hash=False,
                                             converter=_counts)

    @property
    def mask(self) -> str | None:
        """The mask the column's values are shown with, as ``mask`` applies it: its rule's
        (``None``: shown as they are), or ``unknown_mask`` when no rule knows the column."""
        c = self.classification
        return c.mask if c.hits or c.sources else self.unknown_mask

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
                "share": c.share, "mask": self.mask, "handling": _plain(c.handling),
                "non_empty": self.non_empty, "sampled": self.sampled,
                "matched": dict(self.matched),
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

    def _replacements(self, end: int, offset: int) -> tuple[list[int], list[int]]:
        """The slots replaced up to position ``end``, and the chunk indexes replacing them
        (``_u`` and ``_skip`` inlined: this loop is most of the sampling time)."""
        random_, randrange, k = self.rng.random, self.rng.randrange, self.k
        w, position = self.w, self.next
        slots, picks = [], []
        log, exp, log1p, floor = math.log, math.exp, math.log1p, math.floor
        while position <= end:
            slots.append(randrange(k))
            picks.append(offset + position)
            w *= exp(log(random_() or 5e-324) / k)
            position += floor(log(random_() or 5e-324) / log1p(-w)) + 1
        self.w, self.next = w, position
        return slots, picks

    def extend(self, values: list[str] | scan_columns.Values) -> None:
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
            slots, picks = self._replacements(self.seen + rest, i - self.seen - 1)
            # fetched together: a column-wise chunk hands them over in one ``take``
            chosen = (values.pick(picks) if isinstance(values, scan_columns.Values)
                      else [values[p] for p in picks])
            for slot, value in zip(slots, chosen, strict=True):
                self.items[slot] = value
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
        # UTF-8 text kept as bytes (a Parquet BINARY column with no string annotation, as
        # some writers leave text, a SQLite BLOB) is read as text; other bytes never match a
        # detector and still count as a value
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "<binary>"
        return text if text.strip() else "<binary>"
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
                                          or len(opts["delimiter"]) != 1
                                          or not opts["delimiter"].isascii()
                                          or opts["delimiter"] in '\r\n"'):
        # the columnar reader (pyarrow) takes one ASCII character, and so do CSV writers
        raise _problem("delimiter", "expected one ASCII character other than a quote or a "
                       f"line break, such as `,`, `;` or a tab, got `{opts['delimiter']}`",
                       "bad_option", opts["delimiter"])
    if not isinstance(opts["encoding"], str):
        raise _problem("encoding", "expected an encoding name", "bad_option", opts["encoding"])
    try:
        "".encode(opts["encoding"])
    except (LookupError, UnicodeError):  # UnicodeError: a name that is no text
        raise _problem("encoding", f"unknown encoding `{opts['encoding']}`", "bad_option",
                       opts["encoding"]) from None
    if not any(opts["columnar"] is v for v in (None, True, False)):
        raise _problem("columnar", "expected true, false or none", "bad_option",
                       opts["columnar"])
    if opts["progress"] is not None and not callable(opts["progress"]):
        raise _problem("progress", "expected a callable(done, total)", "bad_option")
    return opts


def _format(source: Any, encoding: str) -> tuple[str, Path | None]:
    """``csv`` or ``parquet`` and the file, for a path to an existing file; else no path."""
    if not isinstance(source, str | Path) or str(source).startswith("sqlite:"):
        return "sqlite", None
    path = Path(source)
    if not path.is_file():
        return "csv", None
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return "parquet", path
    return file_kind(path, encoding), path


Sampled = tuple[str, list[Any], list[_Sampler], int, bool]


def _samplers(width: int, opts: dict[str, Any]) -> list[_Sampler]:
    rng = random.Random(opts["seed"])
    first = opts["sample_mode"] == "first"
    return [_Sampler(opts["sample"], random.Random(rng.random()), first) for _ in range(width)]


def _read(source: Any, opts: dict[str, Any]) -> Sampled:
    """The format, header, filled samplers, rows read and whether every row was read: column
    by column when pyarrow can read the file exactly as the row reader does, else by rows."""
    fmt, path = _format(source, opts["encoding"])
    if path is not None and opts["columnar"] is not False and scan_columns.available():
        try:
            return _read_columns(path, fmt, opts)
        except scan_columns._RowPath:
            pass
    return _read_rows(source, opts)


def _read_columns(path: Path, fmt: str, opts: dict[str, Any]) -> Sampled:
    first = opts["sample_mode"] == "first"
    chunks: Iterator[Any]
    if fmt == "csv":
        chunks = scan_columns.csv_chunks(path, opts, sniff, opts["progress"])
    else:
        chunks = _parquet_columns(path, opts)
    header = next(chunks)
    if first and fmt == "csv":  # where reading stops depends on the row reader's chunks
        chunks = scan_columns.sliced(chunks, opts["chunk_rows"])
    samplers = _samplers(len(header), opts)
    rows, complete = 0, True
    for columns in chunks:
        if fmt == "csv":
            count, columns = len(columns[0]), [scan_columns.non_empty(c) for c in columns]
        else:
            count, columns = columns[0], columns[1:]
        rows += count
        for sampler, values in zip(samplers, columns, strict=True):
            sampler.extend(values)
        if first and all(s.full for s in samplers):
            complete = False
            chunks.close()  # type: ignore[attr-defined]
            break
    return fmt, header, samplers, rows, complete


def _parquet_columns(path: Path, opts: dict[str, Any]) -> Iterator[list[Any]]:
    """The Parquet reader's batches: the rows in each, then each column's non-empty values."""
    try:
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path, pre_buffer=False)  # memory follows the chunk, not the file
    except Exception:  # not Parquet, or no pyarrow.parquet: the row reader names the problem
        raise scan_columns._RowPath from None
    yield list(file.schema_arrow.names)
    total, done = file.metadata.num_rows, 0
    try:
        for batch in file.iter_batches(batch_size=opts["chunk_rows"]):
            yield [batch.num_rows, *(scan_columns.parquet_values(c, _text, column_values)
                                     for c in batch.columns)]
            done += batch.num_rows
            if opts["progress"] is not None:
                opts["progress"](done, total)
    except Exception:  # a damaged file: the row reader names the problem
        raise scan_columns._RowPath from None


def _read_rows(source: Any, opts: dict[str, Any]) -> Sampled:
    fmt, reader = open_source(source, opts)
    first = opts["sample_mode"] == "first"
    rows, complete = 0, True
    header = next(reader)
    width = len(header)
    samplers = _samplers(width, opts)
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
    return fmt, header, samplers, rows, complete


def scan(runtime: Runtime, source: Any, /, **options: Any) -> ScanReport:
    """Classify every column of a CSV, Parquet file or SQLite table.

    Args:
        runtime: the engine's runtime (``PolicyEngine.scan`` passes it).
        source: a ``.csv``/``.tsv`` (any other suffix is read as CSV) or ``.parquet`` path, or
            ``sqlite:///file.db?table=NAME`` (four slashes for an absolute path).
        **options: ``sample`` (values kept per column, 1000), ``sample_mode`` (``reservoir``
            or ``first``), ``seed``, ``chunk_rows``, ``encoding`` (``utf-8-sig``),
            ``delimiter`` (sniffed), ``as_of``, ``policy``, ``progress`` (a callable
            ``(done, total)``: bytes for CSV, rows otherwise), ``columnar`` (``False`` reads
            by rows; by default CSV and Parquet files are read column-wise with pyarrow when
            it is installed, with the same report).

    Raises:
        InputError: a missing or unreadable file, an unknown table, an empty CSV, a bad option.
    """
    opts = _options(options)
    # The policy in force is checked before reading, so a wrong date fails fast; an instant
    # (or now) counts on its day in the policy's time zone, as single calls take it.
    on, doc, rules = policy_in_force(runtime, opts["as_of"], opts["policy"])
    fmt, header, samplers, rows, complete = _read(source, opts)
    columns = []
    for i, (name, sampler) in enumerate(zip(_column_names(header), samplers, strict=True)):
        samples = [bounded_sample(v) for v in sampler.items]
        field = DataField.parse({"name": name, "sample_values": samples}, field=f"columns.{i}")
        found = detect_column(field.sample_values, rules.detectors)  # read once, for both
        result = _classify(runtime, doc, rules, on, field, {}, found)
        matched = {m.name: m.matched for m in found if m.matched}
        columns.append(ColumnResult(name, sampler.seen, len(sampler.items), result,
                                    unknown_mask=rules.unknown_field_mask, matched=matched))
    if not columns:
        raise _problem("source", "the table has no columns", "no_columns", str(source))
    doc_ref = columns[0].classification.policy
    return ScanReport(source=str(source), format=fmt, rows=rows, complete=complete,
                      columns=tuple(columns), policy=doc_ref, engine=runtime.engine_name,
                      as_of=on, sample=opts["sample"], sample_mode=opts["sample_mode"])
