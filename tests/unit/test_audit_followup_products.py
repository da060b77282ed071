"""``audit find`` on ``suitable_products`` entries names the product each decision concerns
(``products.2 (id *****)``), or the products it may concern when the log cannot tell."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, find_entries
from finpolicy.cli import main

ON = dt.date(2026, 3, 2)


def _product(ident: str, level: str) -> fp.Product:
    return fp.Product(id=ident, kind="wealth_management", risk_level=level)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three lists of products for a C3 customer (R5 is unsuitable): ids of three lengths,
    two products that both suit, and two of one length whose outcomes differ."""
    where = str(tmp_path_factory.mktemp("products") / "log")
    log = DecisionLog(where, keys=AuditKeys.generate(), application="branch-app")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    customer = fp.Customer(id="610113196105075585", risk_level="C3",
                           assessment_date=ON - dt.timedelta(days=30),
                           birth_date=dt.date(1985, 6, 1), investable_assets=480_000.0)
    for products in ([_product("P-1", "R2"), _product("P-22", "R5"), _product("P-333", "R2")],
                     [_product("P-1", "R1"), _product("P-2", "R2")],
                     [_product("P-1", "R5"), _product("P-2", "R2")]):
        engine.suitable_products(customer, products, as_of=ON)
    log.close()
    return where


def test_each_decision_names_the_product_it_concerns(logged: str) -> None:
    from finpolicy.audit.search import decision_places

    distinct, alike, unknown = (decision_places(f.entry)
                                for f in find_entries(logged, None, domain="suitability"))
    # suitable first: P-1 and P-333, then P-22 (told apart by their masked ids' lengths)
    assert distinct == [("products.0",), ("products.2",), ("products.1",)]
    assert alike == [("products.0",), ("products.1",)]  # one outcome: in the given order
    assert unknown == [("products.0", "products.1"), ("products.0", "products.1")]


def test_cli_labels_each_decision(logged: str) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["audit", "find", logged, "--domain", "suitability"])
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.output.splitlines() if "decided" in line]
    assert [line.split(": decided ")[0] for line in lines[:3]] == [
        "products.0 (id ***)", "products.2 (id *****)", "products.1 (id ****)"]
    assert lines[3].startswith("products.0 (id ***): decided suitable")
    assert lines[5].startswith("products.0 or products.1 (the log cannot tell which: their "
                               "ids are masked alike): decided suitable")
    data = json.loads(runner.invoke(main, ["audit", "find", logged, "--domain",
                                           "suitability", "--json"]).output)
    assert data["entries"][0]["decided_for"] == [["products.0"], ["products.2"],
                                                 ["products.1"]]
