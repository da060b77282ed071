"""Suitability properties: monotone in customer level, product level and assessment freshness;
both engines agree. Dates straddle the 2026-02-01 switch, so both versions are exercised."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import finpolicy as fp

C_LEVELS = ["C1", "C2", "C3", "C4", "C5"]
R_LEVELS = ["R1", "R2", "R3", "R4", "R5"]
ORDER = {"suitable": 0, "conditional": 1, "unsuitable": 2}
KINDS = ["wealth_management", "fund", "stock", "insurance", "structured_deposit",
         "time_deposit", "bond"]

dates = st.dates(dt.date(2025, 6, 1), dt.date(2026, 6, 30))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A customer (as fields), a product (as fields), an amount and an evaluation date."""
    on = draw(dates)
    days_ago = draw(st.integers(0, 500))
    assessed = on - dt.timedelta(days=days_ago)
    # earlier assessments lie at or before the assessment; some on its day
    history = [assessed - dt.timedelta(days=d)
               for d in draw(st.lists(st.integers(0, 400), max_size=10))]
    kind = draw(st.sampled_from(["individual", "individual", "institution"]))
    customer = {
        "id": "c", "kind": kind,
        "risk_level": draw(st.sampled_from(C_LEVELS)),
        "assessment_date": assessed,
        "assessment_history": history,
        "birth_date": (None if kind == "institution" else
                       on - dt.timedelta(days=draw(st.integers(18 * 365, 90 * 365)))),
        "investor_type": draw(st.sampled_from(["ordinary", "professional"])),
        "legal_capacity": draw(st.sampled_from(["full", "full", "limited", "none"])),
        "guardian_consent": draw(st.booleans()),
        "investable_assets": draw(st.none() | st.sampled_from([0.0, 50_000.0, 1e6])),
        "investment_horizon_months": draw(st.none() | st.integers(0, 60)),
        "liquidity_need": draw(st.none() | st.sampled_from(["low", "medium", "high"])),
    }
    product = {
        "id": "p", "kind": draw(st.sampled_from(KINDS)),
        "risk_level": draw(st.sampled_from(R_LEVELS)),
        "issuer_risk_level": draw(st.none() | st.sampled_from(R_LEVELS)),
        "term_months": draw(st.none() | st.integers(0, 60)),
        "principal_protected": draw(st.booleans()),
        "redemption": draw(st.none() | st.sampled_from(["daily", "periodic", "closed"])),
        "private": draw(st.booleans()),
    }
    amount = draw(st.none() | st.sampled_from([0.0, 10_000.0, 30_000.0, 60_000.0, 2e6]))
    return {"customer": customer, "product": product, "amount": amount, "on": on}


def outcome(engine: fp.PolicyEngine, s: dict[str, Any], **changes: Any) -> int:
    customer = {**s["customer"], **changes.get("customer", {})}
    product = {**s["product"], **changes.get("product", {})}
    d = engine.check_suitability(customer, product, amount=s["amount"], as_of=s["on"])
    return ORDER[d.outcome]


@given(scenarios(), st.integers(0, 4), st.integers(0, 4))
def test_raising_the_customer_level_never_makes_the_outcome_stricter(
        engines: dict[str, fp.PolicyEngine], s: dict[str, Any], i: int, j: int) -> None:
    low, high = sorted((i, j))
    engine = engines["compiled"]
    assert (outcome(engine, s, customer={"risk_level": C_LEVELS[high]})
            <= outcome(engine, s, customer={"risk_level": C_LEVELS[low]}))


@given(scenarios(), st.integers(0, 4), st.integers(0, 4))
def test_raising_the_product_level_never_makes_the_outcome_looser(
        engines: dict[str, fp.PolicyEngine], s: dict[str, Any], i: int, j: int) -> None:
    low, high = sorted((i, j))
    engine = engines["compiled"]
    for field in ("risk_level", "issuer_risk_level"):
        assert (outcome(engine, s, product={field: R_LEVELS[high]})
                >= outcome(engine, s, product={field: R_LEVELS[low]}))


@given(scenarios(), st.integers(0, 500))
def test_a_fresher_assessment_never_makes_the_outcome_stricter(
        engines: dict[str, fp.PolicyEngine], s: dict[str, Any], fresher_by: int) -> None:
    engine = engines["compiled"]
    assessed = s["customer"]["assessment_date"]
    fresher = min(s["on"], assessed + dt.timedelta(days=fresher_by))
    assert (outcome(engine, s, customer={"assessment_date": fresher})
            <= outcome(engine, s))


@given(scenarios())
def test_both_engines_agree_on_generated_customers_and_products(
        engines: dict[str, fp.PolicyEngine], s: dict[str, Any]) -> None:
    decisions = [e.check_suitability(s["customer"], s["product"], amount=s["amount"],
                                     as_of=s["on"]) for e in engines.values()]
    compiled, durable = decisions
    assert (compiled.outcome, compiled.hits, compiled.obligations) == \
        (durable.outcome, durable.hits, durable.obligations)
    assert compiled.input_digest == durable.input_digest


@given(scenarios())
def test_suitable_products_agrees_with_check_suitability(
        engines: dict[str, fp.PolicyEngine], s: dict[str, Any]) -> None:
    engine = engines["compiled"]
    shelf = [{**s["product"], "id": f"p{i}", "risk_level": level}
             for i, level in enumerate(R_LEVELS)]
    listed = engine.suitable_products(s["customer"], shelf, as_of=s["on"])
    assert [ORDER[d.outcome] for d in listed] == sorted(ORDER[d.outcome] for d in listed)
    for d in listed:
        one = engine.check_suitability(s["customer"], next(p for p in shelf
                                                           if p["id"] == d.product_id),
                                       as_of=s["on"])
        assert d == one
