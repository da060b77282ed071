"""A complaint received before any version of the complaint policy was in force is an error
of its row or line in a table or a complaints file, not a bare message naming only a date."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

HEADER = "id,received_at,channel,category,severity,flags\n"
ROWS = ("new,2025-03-03T10:00+08:00,phone,product,general,\n"
        "old,2019-03-03T10:00+08:00,phone,product,general,\n")


def test_a_table_row_before_the_policy_names_its_row() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"id": ["new", "old"],
                      "received_at": ["2025-03-03T10:00+08:00", "2019-03-03T10:00+08:00"],
                      "channel": ["phone"] * 2, "category": ["product"] * 2,
                      "severity": ["general"] * 2, "flags": ["", ""]})
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().evaluate_table("complaints", table, as_of="2025-03-05T10:00+08:00")
    problem = caught.value.problems[0]
    assert (problem.line, problem.path, problem.code) == (2, "received_at", "not_in_force")
    assert "2019-03-03" in str(caught.value)


@pytest.mark.parametrize(("name", "text", "line"), [
    ("book.csv", HEADER + ROWS, 3),
    ("book.jsonl", '{"id": "new", "received_at": "2025-03-03T10:00+08:00", "channel": '
     '"phone", "category": "product"}\n{"id": "old", "received_at": '
     '"2019-03-03T10:00+08:00", "channel": "phone", "category": "product"}\n', 2)])
def test_finpolicy_sla_names_the_line_of_a_complaint_before_the_policy(
        tmp_path: Path, name: str, text: str, line: int) -> None:
    book = tmp_path / name
    book.write_text(text)
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of", "2025-03-05T10:00+08:00"])
    assert result.exit_code == 3, result.output
    assert f"{name} line {line}: received_at: no version" in result.output
