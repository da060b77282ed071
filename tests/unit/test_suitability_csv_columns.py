"""``finpolicy suitability customers.csv --products products.csv``: a column that belongs to
another part of a sale (an amount, a product's field in the customers file, a customer's in
the products file) is refused, as a Parquet book refuses it, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

ON = "2026-03-02"


def _run(tmp_path: Path, customers: str, products: str, *more: str) -> tuple[int, str]:
    (tmp_path / "customers.csv").write_text(customers, encoding="utf-8")
    (tmp_path / "products.csv").write_text(products, encoding="utf-8")
    result = CliRunner().invoke(main, ["suitability", str(tmp_path / "customers.csv"),
                                       "--products", str(tmp_path / "products.csv"),
                                       "--as-of", ON, "--json", *more])
    return result.exit_code, result.output


PRODUCTS = "id,kind,risk_level,private\npe-r4,fund,R4,true\n"


@pytest.mark.parametrize("column", ["amount", "product.id", "sale.first_purchase"])
def test_a_customers_file_with_a_sales_column_is_refused(tmp_path: Path, column: str) -> None:
    # amount 5,000,000 against investable assets of 100,000 was dropped: the sale decided
    # without amount-exceeds-assets, exit 0
    code, output = _run(tmp_path, "id,risk_level,assessment_date,investable_assets," + column
                        + "\nc1,C4,2026-01-05,100000,5000000\n", PRODUCTS)
    assert code == 3
    assert f"customers.csv line 2: {column}: unknown column (a customers file against " \
           "products holds customer fields" in output


@pytest.mark.parametrize("column", ["amount", "customer.id"])
def test_a_products_file_with_another_column_is_refused(tmp_path: Path, column: str) -> None:
    code, output = _run(tmp_path, "id,risk_level,assessment_date\nc1,C4,2026-01-05\n",
                        f"id,kind,risk_level,{column}\npe-r4,fund,R4,1000000\n")
    assert code == 3
    assert f"products.csv line 2: {column}: unknown column (a products file holds product " \
           "fields" in output


def test_such_a_column_is_refused_though_its_cells_are_empty(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "id,risk_level,assessment_date,amount\nc1,C4,2026-01-05,\n",
                        PRODUCTS)
    assert code == 3 and "amount: unknown column" in output


def test_prefixed_and_bare_fields_of_the_file_s_own_part_are_read(tmp_path: Path) -> None:
    code, output = _run(tmp_path, "customer.id,risk_level,customer.assessment_date\n"
                                  "c1,C4,2026-01-05\n",
                        "product.id,kind,product.risk_level\npe-r4,fund,R4\n")
    assert code == 0, output
    assert '"conditional": 0' in output and '"suitable": 1' in output
