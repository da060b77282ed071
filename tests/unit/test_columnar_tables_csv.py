"""CSV files as the batch API reads them: blank lines before the header are skipped, as Arrow
skips them, and a cell is located at the file's own line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.columnar import tables

pa = pytest.importorskip("pyarrow")

AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
HEADER = ("id,grantee,purpose,resource_type,data_level,category,requested_at,approved_by,"
          "approver_roles,approved_at,expires_at\n")
GRANT = ("g1,u-1,account_service,customer_record,core,business,2026-02-10T10:00:00+00:00,"
         "u-head,department_head,2026-02-11T10:00:00+00:00,2026-02-20T10:00:00+00:00\n")
ROLES = ("subject_id,role,assigned_at,approved_by,approver_roles,approved_at\n"
         "u-head,department_head,2025-01-01T00:00:00+00:00,u-head-2,department_head,"
         "2025-01-01T00:00:00+00:00\n")


def test_a_csv_with_blank_lines_before_its_header_is_read_as_without_them(
        tmp_path: Path) -> None:
    # the first blank line was taken for the header: every column was left to Arrow's type
    # inference and the file refused as 'line 2: not a readable CSV file (Function
    # 'utf8_length' has no kernel matching input types (timestamp...))'
    roles = tmp_path / "roles.csv"
    roles.write_text(ROLES, encoding="utf-8")
    plain, padded = tmp_path / "plain.csv", tmp_path / "padded.csv"
    plain.write_text(HEADER + GRANT, encoding="utf-8")
    padded.write_text("\n\r\n" + HEADER + GRANT, encoding="utf-8")
    engine = fp.PolicyEngine()
    kinds = [engine.evaluate_table("access", str(path), what="review", as_of=AT,
                                   assignments=str(roles)).column("kind").to_pylist()
             for path in (plain, padded)]
    assert kinds[0] == kinds[1] and "expired_grant" in kinds[0]
    assert tables.read_table(str(padded)).schema.types == [pa.string()] * 11


def test_an_error_after_blank_leading_lines_names_the_files_line(tmp_path: Path) -> None:
    padded = tmp_path / "grants.csv"
    padded.write_text("\n\n" + HEADER + GRANT.replace("2026-02-20T10", "2026-02-30T10"),
                      encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().evaluate_table("access", str(padded), what="review", as_of=AT,
                                         assignments=[])
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(padded), 4, "expires_at")


def test_a_time_out_of_range_is_located_at_the_csv_files_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # read_table named the row's line as row + 2, counting neither blank lines nor the line
    # breaks of quoted cells (csv_lines counts both, as every other CSV error does)
    path = tmp_path / "book.csv"
    path.write_text('id,note\n1,"two\nlines"\n\n2,x\n', encoding="utf-8")
    monkeypatch.setattr(tables, "time_out_of_range", lambda table: ("note", 1))
    with pytest.raises(fp.InputError) as caught:
        tables.read_table(str(path))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 5, "note")
