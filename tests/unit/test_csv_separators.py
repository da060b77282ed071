"""A CSV file separated by semicolons or tabs (a spreadsheet's export in another locale) is
refused at its header, saying so, by the row reader and the batch reader alike: it was read
as one column named `id;received_at;…`, which the row reader reported as every field
missing and a column of event times 'too short', and the batch API as an unknown column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.readers import iter_csv_rows

ROWS = ("id{0}received_at{0}channel{0}category{0}severity\n"
        "k1{0}2026-02-20T09:00:00+08:00{0}branch{0}service{0}general\n")


@pytest.mark.parametrize(("separator", "named"), [(";", "`;`"), ("\t", "a tab"),
                                                  ("|", "`|`")])
def test_a_file_of_another_separator_is_refused_at_its_header(
        tmp_path: Path, separator: str, named: str) -> None:
    path = tmp_path / "complaints.csv"
    path.write_text("\ufeff\n" + ROWS.format(separator), encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        list(iter_csv_rows(str(path)))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 2)
    assert f"separated by {named}, not by commas" in problem.message
    pytest.importorskip("pyarrow")
    with pytest.raises(fp.InputError) as caught:
        fp.PolicyEngine().evaluate_table("complaints", str(path),
                                         as_of=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 2)
    assert f"separated by {named}, not by commas" in problem.message


def test_finpolicy_sla_names_the_separator_instead_of_every_field_missing(
        tmp_path: Path) -> None:
    path = tmp_path / "complaints.csv"
    path.write_text(ROWS.format(";"), encoding="utf-8")
    result = CliRunner().invoke(main, ["sla", str(path), "--as-of",
                                       "2026-03-02T12:00+08:00"])
    assert result.exit_code == 3
    assert f"{path} line 1: the header is one column" in result.output
    assert "field required" not in result.output
    # a file of one column, with no other separator in its name, is read as before
    ids = tmp_path / "ids.csv"
    ids.write_text("id\nc1\nc2\n", encoding="utf-8")
    assert [r for _, r in iter_csv_rows(str(ids))] == [{"id": "c1"}, {"id": "c2"}]

