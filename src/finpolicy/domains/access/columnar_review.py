"""The access review over tables: ``evaluate_table("access", grants, what="review",
assignments=..., usage=...)`` gives one row per finding, as ``review_access`` finds them.

The source holds one grant per row, its columns named by the fields of ``AccessGrant``
(``approver_roles`` an Arrow list of texts or one text separated by ``;``; times as
timestamps with a zone or ISO text with an offset). ``assignments`` and ``usage`` (lists of
mappings or table sources, one record per row) are read whole, a file's errors at its line.
A review is a set-level analysis, so each chunk of grants is reviewed by the row engine's
own ``review_with`` (not column-wise): a grant's findings depend on the grant, the review
time, its last use and the role directory only, so chunks give exactly ``review_access``'s
findings; those of the role assignments and subjects come with the first chunk. Each chunk's
findings are most severe first (``review_access``'s order); sort the table for one order
across chunks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from finpolicy.domains.access.columnar_in import TIME, split_list
from finpolicy.domains.access.days import policy_day
from finpolicy.domains.access.directory import AssignmentDirectory, RoleDirectory
from finpolicy.domains.access.model import AccessGrant, RoleAssignment, UsageRecord
from finpolicy.domains.access.review import (
    RepeatedGrant,
    _items,
    grant_key,
    refuse_repeated_assignments,
    review_with,
)
from finpolicy.domains.access.spec import POLICY_KIND
from finpolicy.errors import InputError
from finpolicy.runtime import Runtime

__all__ = ["REVIEW_SCHEMA", "prepare_review", "records"]

_WORD = pa.dictionary(pa.int32(), pa.string())
REVIEW_SCHEMA = pa.schema([
    ("severity", _WORD), ("kind", _WORD), ("message", pa.string()), ("rule_id", _WORD),
    ("cite", _WORD), ("grant_id", pa.string()), ("subject_id", pa.string()),
    ("role", _WORD), ("as_of", TIME), ("policy_id", _WORD), ("policy_version", _WORD),
])
"""The findings table: the fields of ``Finding``, with the review's time and policy."""
_LISTS = ("approver_roles",)


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    """A record's present cells (a list in a text cell split at ``;``)."""
    return {k: split_list(v) if k in _LISTS and isinstance(v, str) else v
            for k, v in row.items() if v is not None}


def records(source: Any) -> Any:
    """A table source of records (one per row) as their mappings; lists and ``None`` are
    returned as they are."""
    from finpolicy.columnar.tables import read_table

    is_frame = type(source).__module__.split(".")[0] in ("pandas", "polars")
    if not isinstance(source, str | Path | pa.Table | pa.RecordBatch | pa.RecordBatchReader) \
            and not is_frame:
        return source
    return [_cells(row) for row in read_table(source).to_pylist()]


def _grants(batch: pa.RecordBatch, first_row: int) -> list[AccessGrant]:
    out = []
    for i, row in enumerate(batch.to_pylist()):
        try:
            out.append(AccessGrant.parse(_cells(row)))
        except InputError as exc:
            raise exc.located("table", first_row + i + 1) from None
    return out


def _refuse_repeated(grants: list[AccessGrant], seen: dict[str, int], first_row: int
                     ) -> dict[str, int]:
    """Refuse a grant id met before (``seen``: the ids of the rows so far, by row) at its
    second row: its findings would be reported twice and its usage counted for both. The
    ids of ``grants``, by row, for ``seen`` once the chunk is decided (a chunk refused adds
    none: its rows may be decided again without the row refused)."""
    fresh: dict[str, int] = {}
    for i, grant in enumerate(grants):
        row = first_row + i + 1
        key = grant_key(grant.id)
        first = seen.get(key) or fresh.setdefault(key, row)
        if first != row:
            raise InputError([RepeatedGrant("id", "", "duplicate_value", grant.id, "table",
                                            row, first=first)])
    return fresh


def _companion(source: Any, model: Any, field: str) -> list[Any]:
    """The records of ``assignments`` or ``usage``: a file's errors at its file and line
    (``assignments.1.assigned_at`` named no file), a list's or a table's at ``field``."""
    if isinstance(source, str | Path):
        from finpolicy.domains.access.review_tables import assignment_rows, table_rows

        if model is RoleAssignment:
            return assignment_rows(str(source))
        return table_rows(str(source), model)
    found = _items(records(source), model, field, none_is_empty=True)
    if model is RoleAssignment:
        refuse_repeated_assignments(found, field)
    return found


def prepare_review(runtime: Runtime, at: dt.datetime, policy: str | None, assignments: Any,
                   usage: Any, directory: RoleDirectory | None) -> Any:
    """The chunk evaluator of the review (``at``: the review time)."""
    assigned: list[RoleAssignment] = _companion(assignments, RoleAssignment, "assignments")
    used = None if usage is None else _companion(usage, UsageRecord, "usage")
    verifier = directory if directory is not None else AssignmentDirectory(assigned)
    doc = runtime.policy(POLICY_KIND, policy_day(runtime, at, policy), policy)
    seen: dict[str, int] = {}  # grant ids of the chunks so far (on Spark: the partition's)
    reported: list[bool] = []  # whether a chunk gave the role assignments' findings

    def evaluate(batch: pa.RecordBatch, first_row: int) -> pa.Table:
        grants = _grants(batch, first_row)
        fresh = _refuse_repeated(grants, seen, first_row)
        report = review_with(runtime, doc, doc.policy, grants,
                             [] if reported else assigned, used, at, verifier)
        seen.update(fresh)  # the chunk decided: its grants are seen, the assignments given
        reported.append(True)
        ref = report.policy
        return pa.Table.from_pylist([
            {"severity": f.severity, "kind": f.kind, "message": f.message,
             "rule_id": f.rule_id, "cite": f.cite, "grant_id": f.grant_id,
             "subject_id": f.subject_id, "role": f.role, "as_of": at,
             "policy_id": ref.id, "policy_version": ref.version}
            for f in report.findings], schema=REVIEW_SCHEMA)
    return evaluate
