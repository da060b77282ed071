"""What a row set aside says (``bad_rows="set_aside"``, ``--bad-rows FILE``): one record per
row, with the error that refused it. Plain Python, so the row readers (CSV and JSON lines
without pyarrow) give the same records as the tables (``rejects.REJECTS_SCHEMA``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finpolicy.errors import InputProblem

__all__ = ["KEY_COLUMNS", "REJECT_COLUMNS", "key_column", "reject_record"]

REJECT_COLUMNS = ("file", "row", "key", "field", "code", "reason")
"""A rejected row's fields: the source file (``table`` in memory, ``partition N`` on Spark),
its row (a CSV or JSON-lines file's own line, else the row counting from 1), its key or id
as text, the fields at fault (``, ``-separated), the first problem's code and the error's
message, problem by problem (``; ``)."""


KEY_COLUMNS = ("id", "customer.id", "customer_id", "complaint_id", "request_id", "grant_id",
               "subject.id", "subject_id")
"""The columns a rejected row's ``key`` is read from, the first the table has (after the
call's ``key`` option)."""


def key_column(names: Sequence[str], key: Any = None) -> str | None:
    """The column of ``names`` a rejected row's key is read from (``key``: the call's)."""
    if isinstance(key, str) and key in names:
        return key
    return next((n for n in KEY_COLUMNS if n in names), None)


def reject_record(file: str, row: int, key: Any, problems: Sequence[InputProblem]
                  ) -> dict[str, Any]:
    """The record of the row ``row`` of ``file`` refused for ``problems`` (a problem found in
    another file, a complaint's event, keeps its file and line in the reason)."""
    return {
        "file": file, "row": row, "key": None if key is None else str(key),
        "field": ", ".join(dict.fromkeys(p.path for p in problems if p.path)),
        "code": problems[0].code if problems else "invalid_input",
        "reason": "; ".join((f"{p.path}: {p.message}" if p.path else p.message)
                            if p.file in (None, "table", file) else str(p)
                            for p in problems)}
