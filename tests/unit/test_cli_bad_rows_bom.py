"""A ``--bad-rows FILE.csv`` begins with a UTF-8 byte-order mark, as ``eval -o OUT.csv`` does:
Excel reads a CSV file as UTF-8 only after it. It was written without one, so the Chinese
keys and reasons of the rows set aside (a customer 张三) showed as mojibake in the file a
clerk opens, beside a decisions file that showed them right."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

BOM = "\ufeff".encode()
HEADER = ("subject.id,subject.roles,subject.department,subject.branch,action,purpose,"
          "resource.type,resource.data_level,resource.category,resource.department,"
          "resource.branch")
ROW = "{},teller,retail,BJ01,{},account_service,customer_record,ordinary,basic_identity," \
      "retail,BJ01"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_eval_writes_its_rows_set_aside_as_it_writes_its_decisions(tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    requests.write_text("\n".join([HEADER, ROW.format("柜员一", "read"),
                                   ROW.format("张三", "fly")]) + "\n", encoding="utf-8")
    rejects, out = tmp_path / "rejects.csv", tmp_path / "decisions.csv"
    result = CliRunner().invoke(main, ["eval", "access", str(requests), "--as-of",
                                       "2026-03-02T10:00:00+08:00", "-o", str(out),
                                       "--bad-rows", str(rejects)])
    assert result.exit_code == 1, result.output
    assert out.read_bytes().startswith(BOM)
    assert rejects.read_bytes().startswith(BOM)
    assert [(r["file"], r["row"], r["key"]) for r in _rows(rejects)] == [
        (str(requests), "3", "张三")]


@pytest.mark.parametrize("rows", [[], ["客户二,C9"]])  # a header alone too
def test_suitability_writes_its_rows_set_aside_with_a_byte_order_mark(
        tmp_path: Path, rows: list[str]) -> None:
    book = tmp_path / "book.csv"
    book.write_text("\n".join(["id,risk_level", "客户一,C3", *rows]) + "\n", encoding="utf-8")
    products = tmp_path / "products.csv"
    products.write_text("id,kind,risk_level\np1,fund,R3\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(main, ["suitability", str(book), "--products", str(products),
                                       "--as-of", "2026-03-02", "--json",
                                       "--bad-rows", str(rejects)])
    assert result.exit_code == (1 if rows else 0), result.output
    assert rejects.read_bytes().startswith(BOM + b"file,row,key,field,code,reason")
    assert [r["key"] for r in _rows(rejects)] == ["客户二" for _ in rows]

