"""Tables in, tables out: what the batch API accepts and how it is read in chunks.

A source is a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader`` (a stream: a
dataset's batches, read once), a pandas or polars DataFrame (when those
are installed; neither is required), or a path to a Parquet or CSV file. Files are read in
batches of at most ``chunk_rows`` rows, so memory follows the chunk size, not the file. CSV
cells are read as text and validated like the row API's CSV reader (empty cells are absent).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.columnar.csvfiles import (
    checked_cells,
    closed_quotes,
    csv_fault,
    csv_header,
    csv_lines,
    file_error,
    only_header,
)
from finpolicy.errors import InputError

__all__ = ["DEFAULT_CHUNK_ROWS", "TIME_RANGE", "Source", "batches", "column_or_none",
           "csv_lines",
           "distinct", "distinct_rows", "empty_batch", "first_and_inverse", "read_table",
           "time_out_of_range", "without_key"]

DEFAULT_CHUNK_ROWS = 262_144
Source: TypeAlias = Any  # pa.Table | pa.RecordBatch | pandas/polars DataFrame | str | Path


def _problem(message: str, value: Any = None) -> InputError:
    return InputError.one("table", message, "bad_table", value)


def _file_batches(path: str, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    lower = path.lower()
    if not lower.endswith((".parquet", ".pq", ".csv")):
        raise _problem(f"`{path}`: expected a .parquet or .csv file", path)
    if not os.path.isfile(path):
        raise _problem(f"no such file `{path}`", path)
    if lower.endswith(".parquet") or lower.endswith(".pq"):
        import pyarrow.parquet as pq

        try:
            # without pre-buffering: buffered column chunks stay allocated until the file
            # is closed, so memory would grow with the file instead of the chunk
            parquet = pq.ParquetFile(path, pre_buffer=False)
            yield from parquet.iter_batches(batch_size=chunk_rows,
                                            columns=_data_columns(parquet.schema_arrow))
        except (pa.ArrowException, OSError) as exc:
            raise _problem(f"{path}: not a readable Parquet file ({exc})", path) from None
        return
    if lower.endswith(".csv"):
        from pyarrow import csv as pacsv

        names = csv_header(path)
        options = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                       strings_can_be_null=True, null_values=[""])
        block = max(1 << 16, min(1 << 26, chunk_rows * 64))
        try:
            reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=block),
                                    convert_options=options)
            last = None  # a batch is given once the next is read: the last is checked
            for batch in reader:
                if last is not None:
                    yield from _split(checked_cells(last, path), chunk_rows)
                last = batch
            if last is not None:
                closed_quotes(last, path)
                yield from _split(checked_cells(last, path), chunk_rows)
        except pa.ArrowException as exc:
            if only_header(path):  # a header without a line end: Arrow finds no block
                return
            fault = csv_fault(path, len(names))
            raise file_error(path, fault and fault[0], "not a readable CSV file ("
                              f"{fault[1] if fault else exc})") from None
        return
    raise _problem(f"`{path}`: expected a .parquet or .csv file", path)


def _data_columns(schema: pa.Schema) -> list[str]:
    """The columns of a Parquet file but the unnamed index pandas wrote with it
    (``__index_level_0__``), which a DataFrame in memory does not give either: it was read
    as a field (a column of the record, an unknown customer field, an event kind)."""
    import json

    try:
        index = json.loads((schema.metadata or {}).get(b"pandas", b"{}")).get(
            "index_columns", [])
    except (ValueError, AttributeError):
        index = []
    drop = {c for c in index if isinstance(c, str) and c.startswith("__index_level_")}
    return [n for n in schema.names if n not in drop]


def _split(batch: pa.RecordBatch, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    for start in range(0, batch.num_rows, chunk_rows):
        yield batch.slice(start, chunk_rows)


def _frame_table(source: Any) -> pa.Table | None:
    """A pandas or polars DataFrame as a table (``None`` for anything else: a Series or a
    polars LazyFrame raised an AttributeError)."""
    module = type(source).__module__.split(".")[0]
    if module not in ("pandas", "polars") or type(source).__name__ != "DataFrame":
        return None
    if module == "pandas":
        return pa.Table.from_pandas(source, preserve_index=False)
    table: pa.Table = source.to_arrow()
    return table


def batches(source: Source, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
            ) -> Iterator[pa.RecordBatch]:
    """The source's rows in record batches of at most ``chunk_rows`` rows.

    Raises:
        InputError: for a path that is no Parquet or CSV file, or another kind of source.
    """
    if not isinstance(chunk_rows, int) or isinstance(chunk_rows, bool) or chunk_rows < 1:
        raise InputError.one("chunk_rows", f"expected a whole number of rows, at least 1, got "
                                           f"`{chunk_rows!r}`", "bad_option", chunk_rows)
    where = f"{source}: " if isinstance(source, str | Path) else ""
    for batch in _batches(source, chunk_rows):
        _unique_names(batch.schema, where)
        yield _without_views(batch)


def _unviewed(kind: pa.DataType) -> pa.DataType:
    """``kind`` with text and binary views as large text and binary, and run-end encoded
    values decoded (views and runs have few kernels: ``take`` has none, and the domains read
    text as string or large_string)."""
    if pa.types.is_run_end_encoded(kind):
        return _unviewed(kind.value_type)
    if kind == pa.string_view():
        return pa.large_string()
    if kind == pa.binary_view():
        return pa.large_binary()
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        inner = _unviewed(kind.value_type)
        if inner != kind.value_type:
            return pa.large_list(inner)
    return kind


def _without_views(batch: pa.RecordBatch) -> pa.RecordBatch:
    kinds = [_unviewed(f.type) for f in batch.schema]
    if all(k == f.type for k, f in zip(kinds, batch.schema, strict=True)):
        return batch
    return pa.RecordBatch.from_arrays([_as(c, k) for c, k in zip(batch.columns, kinds,
                                                                strict=True)],
                                      names=batch.schema.names)


def _as(array: pa.Array, kind: pa.DataType) -> pa.Array:
    if pa.types.is_run_end_encoded(array.type):  # no cast from runs
        array = pc.run_end_decode(array)
    return array if array.type == kind else array.cast(kind)


def _unique_names(schema: pa.Schema, where: str) -> None:
    """Columns are found by name, and Arrow finds none of a name given twice: the field
    would be read as absent."""
    if len(set(schema.names)) < len(schema.names):
        twice = next(n for i, n in enumerate(schema.names) if n in schema.names[:i])
        raise InputError.one("table", f"{where}the column `{twice}` appears twice; each "
                                      "column is one field, named once", "bad_table", twice)


def _batches(source: Source, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    if isinstance(source, str | Path):
        yield from _file_batches(str(source), chunk_rows)
        return
    if isinstance(source, pa.RecordBatch):
        yield from _split(source, chunk_rows)
        return
    if isinstance(source, pa.RecordBatchReader):
        yield from _stream_batches(source, chunk_rows)
        return
    table = source if isinstance(source, pa.Table) else _frame_table(source)
    if table is None:
        hint = " (collect() it first)" if type(source).__name__ == "LazyFrame" else ""
        raise _problem(f"expected a pyarrow Table or RecordBatchReader, a pandas or polars "
                       f"DataFrame, or a path to a .parquet or .csv file, got "
                       f"{type(source).__name__}{hint}")
    yield from _table_batches(table, chunk_rows)


def _table_batches(table: pa.Table, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of ``chunk_rows`` rows whatever the table's own chunks: a table of many small
    chunks (appended row by row, concatenated from many files) would otherwise be decided
    chunk by chunk, each paying a chunk's fixed cost, and ordered by its chunks."""
    for start in range(0, table.num_rows, chunk_rows):
        part = table.slice(start, chunk_rows)
        if any(column.num_chunks > 1 for column in part.columns):
            # a text column over 2 GiB in one chunk cannot be combined: keep its chunks
            with contextlib.suppress(pa.ArrowInvalid):
                part = part.combine_chunks()
        yield from part.to_batches()


def _stream_batches(reader: pa.RecordBatchReader, chunk_rows: int
                    ) -> Iterator[pa.RecordBatch]:
    """A stream's batches (a dataset's, Spark's) gathered into chunks of ``chunk_rows`` rows:
    a stream of many small batches would otherwise be decided batch by batch."""
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        held.append(batch)
        rows += batch.num_rows
        while rows >= chunk_rows:
            table = pa.Table.from_batches(held, schema=reader.schema)
            yield from _table_batches(table.slice(0, chunk_rows), chunk_rows)
            rest = table.slice(chunk_rows)
            held, rows = rest.to_batches(), rest.num_rows
    if rows:
        yield from _table_batches(pa.Table.from_batches(held, schema=reader.schema),
                                  chunk_rows)


def empty_batch(source: Source) -> pa.RecordBatch:
    """No rows, with the source's columns (for a source without rows, whose decisions
    table still has the columns its inputs give it)."""
    schema = pa.schema([])
    if isinstance(source, pa.Table | pa.RecordBatch | pa.RecordBatchReader):
        schema = source.schema
    elif isinstance(source, str | Path):
        path = str(source)
        if path.lower().endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            whole = pq.ParquetFile(path).schema_arrow
            schema = pa.schema([whole.field(n) for n in _data_columns(whole)])
        elif path.lower().endswith(".csv"):
            schema = pa.schema([(name, pa.string()) for name in csv_header(path)])
    else:
        table = _frame_table(source)
        if table is not None:
            schema = table.schema
    # as for a source with rows: Spark checks its columns on an empty table, on the driver
    _unique_names(schema, f"{source}: " if isinstance(source, str | Path) else "")
    return pa.RecordBatch.from_pylist([], schema=schema)


def read_table(source: Source) -> pa.Table:
    """The whole source as one table (for small inputs such as a product list); an empty
    one keeps its columns."""
    if isinstance(source, pa.Table | pa.RecordBatch):
        _unique_names(source.schema, "")  # as batches() checks every other source
        table = source if isinstance(source, pa.Table) else pa.Table.from_batches([source])
    else:
        table = pa.Table.from_batches(list(batches(source)) or [empty_batch(source)])
    found = time_out_of_range(table)
    if found is not None:  # its rows become Python values: name the cell, not OverflowError
        where = str(source) if isinstance(source, str | Path) else "table"
        row = found[1] + 1
        if where.lower().endswith(".csv"):  # the file's line: blank lines and breaks count
            row = csv_lines(where, [row])[row]
        raise InputError.one(found[0], TIME_RANGE, "bad_datetime").located(where, row)
    return table


TIME_RANGE = "a date or time Python cannot hold (before year 1 or after 9999, in the column's " \
    "time zone)"


def time_out_of_range(batch: pa.RecordBatch | pa.Table) -> tuple[str, int] | None:
    """The column and row of the first date or time Python cannot hold (before year 1 or
    after 9999, in the column's own zone: ``9999-12-31T23:00Z`` read in Asia/Shanghai), in
    a column or inside its lists and structures, or ``None``. Reading one as a Python value
    raised OverflowError; the arrays would decide on a date the row API cannot take."""
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        row = _bad_time(column)
        if row is not None:
            return name, row
    return None


def _bad_time(array: pa.Array | pa.ChunkedArray) -> int | None:
    """The first row of ``array`` holding a time Python cannot (see ``time_out_of_range``)."""
    if isinstance(array, pa.ChunkedArray):  # chunk by chunk: list indices count per chunk
        start = 0
        for chunk in array.chunks:
            row = _bad_time(chunk)
            if row is not None:
                return start + row
            start += len(chunk)
        return None
    kind = array.type
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        extremes = pc.min_max(array)
        for end in ("min", "max"):
            value = extremes[end]
            try:
                value.as_py()
            except (OverflowError, ValueError):
                return int(pc.index(array, value).as_py())
        return None
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        inner = _bad_time(pc.list_flatten(array))
        return None if inner is None else int(pc.list_parent_indices(array)[inner].as_py())
    if pa.types.is_struct(kind):
        rows = [_bad_time(pc.struct_field(array, [i])) for i in range(kind.num_fields)]
        found = [r for r in rows if r is not None]
        return min(found) if found else None
    return None


def column_or_none(batch: pa.RecordBatch | pa.Table, *names: str) -> pa.Array | None:
    """The first of ``names`` the batch has, as one array."""
    for name in names:
        index = batch.schema.get_field_index(name)
        if index >= 0:
            column = batch.column(index)
            return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return None


def distinct(array: pa.Array) -> tuple[np.ndarray[Any, np.dtype[np.int32]], list[Any]]:
    """Codes into the distinct values of ``array`` (-1 for null) and those values, so a
    value is validated or converted once however often it occurs."""
    if pa.types.is_dictionary(array.type):
        encoded = array
    else:
        try:
            encoded = pc.dictionary_encode(array)
        except pa.ArrowNotImplementedError:  # lists and other nested values
            return _distinct_values(array.to_pylist())
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    return indices, encoded.dictionary.to_pylist()


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _distinct_values(values: list[Any]) -> tuple[np.ndarray[Any, np.dtype[np.int32]],
                                                 list[Any]]:
    codes = np.full(len(values), -1, np.int32)
    seen: dict[Any, int] = {}
    found: list[Any] = []
    for i, value in enumerate(values):
        if value is None:
            continue
        key = _hashable(value)
        code = seen.get(key)
        if code is None:
            code = seen[key] = len(found)
            found.append(value)
        codes[i] = code
    return codes, found


def distinct_rows(codes: list[np.ndarray[Any, np.dtype[np.int32]]], sizes: list[int]
                  ) -> tuple[np.ndarray[Any, np.dtype[np.intp]],
                             np.ndarray[Any, np.dtype[np.intp]]]:
    """The first row of each distinct combination of several columns' codes (each -1 for
    null or below ``sizes[i]``) and each row's combination: one integer key per row, which
    sorts far faster than rows of codes."""
    key = np.zeros(len(codes[0]) if codes else 0, np.int64)
    space = 1
    for column, size in zip(codes, sizes, strict=True):
        key = key * (size + 1) + (column.astype(np.int64) + 1)
        space *= size + 1
    return first_and_inverse(key, space)


def first_and_inverse(key: np.ndarray[Any, Any], space: int | None = None
                      ) -> tuple[np.ndarray[Any, np.dtype[np.intp]],
                                 np.ndarray[Any, np.dtype[np.intp]]]:
    """The first row of each distinct value of ``key`` (integers) and each row's number of
    its value: keys below a small ``space`` are counted, others hashed (Arrow's dictionary
    encoding), both many times faster than sorting them (``np.unique``)."""
    n = len(key)
    if space is None or not 0 < space <= max(4 * n, 1 << 16):
        encoded = pa.array(key).dictionary_encode()
        key = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp)
        space = len(encoded.dictionary)
    present = np.flatnonzero(np.bincount(key, minlength=space))
    number = np.zeros(space, np.intp)
    number[present] = np.arange(len(present))
    inverse = number[key]
    first = np.full(len(present), n, np.intp)
    np.minimum.at(first, inverse, np.arange(n, dtype=np.intp))
    return first, inverse


def map_distinct(array: pa.Array | None, n: int, convert: Callable[[Any], Any],
                 ) -> tuple[np.ndarray[Any, np.dtype[np.int32]], list[Any]]:
    """Codes (-1 for a null or absent column) and each distinct value converted."""
    if array is None:
        return np.full(n, -1, np.int32), []
    codes, values = distinct(array)
    return codes, [convert(v) for v in values]


def without_key(batch: pa.RecordBatch, key: str, taken: Sequence[str], *, keep: bool = False
                ) -> tuple[pa.Array, pa.RecordBatch]:
    """The ``key`` column (a request's or a sale's id of the caller's, copied into the
    decisions to join them back where row order is not kept) and the batch without it, or
    with it when it is also read as a field (``keep``); ``taken``: the decisions' columns,
    which the key may not be named as."""
    index = batch.schema.get_field_index(key)
    if index < 0:
        raise InputError.one("key", f"the table has no column `{key}` to keep as the key "
                                    f"(columns: {', '.join(batch.schema.names)})",
                             "bad_table", key)
    if key in taken:
        raise InputError.one("key", f"the key column `{key}` has the name of a decision "
                                    "column; rename it", "bad_table", key)
    if keep:
        return batch.column(index), batch
    rest = [i for i in range(batch.num_columns) if i != index]
    return batch.column(index), pa.RecordBatch.from_arrays(
        [batch.column(i) for i in rest], names=[batch.schema.names[i] for i in rest])
