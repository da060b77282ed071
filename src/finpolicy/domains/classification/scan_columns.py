"""The column-wise reading of ``scan``: CSV and Parquet files through pyarrow.

``scan`` classifies each column on a sample of its non-empty values, so what costs time on a
large file is reading it and deciding, value by value, what is non-empty. Here pyarrow parses
the file in blocks (its streaming CSV reader, or Parquet record batches) and, per column, one
RE2 kernel marks the empty and blank cells; the sampler then takes only the values it keeps
from the column, so Python touches a few thousand values per column, not every cell.

The result is the row reader's exactly: the same cells (pyarrow and Python's ``csv`` agree on
quoting, and the header row pyarrow reads must equal the one Python reads), the same blank
test (``str.isspace``'s own character set), the same chunk boundaries where they matter
(``sample_mode="first"`` stops after a chunk of ``chunk_rows`` rows). Whatever the columns
cannot read the same way — another encoding, a byte-order mark under plain ``utf-8``, ragged
rows, a cell over the size limit, a parse error — raises ``_RowPath``, and ``scan`` reads the
file with the row reader instead, whose answer (or error) is the reference.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from finpolicy.limits import MAX_CSV_CELL

_UTF8 = {"utf-8", "utf-8-sig"}


class _RowPath(Exception):
    """The file cannot be read column-wise with the row reader's exact result."""


def available() -> bool:
    """Whether pyarrow can be imported (the ``parquet`` or ``columnar`` extra)."""
    try:
        import pyarrow.compute
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


class Values:
    """One chunk's non-empty values of a column, read by the sampler without copying them all
    into Python: ``len``, an index, or a slice (a list)."""

    __slots__ = ("_array", "_text")

    def __init__(self, array: Any, text: Any = None) -> None:
        self._array, self._text = array, text

    def __len__(self) -> int:
        return len(self._array)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self._array))
            items = self._array.slice(start, max(stop - start, 0)).to_pylist()
            return items if self._text is None else [self._text(v) for v in items]
        value = self._array[index].as_py()
        return value if self._text is None else self._text(value)

    def pick(self, indices: list[int]) -> list[Any]:
        """The values at ``indices``, in that order."""
        if not indices:
            return []
        items = self._array.take(indices).to_pylist()
        return items if self._text is None else [self._text(v) for v in items]


def non_empty(column: Any) -> Values:
    """The non-empty, non-blank cells of a string column (nulls count as empty). Arrow's
    ``utf8_is_space`` holds for exactly the characters ``str.isspace`` holds for (the test
    suite checks every code point)."""
    import pyarrow.compute as pc

    blank = pc.fill_null(pc.or_(pc.equal(pc.binary_length(column), 0),
                                pc.utf8_is_space(column)), True)
    if not pc.any(blank).as_py():
        return Values(column)
    return Values(pc.filter(column, pc.invert(blank)))


def _utf8(encoding: str) -> str | None:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return name if name in _UTF8 else None


_HEADER_LINE = 65 * (MAX_CSV_CELL + 3)  # scan_readers' longest line for 64 columns


def _header(path: Path, encoding: str, opts: dict[str, Any], sniff: Any) -> tuple[list[str], str]:
    """The header row as Python's ``csv`` reads it (what the row reader takes) and the
    delimiter, sniffed from the same first 65,536 characters the row reader looks at."""
    with path.open("r", encoding=encoding, newline="") as text:
        head = text.read(65536)
        text.seek(0)
        if len(text.readline(_HEADER_LINE + 1)) > _HEADER_LINE:
            raise _RowPath  # read whole, a file with no line break: the row reader refuses it
        text.seek(0)
        delimiter = opts["delimiter"] or sniff(head, path.suffix.lower())
        return next(csv.reader(text, delimiter=delimiter), []), delimiter


def refuse_open_quote(path: Path, encoding: str, delimiter: str, last: list[Any]) -> None:
    """Refuse ``path`` when ``last``, the cells of its last row, hold a line break because a
    quote opened in that row is never closed: read leniently, every line after the quote was
    one cell of that row (an ID number there scanned as a note, or not at all).

    Raises:
        InputError: at the line the quote opens on (``readers.open_quote_error``).
    """
    if not any(isinstance(c, str) and ("\n" in c or "\r" in c) for c in last):
        return
    start = 0
    try:
        with path.open(encoding=encoding, newline="") as handle:
            csv.field_size_limit(MAX_CSV_CELL)
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            for _ in reader:
                start = reader.line_num
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            from finpolicy.readers import open_quote_error

            raise open_quote_error(str(path), (start + 1, reader.line_num)) from None
    except (OSError, UnicodeError, LookupError):  # the reader already read it: not ours
        pass


def csv_chunks(path: Path, opts: dict[str, Any], sniff: Any,
               progress: Any) -> Iterator[list[Any]]:
    """The header, then lists of string columns; raises ``_RowPath`` to hand the file back."""
    import pyarrow as pa

    encoding = _utf8(opts["encoding"])
    if encoding is None:
        raise _RowPath
    with path.open("rb") as probe:
        if encoding == "utf-8" and probe.read(3) == codecs.BOM_UTF8:
            raise _RowPath  # the row reader keeps the mark in the first name; pyarrow drops it
    size = path.stat().st_size
    try:
        header, delimiter = _header(path, encoding, opts, sniff)
    except (UnicodeError, csv.Error):
        raise _RowPath from None
    if not any(h.strip() for h in header):
        raise _RowPath
    yield header
    # pyarrow's own file: its blocks are read into Arrow memory, not Python bytes
    with pa.OSFile(str(path)) as raw:
        try:
            first, last = yield from _csv_batches(raw, header, delimiter, size, progress)
        except (pa.ArrowInvalid, UnicodeError, OSError):
            raise _RowPath from None
    refuse_open_quote(path, encoding, delimiter, last)
    if first:
        raise _RowPath  # no rows parsed at all: let the row reader say what the file is
    if progress is not None:
        progress(size, size)


def _csv_batches(raw: Any, header: list[str], delimiter: str, size: int,
                 progress: Any) -> Generator[list[Any], None, tuple[bool, list[Any]]]:
    """pyarrow's batches of the file as string columns, the header row dropped; whether no
    row at all was read, and the cells of the last row (none without rows)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(len(header))]
    reader = pcsv.open_csv(raw, read_options=pcsv.ReadOptions(
        column_names=names, block_size=1 << 22), parse_options=pcsv.ParseOptions(
        delimiter=delimiter, newlines_in_values=True), convert_options=pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
        quoted_strings_can_be_null=False))
    first, last = True, []
    for batch in reader:
        columns = list(batch.columns)
        if first:
            if [c[0].as_py() for c in columns] != header:
                raise _RowPath
            columns, first = [c.slice(1) for c in columns], False
        _check_cells(columns)
        if columns and len(columns[0]):
            last = [c[len(c) - 1].as_py() for c in columns]
        yield columns
        if progress is not None:
            progress(raw.tell(), size)
    return first, last


def _check_cells(columns: list[Any]) -> None:
    """A cell longer than the CSV limit is the row reader's error to give."""
    import pyarrow.compute as pc

    for column in columns:
        if len(column) and pc.max(pc.binary_length(column)).as_py() > MAX_CSV_CELL:
            longest = pc.max(pc.utf8_length(column)).as_py()
            if longest > MAX_CSV_CELL:
                raise _RowPath


def parquet_values(column: Any, to_text: Any, column_values: Any) -> Values | list[str]:
    """A Parquet column's non-empty values: string columns column-wise, any other type as the
    row reader converts it (``column_values`` then ``to_text``)."""
    import pyarrow as pa

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return non_empty(column)
    return [t for t in map(to_text, column_values(column)) if t is not None]


def sliced(chunks: Iterator[list[Any]], rows: int) -> Iterator[list[Any]]:
    """Column chunks re-cut into chunks of ``rows`` rows (the row reader's boundaries)."""
    pending: list[list[Any]] = []
    held = 0
    for columns in chunks:
        pending.append(columns)
        held += len(columns[0]) if columns else 0
        while held >= rows:
            held -= rows
            yield _take(pending, rows)
    if held:
        yield _take(pending, held)


def _take(pending: list[list[Any]], rows: int) -> list[Any]:
    """The first ``rows`` rows of ``pending`` as one list of columns; the rest stays."""
    import pyarrow as pa

    parts: list[list[Any]] = []
    need = rows
    while need:
        head = pending[0]
        n = len(head[0])
        if n <= need:
            parts.append(head)
            pending.pop(0)
            need -= n
        else:
            parts.append([c.slice(0, need) for c in head])
            pending[0] = [c.slice(need) for c in head]
            need = 0
    return [pa.chunked_array([p[i] for p in parts]).combine_chunks()
            for i in range(len(parts[0]))]
