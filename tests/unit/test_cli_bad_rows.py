"""``--bad-rows FILE`` on ``finpolicy sla`` and ``finpolicy suitability``: the rows refused are
set aside to FILE at their own lines, the others decided as a file of them alone is, the
count goes to standard error and the exit status is 1 (0 with ``--bad-rows-ok``); without
the option the first bad row still stops the command (exit 3)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

NOW = "2026-03-02T10:00+08:00"
COMPLAINTS = ["id,received_at,channel,category",
              "k1,2026-02-20T09:00:00+08:00,branch,service",
              "k2,last tuesday,branch,service",
              ",2026-02-21T09:00:00+08:00,phone,product",
              "k1,2026-02-22T09:00:00+08:00,branch,service",
              "k5,2026-02-23T09:00:00+08:00,online,policy"]
GOOD_COMPLAINTS = [COMPLAINTS[i] for i in (0, 1, 5)]
CUSTOMERS = ["id,risk_level", "c1,C3", "c2,C9", ",C2", "c4,C4"]


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _stable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without the time each report was made."""
    for report in summary.get("reports", []):
        report.pop("evaluated_at")
    return summary


def _rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("whole", [False, True])  # column-wise, or by rows (--all)
def test_sla_sets_bad_complaints_aside_and_reports_the_others(tmp_path: Path,
                                                               whole: bool) -> None:
    pytest.importorskip("pyarrow")
    book = _write(tmp_path / "book.csv", ["", *COMPLAINTS])  # a blank first line too
    good = _write(tmp_path / "good.csv", GOOD_COMPLAINTS)
    more = ["--all"] if whole else []
    refused = _run("sla", book, "--as-of", NOW, "--json", *more)
    assert refused.exit_code == 3 and "line 4" in refused.output
    got = _run("sla", book, "--as-of", NOW, "--json", *more, "--bad-rows",
               str(tmp_path / "rejects.csv"))
    want = _run("sla", good, "--as-of", NOW, "--json", *more)
    assert (got.exit_code, want.exit_code) == (1, 0)
    assert _stable(json.loads(got.stdout)) == _stable(json.loads(want.stdout))
    assert "3 row(s) set aside" in got.stderr
    assert [(r["row"], r["key"], r["field"], r["code"])
            for r in _rejects(tmp_path / "rejects.csv")] == [
        ("4", "k2", "received_at", "datetime_from_date_parsing"),
        ("5", "", "id", "missing"),
        ("6", "k1", "id", "duplicate_value")]


def test_sla_json_lines_rejects_and_bad_rows_ok(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "k1", "received_at": "2026-02-20T09:00:00+08:00",
                         "channel": "branch", "category": "service"}),
             json.dumps({"id": "k2", "received_at": "2026-02-20T09:00:00+08:00",
                         "channel": "pigeon", "category": "service"})]
    book = _write(tmp_path / "book.jsonl", lines)
    out = tmp_path / "rejects.jsonl"
    got = _run("sla", book, "--as-of", NOW, "--json", "--bad-rows", str(out),
               "--bad-rows-ok")
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["total"] == 1
    [reject] = [json.loads(line) for line in out.read_text().splitlines()]
    assert (reject["row"], reject["key"], reject["field"]) == (2, "k2", "channel")


def test_suitability_sets_bad_customers_aside_from_csv_and_parquet(tmp_path: Path) -> None:
    products = _write(tmp_path / "products.csv", ["id,kind,risk_level", "p1,fund,R3"])
    book = _write(tmp_path / "book.csv", CUSTOMERS)
    good = _write(tmp_path / "good.csv", [CUSTOMERS[i] for i in (0, 1, 4)])
    base = ["--products", products, "--as-of", "2026-03-02", "--json"]
    assert _run("suitability", book, *base).exit_code == 3
    got = _run("suitability", book, *base, "--bad-rows", str(tmp_path / "r.csv"))
    want = _run("suitability", good, *base)
    assert got.exit_code == 1
    decided = [(d["customer_id"], d["outcome"]) for d in json.loads(got.stdout)["decisions"]]
    assert decided == [(d["customer_id"], d["outcome"])
                       for d in json.loads(want.stdout)["decisions"]]
    assert [(r["row"], r["key"], r["field"]) for r in _rejects(tmp_path / "r.csv")] == [
        ("3", "c2", "customer.risk_level"), ("4", "", "customer.id")]
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["c1", "c2", None, "c4"],
                             "risk_level": ["C3", "C9", "C2", "C4"]}), tmp_path / "b.parquet")
    got = _run("suitability", str(tmp_path / "b.parquet"), *base, "--bad-rows",
               str(tmp_path / "r2.csv"))
    assert got.exit_code == 1
    assert json.loads(got.stdout)["total"] == 2
    assert [(r["row"], r["key"]) for r in _rejects(tmp_path / "r2.csv")] == [
        ("2", "c2"), ("3", "")]


def test_no_bad_row_writes_the_header_and_exits_0(tmp_path: Path) -> None:
    book = _write(tmp_path / "good.csv", GOOD_COMPLAINTS)
    got = _run("sla", book, "--as-of", NOW, "--bad-rows", str(tmp_path / "r.csv"))
    assert got.exit_code == 0, got.output
    assert (tmp_path / "r.csv").read_text(encoding="utf-8") == \
        "\ufefffile,row,key,field,code,reason\n"  # a byte-order mark, for Excel
    assert "0 row(s) set aside" in got.stderr


def test_bad_rows_options_are_checked_before_the_work(tmp_path: Path) -> None:
    book = _write(tmp_path / "book.csv", COMPLAINTS)
    alone = _run("sla", book, "--as-of", NOW, "--bad-rows-ok")
    assert alone.exit_code == 3 and "--bad-rows-ok goes with --bad-rows" in alone.output
    onto = _run("sla", book, "--as-of", NOW, "--bad-rows", book)
    assert onto.exit_code == 3 and "--bad-rows" in onto.output
    assert Path(book).read_text().startswith("id,received_at")
