"""``PolicyEngine.evaluate_table`` and ``iter_tables``: the batch API on the engine.

Imported by the façade, so nothing here imports pyarrow until a method is called (the
``columnar`` extra stays optional). Tables of decisions are not written to a decision log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, overload

from finpolicy.runtime import EngineAPI, Runtime

if TYPE_CHECKING:
    import pyarrow as pa

    from finpolicy.columnar.api import Progress
    from finpolicy.columnar.rejects import SetAside

__all__ = ["TablesAPI"]


def evaluate_table(runtime: Runtime, domain: str, source: Any, /, **options: Any) -> Any:
    from finpolicy.columnar import api

    return api.evaluate_table(runtime, domain, source, **options)


def iter_tables(runtime: Runtime, domain: str, source: Any, /,
                **options: Any) -> Iterator[Any]:
    from finpolicy.columnar import api

    return api.iter_tables(runtime, domain, source, **options)


class TablesAPI(EngineAPI):
    """Whole tables of inputs at once (needs the ``columnar`` extra)."""

    __slots__ = ()

    @overload
    def evaluate_table(self, domain: str, source: Any, /, *, as_of: Any = ...,
                       policy: str | None = ..., chunk_rows: int | None = ...,
                       progress: Progress | None = ..., bad_rows: Literal["raise"] = ...,
                       **options: Any) -> pa.Table: ...

    @overload
    def evaluate_table(self, domain: str, source: Any, /, *, as_of: Any = ...,
                       policy: str | None = ..., chunk_rows: int | None = ...,
                       progress: Progress | None = ..., bad_rows: Literal["set_aside"],
                       **options: Any) -> SetAside: ...

    @overload
    def evaluate_table(self, domain: str, source: Any, /, *, as_of: Any = ...,
                       policy: str | None = ..., chunk_rows: int | None = ...,
                       progress: Progress | None = ..., bad_rows: str,
                       **options: Any) -> pa.Table | SetAside: ...

    def evaluate_table(self, domain: str, source: Any, /, *, as_of: Any = None,
                       policy: str | None = None, chunk_rows: int | None = None,
                       progress: Progress | None = None, bad_rows: str = "raise",
                       **options: Any) -> Any:
        """The decisions of every row of ``source`` as one Arrow table: exactly the row
        API's decisions, evaluated column-wise.

        ``source`` is a pyarrow Table or RecordBatchReader (a dataset's batches, read
        once), a pandas or polars DataFrame, or a ``.parquet`` / ``.csv`` path; ``options``
        are the domain's (suitability: ``products``; complaints: ``events``, their events
        in long form; classification: ``key``). See ``finpolicy.columnar.api.iter_tables``.

        ``bad_rows="raise"`` (the default): the first row refused raises its
        ``InputError``, located at the row. ``bad_rows="set_aside"``: a ``SetAside`` pair,
        ``decided`` (the decisions of the other rows, exactly as without the rows refused)
        and ``rejected`` (one row per row refused: ``file``, ``row``, ``key``, ``field``,
        ``code``, ``reason``); every row is in one of them.

        .. versionadded:: 0.3.0
        """
        return self._invoke(evaluate_table, domain, source,
                            **_options(as_of, policy, chunk_rows, progress,
                                       {"bad_rows": bad_rows, **options}))

    @overload
    def iter_tables(self, domain: str, source: Any, /, *, as_of: Any = ...,
                    policy: str | None = ..., chunk_rows: int | None = ...,
                    progress: Progress | None = ..., bad_rows: Literal["raise"] = ...,
                    **options: Any) -> Iterator[pa.Table]: ...

    @overload
    def iter_tables(self, domain: str, source: Any, /, *, as_of: Any = ...,
                    policy: str | None = ..., chunk_rows: int | None = ...,
                    progress: Progress | None = ..., bad_rows: Literal["set_aside"],
                    **options: Any) -> Iterator[SetAside]: ...

    @overload
    def iter_tables(self, domain: str, source: Any, /, *, as_of: Any = ...,
                    policy: str | None = ..., chunk_rows: int | None = ...,
                    progress: Progress | None = ..., bad_rows: str,
                    **options: Any) -> Iterator[pa.Table] | Iterator[SetAside]: ...

    def iter_tables(self, domain: str, source: Any, /, *, as_of: Any = None,
                    policy: str | None = None, chunk_rows: int | None = None,
                    progress: Progress | None = None, bad_rows: str = "raise",
                    **options: Any) -> Iterator[Any]:
        """Like ``evaluate_table``, one decisions table per chunk (memory follows
        ``chunk_rows``); with ``bad_rows="set_aside"``, one ``SetAside`` pair per chunk.

        .. versionadded:: 0.3.0
        """
        return self._invoke(iter_tables, domain, source,
                            **_options(as_of, policy, chunk_rows, progress,
                                       {"bad_rows": bad_rows, **options}))


def _options(as_of: Any, policy: str | None, chunk_rows: int | None, progress: Any,
             options: dict[str, Any]) -> dict[str, Any]:
    out = {"as_of": as_of, "policy": policy, "progress": progress, **options}
    if chunk_rows is not None:
        out["chunk_rows"] = chunk_rows
    return out
