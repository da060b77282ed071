"""What would change a suitability decision, when the amount is in the way: a smaller amount
that still is a sale, never an amount of nothing."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
ON = dt.date(2026, 3, 2)
FUND = fp.Product(id="tdf-2045", kind="wealth_management", risk_level="R3")


def _customer(assets: float) -> fp.Customer:
    return fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 5),
                       birth_date=dt.date(1980, 1, 1), investable_assets=assets)


def test_a_customer_without_investable_assets_is_not_told_to_buy_nothing() -> None:
    # the explainer offered "reduce the amount to at most 0.00 → suitable": a sale of nothing
    x = ENGINE.explain("check_suitability", _customer(0), FUND, amount=1_000, as_of=ON)
    assert x.decision.outcome == "unsuitable"
    assert "amount-exceeds-assets" in x.decision.rule_ids
    assert not any(c.path == "/amount" and not c.value
                   for s in x.suggestions for c in s.changes)
    assert x.suggestions == ()


def test_the_smallest_amount_offered_is_a_sale_and_does_what_it_says() -> None:
    x = ENGINE.explain("check_suitability", _customer(0.01), FUND, amount=1_000, as_of=ON)
    offered = [(s.text, s.outcome) for s in x.suggestions]
    assert offered == [("reduce the amount to at most 0.01", "conditional")]
    after = ENGINE.check_suitability(_customer(0.01), FUND, amount=0.01, as_of=ON)
    assert after.outcome == "conditional"


def test_an_amount_above_the_assets_comes_down_to_what_fits() -> None:
    x = ENGINE.explain("check_suitability", _customer(100_000), FUND, amount=200_000,
                       as_of=ON)
    offered = {s.text: s.outcome for s in x.suggestions}
    assert offered == {"reduce the amount to at most 50,000.00": "suitable",
                       "reduce the amount to at most 100,000.00": "conditional"}
    for amount, outcome in ((50_000, "suitable"), (100_000, "conditional")):
        d = ENGINE.check_suitability(_customer(100_000), FUND, amount=amount, as_of=ON)
        assert d.outcome == outcome


def test_the_share_of_no_assets_is_said_to_be_a_cap() -> None:
    # the clause read "the sale's share of the customer's investable assets is greater than 1
    # (it is 1e+06)", a share the customer does not have, with nothing saying why
    x = ENGINE.explain("check_suitability", _customer(0), FUND, amount=1_000, as_of=ON)
    assert x.notes[0] == ("the customer's investable assets are 0, so any amount is more "
                          "than all of them: the share of the assets is shown as 1,000,000, "
                          "the largest the rules compare")
    some = ENGINE.explain("check_suitability", _customer(100_000), FUND, amount=200_000,
                          as_of=ON)
    assert some.notes == ()
