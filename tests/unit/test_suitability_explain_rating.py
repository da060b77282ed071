"""Why not suitable, when the issuer's higher rating is the one that counts (NFRA 2025 No. 7
Art. 22): the smallest change is a product rated at the customer's level by both."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
C3 = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2025, 12, 1),
                 birth_date=dt.date(1970, 1, 1))
# the seller rates it R3, the issuer R4: R4 counts from 2026-02-01
WM = fp.Product(id="wm-17", kind="wealth_management", risk_level="R3", issuer_risk_level="R4")


def test_a_product_both_rate_at_the_customers_level_is_offered_first() -> None:
    # the explainer counted down from the seller's R3 and offered only an R2 product, saying
    # "this one is rated `R3`", though the product is R4 and one rated R3 by both would do
    x = ENGINE.explain("check_suitability", C3, WM, as_of=dt.date(2026, 3, 1))
    assert x.decision.outcome == "unsuitable"
    first = x.suggestions[0]
    assert first.text == ("offer a product rated `R3` instead (this one is rated `R4`, the "
                          "issuer's rating)")
    assert [(c.path, c.value) for c in first.changes] == [("/product/issuer_risk_level", "R3")]
    assert first.outcome == "suitable"
    fixed = WM.model_copy(update={"issuer_risk_level": "R3"})
    assert ENGINE.check_suitability(C3, fixed, as_of=dt.date(2026, 3, 1)).outcome == "suitable"


def test_under_the_2018_rule_the_sellers_rating_counts() -> None:
    c2 = C3.model_copy(update={"risk_level": "C2"})
    x = ENGINE.explain("check_suitability", c2, WM, as_of=dt.date(2026, 1, 20))
    first = x.suggestions[0]
    assert first.text == "offer a product rated `R2` instead (this one is rated `R3`)"
    # the issuer's R4 comes down too: the offer is a product rated R2, whoever rates it
    assert {(c.path, c.value) for c in first.changes} == {
        ("/product/risk_level", "R2"), ("/product/issuer_risk_level", "R2")}
