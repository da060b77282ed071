"""Readers of the tables ``scan`` classifies, row by row: CSV, Parquet and SQLite.

Each reader yields the column names, then lists of rows of ``chunk_rows`` rows, so a file of
any size is never held in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import sqlite3
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from finpolicy.domains.classification.scan_columns import refuse_open_quote
from finpolicy.errors import InputError, InputProblem
from finpolicy.limits import MAX_CSV_CELL
from finpolicy.readers import set_csv_cell_limit

__all__ = ["PARQUET_SUFFIXES", "Reader", "file_kind", "open_source", "sqlite_uri"]

Progress = Callable[[int, "int | None"], None]
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_problem = InputError.one


Reader = Iterator[list[Any]]


def sniff(head: str, suffix: str) -> str:
    # The header line decides: csv.Sniffer guesses wrong on short or ragged samples.
    if suffix == ".tsv":
        return "\t"
    first = head.splitlines()[0] if head else ""
    counts = {d: first.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


# What a file that is not CSV text starts with, and what to tell its owner: any encoding
# (latin-1 above all) would read these bytes as text and scan garbage.
_NOT_TEXT = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls) or another "
                                        "OLE file"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "a SQLite database (scan it as sqlite:///FILE?table=NAME)"),
    (b"%PDF-", "a PDF document"),
)
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def file_kind(path: Path, encoding: str) -> str:
    """``parquet`` for a Parquet file whatever its name, else ``csv``.

    Raises:
        InputError: the file is a workbook, an archive, a database or a PDF (``not_a_table``),
            or UTF-16 text read with another encoding (``bad_encoding``), as Excel's "Unicode
            text" is saved.
    """
    try:
        with path.open("rb") as raw:
            head = raw.read(16)
    except OSError:
        return "csv"  # the reader says why it cannot be read
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            raise _problem("source", f"`{path}` is {what}, not CSV text: save the sheet as CSV "
                           "(UTF-8) or Parquet", "not_a_table", str(path))
    try:
        utf16 = codecs.lookup(encoding).name.startswith("utf-16")
    except LookupError:
        utf16 = False
    if head.startswith(_UTF16) and not utf16:
        raise _problem("source", f"`{path}` is UTF-16 text (it starts with a UTF-16 byte-order "
                       f"mark), not {encoding}: give the encoding utf-16", "bad_encoding",
                       str(path))
    return "csv"


def _at(path: Path, line: int | None, message: str, code: str) -> InputError:
    """An error of the CSV file ``path`` at ``line``, located in its problem."""
    return InputError([InputProblem("", message, code, str(path), file=str(path),
                                    line=line)])


def _bad_line(path: Path, encoding: str) -> int | None:
    """The first line of ``path`` that is not ``encoding`` text (an ASCII-compatible one)."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        with path.open("rb") as raw:  # in pieces of a mebibyte: a line may be gigabytes long
            number = 1
            while piece := raw.readline(1 << 20):
                try:
                    decoder.decode(piece)
                except UnicodeError:  # (a codec refusing the stream too: utf-16 without a BOM)
                    return number
                number += piece.endswith(b"\n")
    except (OSError, LookupError):
        pass
    return None


# The longest line the row reader takes: every cell of a row of up to 64 columns at the cell
# limit (wider headers allow more); the csv module checks a cell only once its whole line is
# read, so a file with no line break (a binary dump, a 2 GB export cut short) was read whole.
_LINE_CELLS = 64


def _lines(path: Path, text: Any, cells: list[int]) -> Iterator[str]:
    """The lines of ``text``, each read with at most a line's worth of characters for
    ``cells[0]`` columns (``cells`` is set once the header is known).

    Raises:
        InputError: a line is longer than that (``too_large``), at its line.
    """
    number = 0
    while True:
        longest = (max(cells[0], _LINE_CELLS) + 1) * (MAX_CSV_CELL + 3)
        line = text.readline(longest + 1)
        if not line:
            return
        number += 1
        if len(line) > longest:
            raise _at(path, number, f"not valid CSV: the line is longer than {longest:,} "
                      f"characters (a cell holds at most {MAX_CSV_CELL:,})", "too_large")
        yield line


_GB = frozenset({"gbk", "gb2312", "cp936", "gb18030", "hz"})


def _likely(path: Path, encoding: str) -> str:
    """The encoding to suggest for ``path``, which is not ``encoding`` text: utf-8 when its
    first mebibyte reads as UTF-8 (and another was given), else gbk (gb18030, which holds
    every character, when gbk was given)."""
    try:
        given = codecs.lookup(encoding).name
    except LookupError:
        given = encoding
    if not given.startswith("utf-8"):
        try:
            with path.open("rb") as raw:
                codecs.getincrementaldecoder("utf-8")().decode(raw.read(1 << 20))
            return "utf-8"
        except (OSError, UnicodeError):
            pass
    return "gb18030" if given in _GB else "gbk"


def _chunks(path: Path, reader: Any, width: int, size: int, done: Callable[[], Any]
            ) -> Generator[list[list[str]], None, tuple[list[str], list[list[str]]]]:
    """The rows of ``reader`` in full chunks of ``size`` (``done`` called after each),
    refusing a value beyond the header's ``width`` columns; then the last row (none without
    rows) and the rows of no full chunk, for the caller to check and give."""
    chunk: list[list[str]] = []
    last: list[str] = []
    for row in reader:
        if not row:
            continue
        last = row
        if len(row) > width and any(c.strip() for c in row[width:]):
            # scanned under no column, an ID number there would go unseen
            raise _at(path, reader.line_num, f"a value beyond the header's {width} columns; "
                      "name its column in the header", "bad_csv")
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
            done()
    return last, chunk


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
            delimiter = opts["delimiter"] or sniff(head, path.suffix.lower())
            cells = [0]
            reader = csv.reader(_lines(path, text, cells), delimiter=delimiter)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise _problem("source", f"`{path}` has no header row", "empty_file",
                               str(path))
            cells[0] = len(header)
            yield header
            last, rest = yield from _chunks(path, reader, len(header), opts["chunk_rows"],
                                      lambda: progress and progress(raw.tell(), size))
            # (the last row of the file, whichever chunk it was in)
            refuse_open_quote(path, opts["encoding"], delimiter, last)
            if rest:
                yield rest
        except UnicodeError as exc:  # a decoding error, or a codec refusing the stream
            where = (f"byte {exc.start} of a block" if isinstance(exc, UnicodeDecodeError)
                     else str(exc))
            raise _at(path, _bad_line(path, opts["encoding"]), f"not {opts['encoding']} text "
                      f"({where}); give the encoding, e.g. {_likely(path, opts['encoding'])}",
                      "bad_encoding") from None
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
        file = pq.ParquetFile(path, pre_buffer=False)  # memory follows the chunk, not the file
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
            columns = [column_values(col) for col in batch.columns]
            yield [list(row) for row in zip(*columns, strict=True)]
            done += batch.num_rows
            if progress is not None:
                progress(done, total)
    except InputError:
        raise
    except Exception as exc:  # pyarrow's own errors on a damaged file
        raise _problem("source", f"`{path}` is not a readable Parquet file: {exc}",
                       "bad_parquet", str(path)) from None


def column_values(column: Any) -> list[Any]:
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
    if path.suffix.lower() in PARQUET_SUFFIXES or file_kind(path, opts["encoding"]) == "parquet":
        return "parquet", _read_parquet(path, opts, progress)
    return "csv", _read_csv(path, opts, progress)
