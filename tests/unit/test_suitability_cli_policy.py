"""``finpolicy suitability`` says which version of the policy decided the book, in its
printed report as in --json: a book run on 2026-01-31 and again on 2026-02-01 is decided by
the 2018 rule and then by the NFRA rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

SALES = ("customer.id,customer.risk_level,customer.assessment_date,product.id,product.kind,"
         "product.risk_level,product.issuer_risk_level\n"
         "c1,C3,2025-06-01,wm-17,wealth_management,R3,R4\n")


@pytest.mark.parametrize(("day", "version"), [("2026-01-31", "1.3.0"),
                                              ("2026-02-01", "2.3.0")])
def test_the_printed_report_names_the_version(tmp_path: Path, day: str, version: str) -> None:
    book = tmp_path / "sales.csv"
    book.write_text(SALES, encoding="utf-8")
    result = CliRunner().invoke(main, ["suitability", str(book), "--as-of", day])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"as of {day}: decided by cn-suitability {version}"


def test_a_parquet_book_and_an_empty_one_name_it_too(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    customers = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"id": ["c1"], "risk_level": ["C3"],
                             "assessment_date": ["2025-06-01"]}), customers)
    products = tmp_path / "products.csv"
    products.write_text("id,kind,risk_level\nwm-17,wealth_management,R3\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text(SALES.splitlines()[0] + "\n", encoding="utf-8")
    for args in ([str(customers), "--products", str(products)], [str(empty)]):
        result = CliRunner().invoke(main, ["suitability", *args, "--as-of", "2026-02-01"])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == \
            "as of 2026-02-01: decided by cn-suitability 2.3.0"
