"""Spark: a DataFrame of inputs evaluated with the columnar backend, partition by partition.

``finpolicy.spark.evaluate(df, "suitability", bundle="policies/cn-banking", as_of=...,
products=[...])`` returns a DataFrame of decisions (the columns of the batch API, texts as
plain strings). The bundle travels to the executors by content (its files, a few kilobytes)
and each executor loads it refusing any digest but the driver's, so every partition decides
under exactly the driver's policies. Needs the ``spark`` extra (pyspark 3.5 or 4.x) and a Java
runtime.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.columnar.tables import read_table
from finpolicy.documents.bundle import Bundle
from finpolicy.documents.shipping import pack_bundle, shipped_bundle
from finpolicy.errors import InputError

__all__ = ["collect", "evaluate", "pack_bundle"]

_TABLE_OPTIONS = frozenset({"products", "directory", "assignments", "usage"})


@functools.lru_cache(maxsize=8)
def _engine(digest: str, files: tuple[tuple[str, bytes], ...], engine: str) -> Any:
    """The engine of a shipped bundle, built once per executor process and digest."""
    import finpolicy as fp

    return fp.PolicyEngine(shipped_bundle(digest, files), engine=engine)


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded texts decoded: Spark reads plain strings."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type)
        elif pa.types.is_list(kind) and pa.types.is_dictionary(kind.value_type):
            column = column.cast(pa.list_(kind.value_type.value_type))
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def evaluate(df: Any, domain: str, /, *, bundle: Bundle | str | Path | None = None,
             as_of: Any = None, policy: str | None = None, engine: str = "compiled",
             chunk_rows: int = 65_536, **options: Any) -> Any:
    """The decisions of every row of the Spark DataFrame ``df`` (columns as the batch API
    reads them, see ``PolicyEngine.evaluate_table``), as a Spark DataFrame.

    Args:
        df: a ``pyspark.sql.DataFrame``.
        domain: a domain with a columnar module (``suitability``, ``complaints``,
            ``access``, ``classification``).
        bundle: a loaded ``Bundle`` or its folder; the shipped default pack when ``None``.
        as_of: the evaluation date or time, required (executors must not read their clocks).
        policy: a policy id, when the bundle has several of the domain's kind.
        engine: the row engine for the rows the arrays leave to it.
        chunk_rows: rows per Arrow batch inside a partition.
        options: the domain's own (suitability: ``products``, and ``key``, a sale or
            customer id column to join the decisions back; access: ``directory``, and
            ``key``, a request id column to join the decisions back;
            classification: ``key``, a column copied into the decisions to join them back, as
            Spark keeps no row order).
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    options = _shipped_options(df, as_of, options)
    digest, files = pack_bundle(bundle)
    shipped = tuple(sorted(files.items()))
    local = _engine(digest, shipped, engine)
    names = list(df.columns)
    # Spark resolves `customer.id` as a field of a struct: columns travel by position
    df = df.toDF(*(f"_{i}" for i in range(len(names))))
    empty = pa.Table.from_batches([], schema=_arrow_schema(df)).rename_columns(names)
    # the options (chunk_rows too) are checked here, on the driver, before any task runs
    sample = _plain(local.evaluate_table(domain, empty, as_of=as_of, policy=policy,
                                         chunk_rows=chunk_rows, **options))
    schema = from_arrow_schema(sample.schema)
    # a review gives the role assignments' findings with its first chunk, and every Arrow
    # batch of every partition is a first chunk: they come once, from the driver's review
    # of no grants (the sample), and executors keep only the grants' findings
    review = domain == "access" and options.get("what") == "review"

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        context = TaskContext.get()
        where = "partition" if context is None else f"partition {context.partitionId()}"
        for batch in _decided(_engine(digest, shipped, engine), batches, names, where,
                              domain, as_of=as_of, policy=policy, chunk_rows=chunk_rows,
                              **options):
            yield batch.filter(pc.is_valid(batch.column("grant_id"))) if review else batch

    decided = df.mapInArrow(partition, schema)
    if not review:
        return decided
    return decided.unionByName(df.sparkSession.createDataFrame(sample.to_pylist(), schema))


def _shipped_options(df: Any, as_of: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The options as executors get them, after refusing what Spark cannot take."""
    if "events" in options:  # a partition sees its own complaints, not the whole events table
        raise InputError.one("events", "on Spark, complaints carry their events as event-kind "
                             "columns: pivot a long events table by kind and join it to the "
                             "complaints first (one column per kind holding its time; several "
                             "times as ISO text separated by `;`)", "bad_option")
    if as_of is None:  # each executor would read its own clock, each partition its own day
        raise InputError.one("as_of", "on Spark, give the evaluation time: executors must not "
                                      "read their own clocks (a job running past midnight "
                                      "would decide its partitions on different days)",
                             "bad_option")
    if not hasattr(df, "mapInArrow"):  # a pandas frame has columns but no Spark in it
        raise InputError.one("df", f"expected a pyspark.sql.DataFrame, got "
                                   f"{type(df).__name__} (a table in memory: "
                                   "PolicyEngine.evaluate_table)", "bad_table")
    # a file named by an option is read here (executors may run where it is not), and a
    # Spark frame (a product list, the role assignments) is collected: executors get tables
    return {k: read_table(v) if k in _TABLE_OPTIONS and isinstance(v, str | Path) else
            collect(v) if k in _TABLE_OPTIONS and hasattr(v, "mapInArrow") else v
            for k, v in options.items()}


def _decided(runner: Any, batches: Iterator[pa.RecordBatch], names: list[str], where: str,
             domain: str, *, chunk_rows: int = 65_536, **options: Any
             ) -> Iterator[pa.RecordBatch]:
    """The decisions of one partition's batches, read as one stream in chunks of
    ``chunk_rows`` rows (Spark's Arrow batches, ``maxRecordsPerBatch``, 10,000 rows by
    default, gathered), so the partition is one table: a row's error is located at its row
    of the partition (``partition 3 line 12``), and what a table checks across its chunks
    (a grant given twice in a review) holds across the partition."""
    first = next(batches, None)
    if first is None:
        return
    schema = pa.schema([pa.field(n, f.type) for n, f in zip(names, first.schema,
                                                              strict=True)])
    stream = pa.RecordBatchReader.from_batches(schema, (
        pa.RecordBatch.from_arrays(b.columns, schema=schema)
        for b in itertools.chain([first], batches)))
    try:
        for table in runner.iter_tables(domain, stream, chunk_rows=chunk_rows, **options):
            yield from _plain(table).to_batches()
    except InputError as exc:
        raise InputError([p if p.file != "table" else attrs.evolve(p, file=where)
                          for p in exc.problems], model=exc.model) from None


def collect(df: Any) -> pa.Table:
    """The rows of the Spark DataFrame ``df`` as one Arrow table, on the driver
    (``DataFrame.toArrow`` from Spark 4.0, Arrow batches collected on Spark 3.5)."""
    if hasattr(df, "toArrow"):
        table: pa.Table = df.toArrow()
        return table
    batches = df._collect_as_arrow()  # Spark 3.5: what toPandas uses, without pandas
    if not batches:
        return _arrow_schema(df).empty_table()
    return pa.Table.from_batches(batches)


def _arrow_schema(df: Any) -> pa.Schema:
    """The Arrow schema of ``df``'s batches (timestamps are instants: their zone label does
    not change a decision)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    try:
        schema: pa.Schema = to_arrow_schema(df.schema, timezone="UTC")
    except TypeError:  # pyspark 3.5 takes no zone
        schema = to_arrow_schema(df.schema)
    return schema
