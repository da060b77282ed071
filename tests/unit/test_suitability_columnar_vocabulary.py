"""A product kind outside the bundle's declared vocabulary is refused by the table routes as by
the row engine: it is never decided as some other kind of product."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 1)
CUSTOMER = {"id": "c1", "risk_level": "C3", "assessment_date": "2025-12-01"}


def _book(kind: str) -> pa.Table:
    return pa.table({"customer.id": ["c1", "c2"], "customer.risk_level": ["C3", "C3"],
                     "customer.assessment_date": ["2025-12-01"] * 2,
                     "product.id": ["wm", "x"], "product.kind": ["wealth_management", kind],
                     "product.risk_level": ["R3", "R4"]})


@pytest.mark.parametrize(("kind", "hint"), [
    ("crypto", " (one of: bond, deposit, fund, futures, insurance, securities, stock, "
               "structured_deposit, time_deposit, wealth_management)"),
    ("Fund", " (did you mean `fund`?)")])
def test_a_table_with_an_unknown_kind_is_refused_naming_the_row(kind: str, hint: str) -> None:
    # the table routes decided `crypto` R3 as suitable and `Fund` R4 as an R4 wealth product
    # (unsuitable, no written warning: not a fund), where check_suitability refuses the kind
    message = (f"product.kind: unknown product kind `{kind}`, not in the declared vocabulary "
               f"`product_kinds`{hint}")
    with pytest.raises(fp.InputError, match="unknown product kind"):
        ENGINE.check_suitability(CUSTOMER, {"id": "x", "kind": kind, "risk_level": "R4"},
                                 as_of=ON)
    with pytest.raises(fp.InputError) as caught:
        ENGINE.evaluate_table("suitability", _book(kind), as_of=ON)
    assert str(caught.value) == f"table line 2: {message}"
    assert caught.value.problems[0].path == "product.kind"
    offer = [fp.Product(id="x", kind=kind, risk_level="R4")]
    with pytest.raises(fp.InputError, match="unknown product kind"):
        ENGINE.evaluate_table("suitability", pa.table({"id": ["c1"], "risk_level": ["C3"]}),
                              as_of=ON, products=offer)


def test_finpolicy_suitability_refuses_a_parquet_book_as_a_csv_one(tmp_path: Path) -> None:
    pq.write_table(_book("crypto"), tmp_path / "book.parquet")
    result = CliRunner().invoke(main, ["suitability", str(tmp_path / "book.parquet"),
                                       "--as-of", ON.isoformat()])
    assert result.exit_code == 3
    assert "book.parquet line 2: product.kind: unknown product kind `crypto`" in result.output
