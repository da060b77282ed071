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

from finpolicy.columnar.rejects import REJECTS_SCHEMA, checked_mode
from finpolicy.columnar.tables import read_table
from finpolicy.documents.bundle import Bundle
from finpolicy.documents.shipping import pack_bundle, shipped_bundle
from finpolicy.errors import InputError

__all__ = ["SparkSetAside", "collect", "evaluate", "pack_bundle"]

_TABLE_OPTIONS = frozenset({"products", "directory", "assignments", "usage"})


class SparkSetAside(tuple[Any, Any]):
    """What ``evaluate(..., bad_rows="set_aside")`` gives: ``decided, rejected``, two
    DataFrames reading one evaluation of the book, which Spark keeps (persisted) after the
    first action on either. ``unpersist()`` releases it once both are written (or use the
    pair in a ``with`` block); an action after that evaluates the book again.

    .. versionadded:: 0.3.0
    """

    _mapped: Any

    def __new__(cls, decided: Any, rejected: Any, mapped: Any = None) -> SparkSetAside:
        pair = super().__new__(cls, (decided, rejected))
        pair._mapped = mapped
        return pair

    @property
    def decided(self) -> Any:
        """The decisions of the rows decided."""
        return self[0]

    @property
    def rejected(self) -> Any:
        """One row per row set aside (``REJECTS_SCHEMA``)."""
        return self[1]

    @property
    def storage_level(self) -> Any:
        """The storage level the evaluation is kept at, ``None`` when it is not kept."""
        return None if self._mapped is None else self._mapped.storageLevel

    def unpersist(self, blocking: bool = False) -> None:
        """Release the evaluation kept for the two DataFrames (``blocking``: wait until its
        blocks are removed)."""
        if self._mapped is not None:
            self._mapped.unpersist(blocking)

    def __enter__(self) -> SparkSetAside:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unpersist()


def _storage_level(level: Any) -> Any:
    """``level`` as a ``pyspark.StorageLevel``: one already, or the name of one
    (``MEMORY_AND_DISK``, ``DISK_ONLY`` …), or ``None``."""
    from pyspark import StorageLevel

    if level is None or isinstance(level, StorageLevel):
        return level
    found = getattr(StorageLevel, level, None) if isinstance(level, str) else None
    if not isinstance(found, StorageLevel):
        names = sorted(n for n, v in vars(StorageLevel).items() if isinstance(v, StorageLevel))
        raise InputError.one("storage_level", f"expected a pyspark.StorageLevel, one of its "
                             f"names ({', '.join(names)}) or None, got {level!r}",
                             "bad_option", level)
    return found


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
             chunk_rows: int = 65_536, bad_rows: str = "raise",
             storage_level: Any = "MEMORY_AND_DISK_DESER", **options: Any) -> Any:
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
        bad_rows: ``"raise"`` (a row refused fails the job, its error naming the partition
            and row) or ``"set_aside"``: a ``SparkSetAside`` pair of DataFrames, the
            decisions and the rows refused (``REJECTS_SCHEMA``, ``file`` is ``partition
            N``), reading one evaluation persisted at ``storage_level`` until released.
        storage_level: a ``pyspark.StorageLevel`` or its name (default
            ``MEMORY_AND_DISK_DESER``, as ``DataFrame.cache``), or ``None`` to keep nothing:
            each action on either DataFrame then evaluates the book again.
        options: the domain's own (suitability: ``products``, and ``key``, a sale or
            customer id column to join the decisions back; access: ``directory``, and
            ``key``, a request id column to join the decisions back;
            classification: ``key``, a column copied into the decisions to join them back, as
            Spark keeps no row order).
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    aside, level = checked_mode(bad_rows) == "set_aside", _storage_level(storage_level)
    options = _shipped_options(df, as_of, options)
    digest, files = pack_bundle(bundle)
    shipped = tuple(sorted(files.items()))
    local = _engine(digest, shipped, engine)
    names = list(df.columns)
    # Spark resolves `customer.id` as a field of a struct: columns travel by position
    df = _by_id(df.toDF(*(f"_{i}" for i in range(len(names)))), names, domain, options)
    empty = pa.Table.from_batches([], schema=_arrow_schema(df)).rename_columns(names)
    # the options (chunk_rows too) are checked here, on the driver, before any task runs
    sample = _plain(local.evaluate_table(domain, empty, as_of=as_of, policy=policy,
                                         chunk_rows=chunk_rows, **options))
    schema = from_arrow_schema(_with_rejects(sample.schema) if aside else sample.schema)
    # a review gives the assignments' findings with its first chunk, as every partition's
    # batch is: they come once, from the driver's sample, executors keep the grants' findings
    review = domain == "access" and options.get("what") == "review"

    def partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        context = TaskContext.get()
        where = "partition" if context is None else f"partition {context.partitionId()}"
        for batch in _decided(_engine(digest, shipped, engine), batches, names, where,
                              domain, as_of=as_of, policy=policy, chunk_rows=chunk_rows,
                              bad_rows=bad_rows, **options):
            yield batch.filter(_kept(batch)) if review else batch

    return _finished(df.mapInArrow(partition, schema), sample if review else None, aside,
                     level)


def _by_id(df: Any, names: list[str], domain: str, options: dict[str, Any]) -> Any:
    """``df`` with the rows of one id in one partition, where a row is to be the only one
    of its id (a customer against every product, a complaint): a partition refuses (or sets
    aside) an id given again, so the whole book does (its partitions as many as before)."""
    wanted = {"suitability": ("id", "customer.id") if options.get("products") is not None
              else (), "complaints": ("id",)}.get(domain, ())
    column = next((n for n in wanted if n in names), None)
    if column is None:
        return df
    from pyspark.sql import functions as sf

    # ids are read trimmed: ` c1` is c1's row
    key = sf.trim(sf.col(f"_{names.index(column)}").cast("string"))
    return df.repartition(max(1, df.rdd.getNumPartitions()), key)


_REJECTED = "_rejected"  # the rejects' column, a struct, while decisions and rejects travel


def _kept(batch: pa.RecordBatch) -> Any:
    """The rows of a review's batch that are no finding about the role assignments (those
    come once, from the driver): the grants' findings, and the grants set aside."""
    kept = pc.is_valid(batch.column("grant_id"))
    if _REJECTED in batch.schema.names:
        kept = pc.or_(kept, pc.is_valid(batch.column(_REJECTED)))
    return kept


def _with_rejects(schema: pa.Schema) -> pa.Schema:
    """The decisions' schema, every column nullable, and the rejects' struct column."""
    return pa.schema([*(f.with_nullable(True) for f in schema),
                      pa.field(_REJECTED, pa.struct(list(REJECTS_SCHEMA)))])


def _joined(decided: pa.Table, rejects: pa.Table) -> pa.Table:
    """A partition's decisions and rejects in one table of the schema of ``_with_rejects``:
    a decision's rejects column is null, a reject's decision columns are."""
    schema = _with_rejects(decided.schema)
    kind = schema.field(_REJECTED).type
    struct = pa.StructArray.from_arrays([c.combine_chunks() for c in rejects.columns],
                                        fields=list(REJECTS_SCHEMA))
    return pa.concat_tables([
        pa.Table.from_arrays([*decided.columns, pa.nulls(decided.num_rows, kind)],
                             schema=schema),
        pa.Table.from_arrays([*(pa.nulls(rejects.num_rows, f.type) for f in decided.schema),
                              struct], schema=schema)])


def _finished(both: Any, sample: pa.Table | None, aside: bool, level: Any) -> Any:
    """The decisions (``sample``: a review's findings about the role assignments, given
    once from the driver) and, set aside, the rejects of one mapped DataFrame, persisted at
    ``level`` (unless ``None``) so that the two read one evaluation."""
    from pyspark.sql import functions as sf
    from pyspark.sql.pandas.types import from_arrow_schema

    if aside and level is not None:
        both = both.persist(level)
    decided = both.where(sf.col(_REJECTED).isNull()).drop(_REJECTED) if aside else both
    if sample is not None:
        decided = decided.unionByName(both.sparkSession.createDataFrame(
            sample.to_pylist(), from_arrow_schema(sample.schema)))
    if not aside:
        return decided
    return SparkSetAside(decided, both.where(sf.col(_REJECTED).isNotNull())
                         .select(f"{_REJECTED}.*"), both if level is not None else None)


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
             domain: str, *, chunk_rows: int = 65_536, bad_rows: str = "raise",
             **options: Any) -> Iterator[pa.RecordBatch]:
    """The decisions of one partition's batches, read as one stream in chunks of
    ``chunk_rows`` rows (Spark's Arrow batches, ``maxRecordsPerBatch``, 10,000 rows by
    default, gathered), so the partition is one table: a row's error is located at its row
    of the partition (``partition 3 line 12``), and what a table checks across its chunks
    (a grant given twice in a review) holds across the partition. Set aside, the rows
    refused come with the decisions, in the rejects' column (``_joined``), at the
    partition."""
    first = next(batches, None)
    if first is None:
        return
    schema = pa.schema([pa.field(n, f.type) for n, f in zip(names, first.schema,
                                                              strict=True)])
    stream = pa.RecordBatchReader.from_batches(schema, (
        pa.RecordBatch.from_arrays(b.columns, schema=schema)
        for b in itertools.chain([first], batches)))
    try:
        for part in runner.iter_tables(domain, stream, chunk_rows=chunk_rows,
                                       bad_rows=bad_rows, **options):
            if bad_rows != "set_aside":
                yield from _plain(part).to_batches()
                continue
            rejected = part.rejected.set_column(
                0, "file", pa.array([where] * part.rejected.num_rows, pa.string()))
            yield from _joined(_plain(part.decided), rejected).to_batches()
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
