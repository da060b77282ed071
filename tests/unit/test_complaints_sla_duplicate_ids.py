"""``finpolicy sla`` refuses a complaint id given on two lines, naming both: the summary would
count the complaint twice, silently (with --events the join already refused it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

AS_OF = "2026-01-30T09:00:00+08:00"
HEADER = "id,received_at,channel,category\n"
ROW = "{id},2026-01-05T10:00:00+08:00,phone,service\n"


def _sla(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["sla", *args, "--as-of", AS_OF])
    return result.exit_code, result.output


@pytest.mark.parametrize("extra", [[], ["--all"]], ids=["tables", "rows"])
def test_a_complaint_on_two_lines_of_a_csv_is_refused_naming_both(
        tmp_path: Path, extra: list[str]) -> None:
    book = tmp_path / "book.csv"
    # a blank line before the repeat: the file's lines, not rows, are named
    book.write_text(HEADER + ROW.format(id="k1") + ROW.format(id="k2") + "\n"
                    + ROW.format(id=" k1 "), encoding="utf-8")
    code, output = _sla(str(book), *extra)
    assert code == 3, output
    assert f"{book} line 5: id: complaint `k1` is listed twice (lines 2 and 5)" in output


def test_a_complaint_on_two_lines_of_json_lines_is_refused_naming_both(tmp_path: Path) -> None:
    book = tmp_path / "book.jsonl"
    line = ('{{"id": "{id}", "received_at": "2026-01-05T10:00:00+08:00", "channel": "phone", '
            '"category": "service"}}\n')
    book.write_text(line.format(id="k1") + line.format(id="k2") + line.format(id="k1"),
                    encoding="utf-8")
    code, output = _sla(str(book))
    assert code == 3, output
    assert f"{book} line 3: id: complaint `k1` is listed twice (lines 1 and 3)" in output


def test_a_complaint_twice_in_a_parquet_file_is_refused_naming_its_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    ids = ["k0", "k1", "k2", "k3", "k4", "k3"]
    n = len(ids)
    table = pa.table({"id": ids, "received_at": ["2026-01-05T10:00:00+08:00"] * n,
                      "channel": ["phone"] * n, "category": ["service"] * n})
    pq.write_table(table, tmp_path / "book.parquet")
    code, output = _sla(str(tmp_path / "book.parquet"))
    assert code == 3, output
    assert "line 6: id: complaint `k3` is listed twice (lines 4 and 6)" in output

