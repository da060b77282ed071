"""``finpolicy suitability`` and ``finpolicy sla`` read a CSV export saved on Chinese Windows
(GB18030, GBK) with ``--encoding``, as ``finpolicy eval`` does: they had no such option, and
refused such a book at its first Chinese name ("not UTF-8 text"), leaving a nightly job to
convert it first. Errors and rows set aside name the file given, at its own line; without the
option the error names it; a file that is not CSV is refused it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

NOW = "2026-03-02T10:00:00+08:00"
COMPLAINT = "{},2026-01-05T10:00:00+08:00,branch,service,general,"
COMPLAINTS = "id,received_at,channel,category,severity,flags"


def _gbk(path: Path, *lines: str) -> str:
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    return str(path)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_suitability_reads_a_gbk_book_and_products(tmp_path: Path) -> None:
    book = _gbk(tmp_path / "客户.csv", "id,risk_level", "客户一,C3")
    products = _gbk(tmp_path / "产品.csv", "id,kind,risk_level", "产品一,fund,R3")
    code, out, err = _run("suitability", book, "--products", products, "--as-of",
                          "2026-03-02", "--json", "--encoding", "gb18030")
    assert code == 0, err
    (decision,) = json.loads(out)["decisions"]
    assert (decision["customer_id"], decision["product_id"]) == ("客户一", "产品一")


def test_suitability_names_the_gbk_file_given_at_its_line(tmp_path: Path) -> None:
    book = _gbk(tmp_path / "book.csv", "id,risk_level", "客户一,C3", "客户二,C9")
    products = tmp_path / "products.csv"
    products.write_text("id,kind,risk_level\np1,fund,R3\n", encoding="utf-8")
    args = ("suitability", book, "--products", str(products), "--as-of", "2026-03-02",
            "--json", "--encoding", "gbk")
    code, _, err = _run(*args)
    assert code == 3
    assert f"{book} line 3: customer.risk_level: unknown level `C9`" in err
    rejects = tmp_path / "rejects.csv"
    code, _, err = _run(*args, "--bad-rows", str(rejects))
    assert code == 1, err
    (row,) = csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8-sig")))
    assert (row["file"], row["row"], row["key"]) == (book, "3", "客户二")


@pytest.mark.parametrize("whole", [[], ["--all"]])  # column-wise, or by rows
def test_sla_reads_a_gbk_book(tmp_path: Path, whole: list[str]) -> None:
    book = _gbk(tmp_path / "complaints.csv", COMPLAINTS, COMPLAINT.format("投诉一"),
                COMPLAINT.format("投诉二").replace("2026-01-05T10:00:00+08:00", "昨天"))
    rejects = tmp_path / "rejects.jsonl"
    code, out, err = _run("sla", book, "--as-of", NOW, "--json", *whole, "--encoding",
                          "gb18030", "--bad-rows", str(rejects))
    assert code == 1, err  # 投诉二 set aside
    assert json.loads(out)["total"] == 1
    record = json.loads(rejects.read_text(encoding="utf-8"))
    assert (record["file"], record["row"], record["key"]) == (book, 3, "投诉二")


def test_sla_reads_gbk_events(tmp_path: Path) -> None:
    book = _gbk(tmp_path / "complaints.csv", COMPLAINTS, COMPLAINT.format("投诉一"))
    events = _gbk(tmp_path / "events.csv", "complaint_id,kind,at",
                  "投诉一,acknowledged,2026-01-05T11:00:00+08:00")
    code, out, err = _run("sla", book, "--events", events, "--as-of", NOW, "--json",
                          "--encoding", "gb18030")
    assert code == 0, err
    assert json.loads(out)["total"] == 1


@pytest.mark.parametrize("command", [
    ["suitability", "--products", "{products}", "--as-of", "2026-03-02"],
    ["sla", "--as-of", NOW]])
def test_without_encoding_a_gbk_book_is_refused_naming_the_option(
        tmp_path: Path, command: list[str]) -> None:
    products = tmp_path / "products.csv"
    products.write_text("id,kind,risk_level\np1,fund,R3\n", encoding="utf-8")
    lines = ["id,risk_level", "客户一,C3"] if command[0] == "suitability" else \
        [COMPLAINTS, COMPLAINT.format("投诉一")]
    book = _gbk(tmp_path / "book.csv", *lines)
    name, *rest = command
    code, _, err = _run(name, book, *[a.format(products=products) for a in rest])
    assert code == 3
    assert "book.csv line 2" in err and "give --encoding gb18030" in err


def test_encoding_is_refused_for_a_file_that_is_not_csv(tmp_path: Path) -> None:
    book = tmp_path / "complaints.jsonl"
    book.write_text("{}\n", encoding="utf-8")
    code, out, err = _run("sla", str(book), "--as-of", NOW, "--encoding", "gbk")
    assert code == 3 and out == ""
    assert "--encoding is for CSV files (.csv)" in err


def test_review_reads_gbk_tables_and_names_them_at_their_lines(tmp_path: Path) -> None:
    # `review` read its CSV tables as UTF-8 only: a grants table whose grantee is written in
    # Chinese, saved on Chinese Windows, was refused ("not UTF-8 text")
    pytest.importorskip("pyarrow")
    from tests.helpers.review_tables import ASSIGNMENTS, AT, GRANTS, grant, write_csv

    def gbk_copy(name: str, records: list[dict[str, object]]) -> str:
        plain = tmp_path / f"{name}-utf8.csv"
        write_csv(plain, records)
        path = tmp_path / f"{name}.csv"
        path.write_bytes(plain.read_text(encoding="utf-8").encode("gb18030"))
        return str(path)

    grants = gbk_copy("授权", [*GRANTS, grant(9, grantee="张三")])
    roles = gbk_copy("角色", ASSIGNMENTS)
    args = ["review", grants, "--assignments", roles, "--as-of", AT.isoformat(), "--json"]
    code, out, err = _run(*args, "--encoding", "gb18030")
    # reviewed as the same tables in UTF-8 are (exit 1: findings at or above --fail-on's high)
    want = _run("review", str(tmp_path / "授权-utf8.csv"), "--assignments",
                str(tmp_path / "角色-utf8.csv"), "--as-of", AT.isoformat(), "--json")
    assert (code, json.loads(out)) == (want[0], json.loads(want[1])), err
    code, _, err = _run(*args)
    assert code == 3 and "gb18030" in err, err  # without it, the option is named
    bad = gbk_copy("坏", [*GRANTS, grant(9, grantee="张三", expires_at="soon")])
    code, _, err = _run("review", bad, "--assignments", roles, "--as-of", AT.isoformat(),
                        "--encoding", "gbk")
    assert code == 3 and f"{bad} line 8" in err, err
