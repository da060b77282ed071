"""An offer listing one product id twice (p1 at R3, and again at R5) gave each customer two
decisions for p1, suitable and unsuitable, through the typed API, tables and the command
line; now it is refused naming the second listing and where the first is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

ON = dt.date(2026, 3, 2)
CUSTOMER = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 5),
                       birth_date=dt.date(1980, 1, 1))
P1_R3 = fp.Product(id="p1", kind="wealth_management", risk_level="R3")
P2 = fp.Product(id="p2", kind="fund", risk_level="R2")
P1_R5 = fp.Product(id="p1", kind="wealth_management", risk_level="R5")
ENGINE = fp.PolicyEngine(fp.load_bundle())


def test_the_typed_api_refuses_a_product_listed_twice() -> None:
    with pytest.raises(fp.InputError) as caught:
        ENGINE.suitable_products(CUSTOMER, [P1_R3, P2, P1_R5], as_of=ON)
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == ("products.2.id", "duplicate_value")
    assert "`p1` is listed twice (first as products.0)" in problem.message
    assert len(ENGINE.suitable_products(CUSTOMER, [P1_R3, P2], as_of=ON)) == 2


def test_a_table_s_offer_refuses_it_at_its_line(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    book = pa.table({"id": ["c1"], "risk_level": ["C3"], "assessment_date": ["2026-01-05"],
                     "birth_date": ["1980-01-01"]})
    with pytest.raises(fp.InputError, match=r"products\.2\.id: product `p1` is listed twice"):
        ENGINE.evaluate_table("suitability", book, as_of=ON, products=[P1_R3, P2, P1_R5])
    offer = tmp_path / "products.csv"
    offer.write_text("id,kind,risk_level\np1,wealth_management,R3\np2,fund,R2\n"
                     "p1,wealth_management,R5\n", encoding="utf-8")
    with pytest.raises(fp.InputError) as caught:
        ENGINE.evaluate_table("suitability", book, as_of=ON, products=offer)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.code) == (str(offer), 4, "duplicate_value")
    assert "(first at line 2)" in problem.message
    customers = tmp_path / "customers.csv"
    customers.write_text("id,risk_level,assessment_date,birth_date\n"
                         "c1,C3,2026-01-05,1980-01-01\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["suitability", str(customers), "--products", str(offer),
                                       "--as-of", ON.isoformat()])
    assert result.exit_code == 3, result.output
    assert "line 4" in result.output and "listed twice" in result.output
