"""A review's records from tables an IAM system exports (``finpolicy review grants.csv
--assignments roles.csv --usage usage.csv``): CSV or Parquet files, one record a row, the
columns named by the fields of ``AccessGrant``, ``RoleAssignment`` and ``UsageRecord`` (a
list, ``approver_roles``, in a text cell separated by ``;``; an empty cell is no value).

Every error names its file and line (a CSV file's line as ``finpolicy.columnar.tables.
csv_lines`` counts it, the header, blank lines and line breaks in quoted cells included; a
Parquet file's row), and a grant id given twice names both lines so, as a role assignment
given twice, every field alike, does.
"""

from __future__ import annotations

from typing import Any

from finpolicy.columnar.rejected import key_column, reject_record
from finpolicy.domains.access.model import AccessGrant, RoleAssignment, UsageRecord
from finpolicy.domains.access.review import (
    RepeatedGrant,
    assignment_key,
    assignment_twice,
    grant_key,
)
from finpolicy.errors import InputError

__all__ = ["TABLE_SUFFIXES", "assignment_rows", "is_table", "read_review_tables", "table_rows"]

TABLE_SUFFIXES = (".csv", ".parquet")


def is_table(path: str) -> bool:
    """Whether ``path`` names a table file (CSV or Parquet) rather than a review document."""
    return path.lower().endswith(TABLE_SUFFIXES)


def _line(path: str, row: int) -> int:
    """The line of ``path`` that holds data row ``row`` (counting from 1)."""
    from finpolicy.columnar.tables import csv_lines

    return csv_lines(path, [row])[row] if path.lower().endswith(".csv") else row


def table_rows(path: str, model: Any, rejects: list[dict[str, Any]] | None = None
               ) -> list[Any]:
    """Each row of the table ``path`` as ``model``; a row's error is located at its line, or,
    with ``rejects``, the row is set aside there (``columnar.rejected.reject_record``)."""
    return [record for _, record in _numbered(path, model, rejects)]


def _numbered(path: str, model: Any, rejects: list[dict[str, Any]] | None
              ) -> list[tuple[int, Any]]:
    """``table_rows`` with each record's data row (counting from 1)."""
    from finpolicy.domains.access.columnar_review import records

    out = []
    for i, cells in enumerate(records(path)):
        try:
            out.append((i + 1, model.parse(cells)))
        except InputError as exc:
            if rejects is None:
                raise exc.located(path, _line(path, i + 1)) from None
            column = key_column(list(cells))
            rejects.append(reject_record(path, _line(path, i + 1),
                                         None if column is None else cells[column],
                                         exc.problems))
    return out


def assignment_rows(path: str, rejects: list[dict[str, Any]] | None = None
                    ) -> list[RoleAssignment]:
    """The role assignments of ``path``; one given again, every field alike, is refused at
    its line naming the first one's (each copy's findings would be reported), or set aside
    there with ``rejects``."""
    seen: dict[tuple[Any, ...], int] = {}
    kept: list[RoleAssignment] = []
    for row, assignment in _numbered(path, RoleAssignment, rejects):
        first = seen.setdefault(assignment_key(assignment), row)
        if first == row:
            kept.append(assignment)
            continue
        lines = (_line(path, first), _line(path, row))
        error = InputError.one("", assignment_twice(
            assignment, f"lines {lines[0]} and {lines[1]}"), "duplicate_value").located(
            path, lines[1])
        if rejects is None:
            raise error
        rejects.append(reject_record(path, lines[1], assignment.subject_id, error.problems))
    return kept


def _grants(path: str, rejects: list[dict[str, Any]] | None) -> list[AccessGrant]:
    """The grants of ``path``; a grant id given twice is refused at its second line, naming
    the first (its findings would be reported twice and its usage counted for both), or set
    aside there with ``rejects``."""
    grants: list[AccessGrant] = table_rows(path, AccessGrant, rejects)
    seen: dict[str, int] = {}
    kept: list[AccessGrant] = []
    for grant in grants:
        # (rows set aside before it count: the lines are found again, a rare error)
        key = grant_key(grant.id)
        if key not in seen:
            seen[key] = len(kept)
            kept.append(grant)
            continue
        first, again = _rows_of(path, grant.id, {r["row"] for r in rejects or ()
                                                  if r["file"] == path})
        error = InputError([RepeatedGrant("id", "", "duplicate_value", grant.id, path,
                                          again, first=first)])
        if rejects is None:
            raise error
        rejects.append(reject_record(path, again, grant.id, error.problems))
    return kept


def _rows_of(path: str, grant_id: str, refused: set[int]) -> tuple[int, int]:
    """The row (counting from 1) of the first grant ``grant_id`` of ``path`` and the line of
    the next, but for the lines set aside (``refused``)."""
    from finpolicy.domains.access.columnar_review import records

    key = grant_key(grant_id)
    rows = [i + 1 for i, cells in enumerate(records(path))
            if cells.get("id") is not None and _same(str(cells["id"]), key)]
    if path.lower().endswith(".csv"):
        from finpolicy.columnar.tables import csv_lines

        lines = csv_lines(path, rows)
    else:
        lines = {r: r for r in rows}
    kept = [r for r in rows if lines[r] not in refused] or [0]
    return kept[0], lines.get(kept[min(1, len(kept) - 1)], 0)


def _same(value: str, key: str) -> bool:
    try:
        return grant_key(value) == key
    except InputError:
        return False


def read_review_tables(grants: str, assignments: str, usage: str | None,
                       rejects: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Grants, role assignments and (when ``usage`` names a file) usage records from table
    files, as ``read_review_file`` gives a review document's; with ``rejects``, the rows
    refused are set aside there and the others reviewed.

    Raises:
        InputError: a file that is no table, a column no field of its record is, or a row that
            is no valid record, at its file and line.
    """
    return {"grants": _grants(grants, rejects),
            "assignments": assignment_rows(assignments, rejects),
            "usage": None if usage is None else table_rows(usage, UsageRecord, rejects)}
