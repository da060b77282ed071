"""A CSV book of sales carries how each sale came about (`sale.<field>` columns), as a Parquet
book and evaluate_table do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

HEADER = ("customer.id,customer.risk_level,customer.assessment_date,"
          "customer.assessment_in_branch,product.id,product.kind,product.risk_level,"
          "sale.first_purchase,sale.promoted_by_staff\n")
ROWS = ("c1,C3,2025-12-01,false,wm,wealth_management,R3,true,\n"   # 2018: not in a branch
        "c2,C3,2025-12-01,true,wm,wealth_management,R3,true,\n"
        "c3,C2,2025-12-01,,fund,fund,R4,,true\n")                    # promoted above level


def _decide(path: Path, on: str) -> list[tuple[str, list[str]]]:
    result = CliRunner().invoke(main, ["suitability", str(path), "--as-of", on, "--json"])
    assert result.exit_code == 0, result.output
    return [(d["outcome"], [h["rule_id"] for h in d["hits"]])
            for d in json.loads(result.output)["decisions"]]


def test_a_csv_book_carries_the_sale_context(tmp_path: Path) -> None:
    # the CSV reader refused the columns ('sale.first_purchase: unknown column (use
    # customer.<field>, product.<field> or amount)'), so a first purchase assessed outside a
    # branch or a sale promoted by staff could not be decided from a CSV book at all
    path = tmp_path / "sales.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    got = _decide(path, "2026-01-20")
    assert [o for o, _ in got] == ["unsuitable", "suitable", "unsuitable"]
    assert "first-purchase-assessed-in-branch" in got[0][1]
    assert "promoted-above-tolerance" in got[2][1]


def test_csv_and_parquet_books_agree_on_the_sale_context(tmp_path: Path) -> None:
    pv = pytest.importorskip("pyarrow.csv")
    pq = pytest.importorskip("pyarrow.parquet")
    csv = tmp_path / "sales.csv"
    csv.write_text(HEADER + ROWS, encoding="utf-8")
    book = tmp_path / "sales.parquet"
    pq.write_table(pv.read_csv(csv), book)
    out = tmp_path / "out.parquet"
    for on in ("2026-01-20", "2026-03-01"):
        result = CliRunner().invoke(main, ["suitability", str(book), "--as-of", on,
                                           "-o", str(out)])
        assert result.exit_code == 0, result.output
        table = pq.read_table(out).to_pydict()
        assert list(zip(table["outcome"], table["rule_ids"], strict=True)) == \
            _decide(csv, on)


def test_a_products_book_still_refuses_sale_columns(tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("id,risk_level,sale.first_purchase\nc1,C3,true\n", encoding="utf-8")
    products = tmp_path / "products.csv"
    products.write_text("id,kind,risk_level\nwm,wealth_management,R3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["suitability", str(customers), "--products",
                                       str(products), "--as-of", "2026-03-01"])
    assert result.exit_code == 3
    assert "sale.first_purchase: unknown column" in result.output
