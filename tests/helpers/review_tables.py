"""Grants, role assignments and usage records an IAM system exports, for the tests of
``finpolicy review`` on tables, and the CSV files they are written to."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def t(delta: dt.timedelta) -> str:
    """``AT`` moved by ``delta``, as ISO text."""
    return (AT + delta).isoformat()


def grant(i: int, **changes: Any) -> dict[str, Any]:
    """Grant ``g{i}``: core business data for account service, approved, expiring in 5 days."""
    return {"id": f"g{i}", "grantee": "u-1", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core", "category": "business",
            "requested_at": t(-20 * DAY), "approved_by": "u-head",
            "approver_roles": ["department_head"], "approved_at": t(-19 * DAY),
            "expires_at": t(5 * DAY), **changes}


GRANTS = [grant(0), grant(1, expires_at=t(-DAY)), grant(2, approved_by="u-1"),
          grant(3, approved_by="u-9"), grant(4, expires_at=t(60 * DAY)),
          grant(5, approver_roles=["teller", "department_head"])]
ASSIGNMENTS = [
    {"subject_id": "u-head", "role": "department_head", "assigned_at": t(-400 * DAY),
     "approved_by": "u-head-2", "approver_roles": ["department_head"],
     "approved_at": t(-400 * DAY), "reviewed_at": t(-5 * DAY)},
    {"subject_id": "u-1", "role": "customer_manager", "assigned_at": t(-10 * DAY)},
    {"subject_id": "U-1 ", "role": "risk_officer", "assigned_at": t(-10 * DAY)}]
USAGE = [{"grant_id": "g0", "used_at": t(-2 * DAY)}]


def write_csv(path: Path, records: list[dict[str, Any]], blank_after: int = -1) -> None:
    """``records`` as a CSV file (lists joined with ``;``), with a blank line after record
    ``blank_after``."""
    names = list(dict.fromkeys(k for r in records for k in r))
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(names)
        for i, record in enumerate(records):
            out.writerow([";".join(v) if isinstance(v, list) else v if v is not None else ""
                          for v in (record.get(n) for n in names)])
            if i == blank_after:
                handle.write("\r\n")  # a blank line: no row, but a line of the file
