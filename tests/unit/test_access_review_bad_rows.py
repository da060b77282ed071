"""``finpolicy review grants.csv --assignments roles.csv --bad-rows FILE``: grants, role
assignments and usage records refused are set aside to FILE at their own files and lines, a
grant id given again at its later line, and the other records reviewed exactly as tables of
them alone are; without the option the first bad row still stops the review (exit 3)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from tests.helpers.review_tables import ASSIGNMENTS, AT, GRANTS, USAGE
from tests.helpers.review_tables import grant as _grant
from tests.helpers.review_tables import write_csv as _write_csv

pytest.importorskip("pyarrow")


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
    with rejects.open(encoding="utf-8-sig", newline="") as handle:  # (a byte-order mark)
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
