"""``finpolicy review grants.csv --assignments roles.csv --bad-rows FILE``: grants, role
assignments and usage records refused are set aside to FILE at their own files and lines, a
grant id given again at its later line, and the other records reviewed exactly as tables of
them alone are; without the option the first bad row still stops the review (exit 3)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

pytest.importorskip("pyarrow")

# the records of tests/unit/test_access_review_tables.py
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _t(delta: dt.timedelta) -> str:
    return (AT + delta).isoformat()


def _grant(i: int, **changes: Any) -> dict[str, Any]:
    return {"id": f"g{i}", "grantee": "u-1", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core", "category": "business",
            "requested_at": _t(-20 * DAY), "approved_by": "u-head",
            "approver_roles": ["department_head"], "approved_at": _t(-19 * DAY),
            "expires_at": _t(5 * DAY), **changes}


GRANTS = [_grant(0), _grant(1, expires_at=_t(-DAY)), _grant(2, approved_by="u-1"),
          _grant(3, approved_by="u-9"), _grant(4, expires_at=_t(60 * DAY)),
          _grant(5, approver_roles=["teller", "department_head"])]
ASSIGNMENTS = [
    {"subject_id": "u-head", "role": "department_head", "assigned_at": _t(-400 * DAY),
     "approved_by": "u-head-2", "approver_roles": ["department_head"],
     "approved_at": _t(-400 * DAY), "reviewed_at": _t(-5 * DAY)},
    {"subject_id": "u-1", "role": "customer_manager", "assigned_at": _t(-10 * DAY)},
    {"subject_id": "U-1 ", "role": "risk_officer", "assigned_at": _t(-10 * DAY)}]
USAGE = [{"grant_id": "g0", "used_at": _t(-2 * DAY)}]


def _write_csv(path: Path, records: list[dict[str, Any]], blank_after: int = -1) -> None:
    names = list(dict.fromkeys(k for r in records for k in r))
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(names)
        for i, record in enumerate(records):
            out.writerow([";".join(v) if isinstance(v, list) else v if v is not None else ""
                          for v in (record.get(n) for n in names)])
            if i == blank_after:
                handle.write("\r\n")  # a blank line: no row, but a line of the file


def _review(*args: str) -> Any:
    return CliRunner().invoke(main, ["review", *args, "--as-of", AT.isoformat(), "--json"])


def test_bad_grants_roles_and_usage_are_set_aside_and_the_rest_reviewed(
        tmp_path: Path) -> None:
    bad_grants = [*GRANTS[:2], _grant(7, expires_at="soon"), GRANTS[2], _grant(1),
                  *GRANTS[3:], _grant(1)]
    bad_roles = [*ASSIGNMENTS, {**ASSIGNMENTS[1], "assigned_at": "2026-02-20"}]
    bad_usage = [*USAGE, {"grant_id": "g1", "used_at": "often"}]
    files = {}
    for name, records in (("grants", bad_grants), ("roles", bad_roles), ("usage", bad_usage),
                          ("good_grants", GRANTS), ("good_roles", ASSIGNMENTS),
                          ("good_usage", USAGE)):
        files[name] = str(tmp_path / f"{name}.csv")
        _write_csv(Path(files[name]), records, blank_after=0)
    args = [files["grants"], "--assignments", files["roles"], "--usage", files["usage"]]
    assert _review(*args).exit_code == 3
    rejects = tmp_path / "rejects.csv"
    got = _review(*args, "--bad-rows", str(rejects))
    want = _review(files["good_grants"], "--assignments", files["good_roles"], "--usage",
                   files["good_usage"])
    assert (got.exit_code, want.exit_code) == (1, 0), got.output
    assert json.loads(got.stdout) == json.loads(want.stdout)
    with rejects.open(encoding="utf-8", newline="") as handle:
        rows = [(Path(r["file"]).name, r["row"], r["key"], r["field"])
                for r in csv.DictReader(handle)]
    # the grants' lines: a blank line after the first row; g1 again at its 6th and 9th rows
    assert rows == [("grants.csv", "5", "g7", "expires_at"), ("grants.csv", "7", "g1", "id"),
                    ("grants.csv", "11", "g1", "id"),
                    ("roles.csv", "6", "u-1", "assigned_at"),
                    ("usage.csv", "4", "g1", "used_at")]
    assert "5 row(s) set aside" in got.stderr


def test_bad_rows_goes_with_tables(tmp_path: Path) -> None:
    document = tmp_path / "review.json"
    document.write_text(json.dumps({"grants": [], "assignments": []}), encoding="utf-8")
    result = _review(str(document), "--bad-rows", str(tmp_path / "r.csv"))
    assert result.exit_code == 3 and "--bad-rows goes with a grants table" in result.output
