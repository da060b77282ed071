"""A review's records from tables an IAM system exports (``finpolicy review grants.csv
--assignments roles.csv --usage usage.csv``): CSV or Parquet files, one record a row, the
columns named by the fields of ``AccessGrant``, ``RoleAssignment`` and ``UsageRecord`` (a
list, ``approver_roles``, in a text cell separated by ``;``; an empty cell is no value).

Every error names its file and line (a CSV file's line as ``finpolicy.columnar.tables.
csv_lines`` counts it, the header, blank lines and line breaks in quoted cells included; a
Parquet file's row), and a grant id given twice names both lines so.
"""

from __future__ import annotations

from typing import Any

from finpolicy.domains.access.model import AccessGrant, RoleAssignment, UsageRecord
from finpolicy.domains.access.review import RepeatedGrant, grant_key
from finpolicy.errors import InputError

__all__ = ["TABLE_SUFFIXES", "is_table", "read_review_tables", "table_rows"]

TABLE_SUFFIXES = (".csv", ".parquet")


def is_table(path: str) -> bool:
    """Whether ``path`` names a table file (CSV or Parquet) rather than a review document."""
    return path.lower().endswith(TABLE_SUFFIXES)


def _line(path: str, row: int) -> int:
    """The line of ``path`` that holds data row ``row`` (counting from 1)."""
    from finpolicy.columnar.tables import csv_lines

    return csv_lines(path, [row])[row] if path.lower().endswith(".csv") else row


def table_rows(path: str, model: Any) -> list[Any]:
    """Each row of the table ``path`` as ``model``; a row's error is located at its line."""
    from finpolicy.domains.access.columnar_review import records

    out = []
    for i, cells in enumerate(records(path)):
        try:
            out.append(model.parse(cells))
        except InputError as exc:
            raise exc.located(path, _line(path, i + 1)) from None
    return out


def _grants(path: str) -> list[AccessGrant]:
    """The grants of ``path``; a grant id given twice is refused at its second line, naming
    the first (its findings would be reported twice and its usage counted for both)."""
    grants: list[AccessGrant] = table_rows(path, AccessGrant)
    seen: dict[str, int] = {}
    for row, grant in enumerate(grants, start=1):
        first = seen.setdefault(grant_key(grant.id), row)
        if first != row:
            raise InputError([RepeatedGrant("id", "", "duplicate_value", grant.id, path,
                                            _line(path, row), first=first)])
    return grants


def read_review_tables(grants: str, assignments: str, usage: str | None) -> dict[str, Any]:
    """Grants, role assignments and (when ``usage`` names a file) usage records from table
    files, as ``read_review_file`` gives a review document's.

    Raises:
        InputError: a file that is no table, a column no field of its record is, or a row that
            is no valid record, at its file and line.
    """
    return {"grants": _grants(grants), "assignments": table_rows(assignments, RoleAssignment),
            "usage": None if usage is None else table_rows(usage, UsageRecord)}
