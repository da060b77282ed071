"""Suitability: the matrix, every rule at its boundary, both versions, both engines, bad input."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains import suitability as su

OLD = dt.date(2026, 1, 31)  # last day of cn-suitability 1.x (2018 rule)
NEW = dt.date(2026, 2, 1)  # first day of cn-suitability 2.x (NFRA 2025 rule)
BOTH = pytest.mark.parametrize("on", [OLD, NEW], ids=["2018-rule", "2025-rule"])
C_LEVELS = ["C1", "C2", "C3", "C4", "C5"]
R_LEVELS = ["R1", "R2", "R3", "R4", "R5"]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def customer(**fields: Any) -> fp.Customer:
    data: dict[str, Any] = {"id": "c", "risk_level": "C3", "assessment_date": dt.date(2025, 12, 1),
                            "birth_date": dt.date(1980, 5, 5)}
    data.update(fields)
    return fp.Customer(**data)


def product(**fields: Any) -> fp.Product:
    data: dict[str, Any] = {"id": "p", "kind": "wealth_management", "risk_level": "R3"}
    data.update(fields)
    return fp.Product(**data)


def check(engine: fp.PolicyEngine, on: dt.date, *, amount: Any = None, c: Any = None,
          p: Any = None, **customer_fields: Any) -> su.SuitabilityDecision:
    return engine.check_suitability(c if c is not None else customer(**customer_fields),
                                    p if p is not None else product(), amount=amount, as_of=on)


# --- versions ------------------------------------------------------------------------------

def test_version_in_force_switches_between_2026_01_31_and_02_01(engine: fp.PolicyEngine) -> None:
    assert check(engine, OLD).policy.version.startswith("1.")
    assert check(engine, NEW).policy.version.startswith("2.")
    assert check(engine, NEW).policy.id == check(engine, OLD).policy.id == "cn-suitability"


def test_no_policy_in_force_before_the_2018_rule_raises_not_in_force(
        engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.NotInForceError):
        check(engine, dt.date(2018, 9, 25), assessment_date=dt.date(2018, 9, 1))


_DIFFERENCES = {
    # rule that differs: (customer fields, product fields, amount, outcome on 01-31, on 02-01)
    "higher rating counts": ({}, {"issuer_risk_level": "R4"}, None, "suitable", "unsuitable"),
    "expired assessment": ({"assessment_date": dt.date(2025, 1, 1)}, {}, None, "conditional",
                           "unsuitable"),
    "3rd assessment of a day": ({"assessment_date": dt.date(2026, 1, 20),
                                 "assessment_history": [dt.date(2026, 1, 20)] * 2}, {}, None,
                                "suitable", "unsuitable"),
    "9th assessment in 12 months": ({"assessment_date": dt.date(2026, 1, 20),
                                     "assessment_history": [dt.date(2025, 6, 1)] * 8}, {}, None,
                                    "suitable", "unsuitable"),
    "elderly special care": ({"risk_level": "C5", "birth_date": dt.date(1950, 1, 1)},
                             {"risk_level": "R4"}, None, "suitable", "conditional"),
    "limited capacity, low risk only": ({"legal_capacity": "limited", "guardian_consent": True},
                                        {"risk_level": "R2"}, None, "suitable", "unsuitable"),
    "amount beyond assets": ({"investable_assets": 10_000}, {}, 20_000, "conditional",
                             "unsuitable"),
    "insurance override": ({"risk_level": "C2"}, {"kind": "insurance"}, None, "unsuitable",
                           "conditional"),
}


@pytest.mark.parametrize("name", list(_DIFFERENCES))
def test_2026_01_31_and_02_01_differ_wherever_the_rules_differ(engine: fp.PolicyEngine,
                                                               name: str) -> None:
    fields, product_fields, amount, before, after = _DIFFERENCES[name]
    c, p = customer(**fields), product(**product_fields)
    assert engine.check_suitability(c, p, amount=amount, as_of=OLD).outcome == before
    assert engine.check_suitability(c, p, amount=amount, as_of=NEW).outcome == after


# --- the matrix ----------------------------------------------------------------------------

@BOTH
@pytest.mark.parametrize("c_level", C_LEVELS)
@pytest.mark.parametrize("r_level", R_LEVELS)
def test_wealth_product_matrix_is_suitable_up_to_the_customer_level_and_never_above(
        engine: fp.PolicyEngine, on: dt.date, c_level: str, r_level: str) -> None:
    d = check(engine, on, risk_level=c_level, p=product(risk_level=r_level))
    above = R_LEVELS.index(r_level) > C_LEVELS.index(c_level)
    assert d.outcome == ("unsuitable" if above else "suitable")
    assert ("above-tolerance" in d.rule_ids) is above
    assert "written_warning" not in d.obligations
    assert (d.customer_level, d.product_level) == (c_level, r_level)


@BOTH
@pytest.mark.parametrize("c_level", C_LEVELS)
@pytest.mark.parametrize("r_level", R_LEVELS)
def test_securities_matrix_allows_a_written_warning_above_tolerance_except_for_c1(
        engine: fp.PolicyEngine, on: dt.date, c_level: str, r_level: str) -> None:
    d = check(engine, on, risk_level=c_level, p=product(kind="fund", risk_level=r_level))
    above = R_LEVELS.index(r_level) > C_LEVELS.index(c_level)
    if not above:
        assert d.outcome == "suitable"
        assert "written_warning" not in d.obligations
    elif c_level == "C1":
        assert d.outcome == "unsuitable"
        assert "securities-lowest-level" in d.rule_ids
        assert "written_warning" not in d.obligations
    else:
        assert d.outcome == "conditional"
        assert "written_warning" in d.obligations
        assert d.rule_ids[0] == "securities-written-warning"


@BOTH
def test_securities_warning_cites_the_securities_rule(engine: fp.PolicyEngine,
                                                       on: dt.date) -> None:
    d = check(engine, on, risk_level="C2", p=product(kind="stock", risk_level="R5"))
    hit = next(h for h in d.hits if h.rule_id == "securities-written-warning")
    assert hit.cite.startswith("csrc-2016-130 Art. 19")
    # from 2026-02-01 the cite says why the CSRC rule still applies (NFRA 2025 No. 7 Art. 3)
    assert ("nfra-2025-7 Art. 3" in hit.cite) == (on == NEW)


def test_insurance_above_tolerance_is_conditional_only_under_the_2025_rule(
        engine: fp.PolicyEngine) -> None:
    p = product(kind="insurance", risk_level="R4")
    assert check(engine, OLD, risk_level="C2", p=p).outcome == "unsuitable"
    d = check(engine, NEW, risk_level="C2", p=p)
    assert d.outcome == "conditional"
    assert {"risk_explanation", "written_confirmation"} <= set(d.obligations)


# --- rating: the higher of issuer and seller (2025 rule only) -------------------------------

def test_issuer_rating_above_seller_rating_counts_from_2026_02_01(
        engine: fp.PolicyEngine) -> None:
    p = product(risk_level="R3", issuer_risk_level="R4")
    old, new = check(engine, OLD, p=p), check(engine, NEW, p=p)
    assert (old.outcome, old.product_level) == ("suitable", "R3")
    assert (new.outcome, new.product_level) == ("unsuitable", "R4")
    assert "higher-rating-counts" in new.rule_ids
    assert "disclose_higher_rating" in new.obligations
    assert new.seller_level == "R3"
    assert "(R4, the higher rating; the seller's is R3)" in new.explain()


@BOTH
def test_issuer_rating_below_seller_rating_leaves_the_seller_rating(
        engine: fp.PolicyEngine, on: dt.date) -> None:
    d = check(engine, on, p=product(risk_level="R4", issuer_risk_level="R2"))
    assert (d.outcome, d.product_level) == ("unsuitable", "R4")
    assert "higher-rating-counts" not in d.rule_ids


# --- assessment validity: valid through day 365, expired from day 366 ----------------------

@BOTH
@pytest.mark.parametrize("days, expired", [(0, False), (365, False), (366, True), (900, True)])
def test_assessment_is_valid_through_day_365_and_expired_from_day_366(
        engine: fp.PolicyEngine, on: dt.date, days: int, expired: bool) -> None:
    d = check(engine, on, assessment_date=on - dt.timedelta(days=days))
    assert d.assessment_age_days == days
    assert d.assessment_expired is expired
    assert ("assessment-expired" in d.rule_ids) is expired
    if expired:
        assert d.outcome == ("conditional" if on == OLD else "unsuitable")
        assert "reassess_risk_tolerance" in d.obligations
    else:
        assert d.outcome == "suitable"


@BOTH
@pytest.mark.parametrize("c_level", C_LEVELS)
@pytest.mark.parametrize("r_level", R_LEVELS)
def test_expired_assessment_is_never_suitable(engine: fp.PolicyEngine, on: dt.date,
                                              c_level: str, r_level: str) -> None:
    for kind in ("wealth_management", "fund"):
        d = check(engine, on, risk_level=c_level, assessment_date=on - dt.timedelta(days=366),
                  p=product(kind=kind, risk_level=r_level))
        assert d.outcome != "suitable"


def test_aware_assessment_datetime_counts_on_its_shanghai_day(engine: fp.PolicyEngine) -> None:
    # 2025-02-01T20:00Z is 2025-02-02 04:00 in Shanghai: day 365 before 2026-02-02, not day 366
    when = dt.datetime(2025, 2, 1, 20, 0, tzinfo=dt.UTC)
    d = check(engine, dt.date(2026, 2, 2), assessment_date=when)
    assert (d.assessment_age_days, d.assessment_expired) == (365, False)


@BOTH
def test_missing_assessment_is_unsuitable(engine: fp.PolicyEngine, on: dt.date) -> None:
    for fields in ({"assessment_date": None}, {"risk_level": None}):
        d = check(engine, on, **fields)
        assert d.outcome == "unsuitable"
        assert "assessment-missing" in d.rule_ids


# --- assessment frequency: 2 a day, 8 in 12 months (2025 rule only) ------------------------

def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize("earlier_today, too_many", [(0, False), (1, False), (2, True)])
def test_the_third_assessment_of_a_day_is_unsuitable_under_the_2025_rule(
        engine: fp.PolicyEngine, earlier_today: int, too_many: bool) -> None:
    history = [_at(NEW, 9 + i) for i in range(earlier_today)]
    d = check(engine, NEW, assessment_date=_at(NEW, 15), assessment_history=history)
    assert d.assessments_that_day == earlier_today + 1
    assert ("assessment-too-frequent-day" in d.rule_ids) is too_many
    assert d.outcome == ("unsuitable" if too_many else "suitable")
    old = check(engine, OLD, assessment_date=_at(OLD, 15),
                assessment_history=[_at(OLD, 9 + i) for i in range(earlier_today)])
    assert old.outcome == "suitable"  # the 2018 rule has no frequency limit


@pytest.mark.parametrize("earlier, too_many", [(7, False), (8, True)])
def test_the_ninth_assessment_in_12_months_is_unsuitable_under_the_2025_rule(
        engine: fp.PolicyEngine, earlier: int, too_many: bool) -> None:
    current = NEW - dt.timedelta(days=10)
    history = [current - dt.timedelta(days=30 * (i + 1)) for i in range(earlier)]
    d = check(engine, NEW, assessment_date=current, assessment_history=history)
    assert d.assessments_12m == earlier + 1
    assert ("assessment-too-frequent-12m" in d.rule_ids) is too_many
    assert d.outcome == ("unsuitable" if too_many else "suitable")


@pytest.mark.parametrize("gap, counted", [(365, True), (366, False)])
def test_the_12_month_window_counts_assessments_up_to_365_days_before(
        engine: fp.PolicyEngine, gap: int, counted: bool) -> None:
    current = NEW
    history = [current - dt.timedelta(days=d) for d in (1, 2, 3, 4, 5, 6, 7)]
    history.append(current - dt.timedelta(days=gap))
    d = check(engine, NEW, assessment_date=current, assessment_history=history)
    assert d.assessments_12m == (9 if counted else 8)
    assert (d.outcome == "unsuitable") is counted


# --- elderly customers: special care from 65 for R4 and above (2025 rule) ------------------

@pytest.mark.parametrize("age", [64, 65])
@pytest.mark.parametrize("r_level", ["R3", "R4", "R5"])
def test_customers_65_and_over_get_special_care_for_high_risk_products(
        engine: fp.PolicyEngine, age: int, r_level: str) -> None:
    born = dt.date(NEW.year - age, NEW.month, NEW.day)  # exactly `age` today
    d = check(engine, NEW, risk_level="C5", birth_date=born, p=product(risk_level=r_level))
    assert d.customer_age == age
    cared = age >= 65 and r_level != "R3"
    assert ("elderly-high-risk" in d.rule_ids) is cared
    assert d.outcome == ("conditional" if cared else "suitable")
    if cared:
        assert {"extra_consideration_time", "follow_up_call"} <= set(d.obligations)


def test_elderly_rule_starts_on_2026_02_01(engine: fp.PolicyEngine) -> None:
    born = dt.date(1950, 1, 1)
    p = product(risk_level="R5")
    assert check(engine, OLD, risk_level="C5", birth_date=born, p=p).outcome == "suitable"
    assert check(engine, NEW, risk_level="C5", birth_date=born, p=p).outcome == "conditional"


def test_age_turns_on_the_birthday_and_on_1_march_for_29_february() -> None:
    assert su.age_on(dt.date(1961, 2, 1), dt.date(2026, 1, 31)) == 64
    assert su.age_on(dt.date(1961, 2, 1), dt.date(2026, 2, 1)) == 65
    assert su.age_on(dt.date(2000, 2, 29), dt.date(2025, 2, 28)) == 24
    assert su.age_on(dt.date(2000, 2, 29), dt.date(2025, 3, 1)) == 25
    assert su.age_on(dt.date(2000, 2, 29), dt.date(2024, 2, 29)) == 24


def test_institutions_have_no_age_and_get_no_elderly_rule(engine: fp.PolicyEngine) -> None:
    d = check(engine, NEW, kind="institution", birth_date=None, risk_level="C5",
              p=product(risk_level="R5"))
    assert d.customer_age is None
    assert d.outcome == "suitable"


# --- legal capacity ------------------------------------------------------------------------

@BOTH
@pytest.mark.parametrize("r_level", R_LEVELS)
def test_no_sale_to_a_person_without_legal_capacity(engine: fp.PolicyEngine, on: dt.date,
                                                    r_level: str) -> None:
    d = check(engine, on, risk_level="C5", legal_capacity="none", guardian_consent=True,
              p=product(risk_level=r_level))
    assert d.outcome == "unsuitable"
    assert "no-legal-capacity" in d.rule_ids


@pytest.mark.parametrize("r_level, consent, outcome", [
    ("R1", False, "conditional"), ("R1", True, "suitable"),
    ("R2", True, "unsuitable"), ("R2", False, "unsuitable")])
def test_limited_capacity_buys_low_risk_only_with_guardian_consent_under_the_2025_rule(
        engine: fp.PolicyEngine, r_level: str, consent: bool, outcome: str) -> None:
    d = check(engine, NEW, risk_level="C5", legal_capacity="limited", guardian_consent=consent,
              p=product(risk_level=r_level))
    assert d.outcome == outcome
    assert ("guardian_consent" in d.obligations) is (outcome == "conditional")


@pytest.mark.parametrize("consent, outcome", [(False, "conditional"), (True, "suitable")])
def test_limited_capacity_under_the_2018_rule_needs_consent_at_any_level(
        engine: fp.PolicyEngine, consent: bool, outcome: str) -> None:
    d = check(engine, OLD, risk_level="C5", legal_capacity="limited", guardian_consent=consent,
              p=product(risk_level="R3"))
    assert d.outcome == outcome


# --- horizon, liquidity, amount ------------------------------------------------------------

@BOTH
@pytest.mark.parametrize("term, hit", [(12, False), (13, True)])
def test_term_beyond_the_customer_horizon_is_conditional(engine: fp.PolicyEngine, on: dt.date,
                                                         term: int, hit: bool) -> None:
    d = check(engine, on, investment_horizon_months=12, p=product(term_months=term))
    assert ("term-beyond-horizon" in d.rule_ids) is hit
    assert d.outcome == ("conditional" if hit else "suitable")


@BOTH
@pytest.mark.parametrize("redemption, outcome", [("closed", "conditional"),
                                                 ("daily", "suitable")])
def test_high_liquidity_need_and_a_closed_product_is_conditional(
        engine: fp.PolicyEngine, on: dt.date, redemption: str, outcome: str) -> None:
    d = check(engine, on, liquidity_need="high", p=product(redemption=redemption))
    assert d.outcome == outcome


@BOTH
@pytest.mark.parametrize("amount", [None, 0, 50_000, 50_000.01, 100_000, 100_000.01, 250_000])
def test_amount_against_investable_assets(engine: fp.PolicyEngine, on: dt.date,
                                          amount: float | None) -> None:
    d = check(engine, on, investable_assets=100_000, amount=amount)
    share = 0 if amount is None else amount / 100_000
    assert ("amount-large-share" in d.rule_ids) is (share > 0.5)
    exceeds = share > 1 and on == NEW  # "clearly does not fit": the 2025 rule only
    assert ("amount-exceeds-assets" in d.rule_ids) is exceeds
    expected = "unsuitable" if exceeds else "conditional" if share > 0.5 else "suitable"
    assert d.outcome == expected
    assert d.amount == (None if amount is None else float(amount))


def test_any_amount_with_no_investable_assets_exceeds_them(engine: fp.PolicyEngine) -> None:
    assert check(engine, NEW, investable_assets=0, amount=1).outcome == "unsuitable"
    assert check(engine, NEW, investable_assets=0, amount=0).outcome == "suitable"


# --- investor type, routine obligations ----------------------------------------------------

def test_professional_individuals_are_treated_as_ordinary_under_the_2025_rule(
        engine: fp.PolicyEngine) -> None:
    d = check(engine, NEW, investor_type="professional")
    assert "professional-individual-not-recognised" in d.rule_ids
    assert d.outcome == "suitable"
    assert "professional-individual-not-recognised" not in check(
        engine, NEW, investor_type="professional", kind="institution").rule_ids
    assert "professional-individual-not-recognised" not in check(
        engine, OLD, investor_type="professional").rule_ids


@BOTH
def test_routine_obligations_come_with_a_suitable_outcome(engine: fp.PolicyEngine,
                                                          on: dt.date) -> None:
    d = check(engine, on, p=product(kind="structured_deposit", risk_level="R2", private=True))
    assert d.outcome == "suitable"
    assert set(d.obligations) == {"risk_disclosure_signed", "principal_loss_disclosure",
                                  "dual_recording", "cooling_off_24h"}
    deposit = check(engine, on, p=product(kind="time_deposit", risk_level="R1",
                                          principal_protected=True))
    # every sale, even of a deposit, comes with a signed risk disclosure (seed 000 §3.4)
    assert (deposit.outcome, deposit.obligations, deposit.rule_ids) == (
        "suitable", ("risk_disclosure_signed",), ("risk-disclosure",))


@BOTH
def test_most_restrictive_outcome_wins_and_obligations_are_unioned(
        engine: fp.PolicyEngine, on: dt.date) -> None:
    d = check(engine, on, risk_level="C2", investment_horizon_months=3,
              p=product(risk_level="R4", term_months=24))
    assert d.outcome == "unsuitable"
    assert {"above-tolerance", "term-beyond-horizon"} <= set(d.rule_ids)
    assert "extra_consideration_time" in d.obligations
    assert list(d.obligations) == sorted(set(d.obligations))


# --- the two engines agree -----------------------------------------------------------------

def _cases() -> list[tuple[dt.date, fp.Customer, fp.Product, float | None]]:
    cases = []
    for on in (OLD, NEW):
        for c_level in C_LEVELS:
            for r_level in R_LEVELS:
                for kind in ("wealth_management", "fund", "insurance"):
                    cases.append((on, customer(risk_level=c_level, birth_date=dt.date(1960, 1, 1),
                                               investable_assets=100_000,
                                               investment_horizon_months=6),
                                  product(kind=kind, risk_level=r_level, issuer_risk_level="R3",
                                          term_months=12), 60_000.0))
    return cases


def test_compiled_and_durable_engines_give_equal_decisions(
        engines: dict[str, fp.PolicyEngine]) -> None:
    for on, c, p, amount in _cases():
        compiled = engines["compiled"].check_suitability(c, p, amount=amount, as_of=on)
        durable = engines["durable"].check_suitability(c, p, amount=amount, as_of=on)
        assert attrs.evolve(durable, engine="compiled") == compiled


# --- the API -------------------------------------------------------------------------------

def test_mappings_are_accepted_like_models(engine: fp.PolicyEngine) -> None:
    c = {"id": "c", "risk_level": "C3", "assessment_date": "2025-12-01",
         "birth_date": "1980-05-05"}
    p = {"id": "p", "kind": "wealth_management", "risk_level": "R3"}
    by_mapping = engine.check_suitability(c, p, as_of=NEW)
    by_model = engine.check_suitability(fp.Customer(**c), fp.Product(**p), as_of=NEW)
    assert by_mapping == by_model
    assert by_mapping.input_digest == by_model.input_digest


def test_as_of_defaults_to_today_and_accepts_an_aware_datetime(engine: fp.PolicyEngine) -> None:
    today = dt.datetime.now(SHANGHAI).date()  # the policy's day (not the machine's, UTC)
    c = customer(assessment_date=today)
    assert engine.check_suitability(c, product()).as_of == today
    at = dt.datetime(2026, 2, 1, 9, 0, tzinfo=SHANGHAI)
    assert engine.check_suitability(customer(), product(), as_of=at).as_of == NEW


def test_one_instance_evaluated_on_several_dates_and_versions_is_derived_afresh(
        engine: fp.PolicyEngine) -> None:
    c = customer(birth_date=dt.date(1961, 2, 1), risk_level="C3")
    p = product(risk_level="R3", issuer_risk_level="R4")
    old, new, later = (engine.check_suitability(c, p, as_of=on)
                       for on in (OLD, NEW, dt.date(2026, 12, 2)))
    assert (old.customer_age, old.product_level, old.outcome) == (64, "R3", "suitable")
    assert (new.customer_age, new.product_level, new.outcome) == (65, "R4", "unsuitable")
    assert (later.assessment_age_days, later.assessment_expired) == (366, True)
    assert engine.check_suitability(c, p, as_of=OLD) == old


def test_inputs_stay_equal_after_evaluation_caches_their_facts(engine: fp.PolicyEngine) -> None:
    used, fresh = customer(), customer()
    p = product()
    engine.check_suitability(used, p, as_of=NEW)
    assert used == fresh and p == product() and hash(p) == hash(product())
    assert used != customer(risk_level="C4")


def test_input_digest_changes_with_the_amount(engine: fp.PolicyEngine) -> None:
    a = check(engine, NEW, amount=1)
    b = check(engine, NEW, amount=2)
    assert a.input_digest != b.input_digest
    assert a.input_digest == check(engine, NEW, amount=1).input_digest


def test_suitable_products_lists_every_product_suitable_first(engine: fp.PolicyEngine) -> None:
    products = [product(id="r5", risk_level="R5"), product(id="r4-fund", kind="fund",
                                                            risk_level="R4"),
                product(id="r1", risk_level="R1", principal_protected=True),
                product(id="r3", risk_level="R3")]
    decisions = engine.suitable_products(customer(risk_level="C3"), products, as_of=NEW)
    assert [d.product_id for d in decisions] == ["r1", "r3", "r4-fund", "r5"]
    assert [d.outcome for d in decisions] == ["suitable", "suitable", "conditional",
                                              "unsuitable"]
    for d in decisions:
        p = next(x for x in products if x.id == d.product_id)
        assert d == engine.check_suitability(customer(risk_level="C3"), p, as_of=NEW)


def test_decision_explains_and_serialises_its_details(engine: fp.PolicyEngine) -> None:
    d = check(engine, NEW, amount=10_000, investable_assets=50_000)
    text = d.explain()
    assert "customer c (C3), product p (R3)" in text
    assert "age 45" in text and "assessed 62 days ago (not expired" in text
    data = d.to_dict()
    json.dumps(data)
    assert data["customer_age"] == 45 and data["product_level"] == "R3"
    assert data["policy"]["version"].startswith("2.")


def test_evaluate_input_takes_one_product_or_a_shelf(engine: fp.PolicyEngine) -> None:
    c = {"id": "c", "risk_level": "C2", "assessment_date": "2025-12-01"}
    one = su.evaluate_input(engine, {"customer": c, "product": {"id": "p", "kind": "fund",
                                                                "risk_level": "R2"},
                                     "amount": 5}, as_of=NEW)
    assert [d.outcome for d in one] == ["suitable"]
    shelf = su.evaluate_input(engine, {"customer": c, "products": [
        {"id": "a", "kind": "fund", "risk_level": "R4"},
        {"id": "b", "kind": "fund", "risk_level": "R1"}]}, as_of=NEW)
    assert [d.product_id for d in shelf] == ["b", "a"]


@pytest.mark.parametrize("data, field", [
    ({"customer": {}, "product": {}, "extra": 1}, "extra"),
    ({"product": {}}, "customer"),
    ({"customer": {}}, "product"),
    ({"customer": {}, "product": {}, "products": []}, "product"),
    ({"customer": {"id": "c"}, "products": [], "amount": 3}, "amount"),
])
def test_evaluate_input_rejects_bad_shapes(engine: fp.PolicyEngine, data: dict[str, Any],
                                           field: str) -> None:
    with pytest.raises(fp.InputError) as info:
        su.evaluate_input(engine, data, as_of=NEW)
    assert field in info.value.fields


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, field", [
    ({"c": {"id": "c", "risk_level": "C9", "assessment_date": "2025-12-01"}},
     "customer.risk_level"),
    ({"p": {"id": "p", "kind": "fund", "risk_level": "R0"}}, "product.risk_level"),
    ({"p": {"id": "p", "kind": "fund", "risk_level": "R1", "issuer_risk_level": "X"}},
     "product.issuer_risk_level"),
    ({"c": {"id": "c", "risk_level": "C1", "birth_date": "2026-02-02"}}, "customer.birth_date"),
    ({"c": {"id": "c", "risk_level": "C1", "assessment_date": "2026-02-02"}},
     "customer.assessment_date"),
    ({"c": {"id": "c", "risk_level": "C1", "assessment_date": "2026-01-02T10:00:00"}},
     "customer.assessment_date"),
    ({"c": {"id": "c", "risk_level": "C1", "assessment_date": "2026-01-02",
            "assessment_history": ["2025-01-01", "2026-01-03"]}},
     "customer.assessment_history.1"),
    ({"c": {"id": "c", "assessment_history": [dt.datetime(2025, 1, 1, 10)]}},
     "customer.assessment_history.0"),
    ({"c": {"id": "c", "investable_assets": -1}}, "customer.investable_assets"),
    ({"c": {"id": "c", "legal_capacity": "partial"}}, "customer.legal_capacity"),
    ({"c": {"risk_level": "C1"}}, "customer.id"),
    ({"amount": -0.01}, "amount"),
    ({"amount": "100"}, "amount"),
    ({"amount": float("nan")}, "amount"),
])
def test_bad_input_raises_input_error_naming_the_field(engine: fp.PolicyEngine,
                                                       kwargs: dict[str, Any],
                                                       field: str) -> None:
    with pytest.raises(fp.InputError) as info:
        check(engine, NEW, **kwargs)
    assert field in info.value.fields


def test_naive_datetimes_are_rejected_naming_the_field(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        fp.Customer(id="c", assessment_date=dt.datetime(2026, 1, 1, 9, 0))
    assert info.value.fields == ("assessment_date",)
    assert "naive datetime" in str(info.value)
    with pytest.raises(fp.InputError) as info:
        engine.check_suitability(customer(), product(), as_of=dt.datetime(2026, 2, 1, 9))
    assert info.value.fields == ("as_of",)


def test_suitable_products_names_the_bad_product(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        engine.suitable_products(customer(), [product(), {"id": "x", "kind": "fund",
                                                          "risk_level": "R9"}], as_of=NEW)
    assert info.value.fields == ("products.1.risk_level",)
    with pytest.raises(fp.InputError) as info:
        engine.suitable_products(customer(), product(), as_of=NEW)
    assert info.value.fields == ("products",)


# --- the policy documents ------------------------------------------------------------------

def test_shipped_versions_cover_every_day_from_2018_without_gaps(bundle: fp.Bundle) -> None:
    docs = bundle.versions("cn-suitability")
    assert [d.version for d in docs] == ["1.3.0", "2.3.0", "2.4.0", "2.5.0"]
    assert docs[0].metadata.effective_until == OLD
    assert docs[1].metadata.effective_from == NEW
    for before, after in itertools.pairwise(docs):
        end = before.metadata.effective_until
        assert end is not None and end + dt.timedelta(days=1) == after.metadata.effective_from
    assert docs[-1].metadata.effective_until is None
    for doc in docs:
        sources = doc.metadata.source_ids()
        for rule in doc.policy.rulesets[su.RULESET].rules:
            assert rule.cite.split()[0] in sources and len(rule.cite.split()) > 1
            assert rule.reason


_BAD_POLICY = """\
apiVersion: finpolicy/v1
kind: SuitabilityPolicy
metadata: {id: bad-suit, version: 1.0.0, title: t, effective_from: 2020-01-01,
           jurisdiction: CN, owner: o, sources: [{id: src, title: s}]}
spec:
  customer_levels: [{level: C1, rank: 1, name: a}, {level: C1, rank: 1, name: b}]
  product_levels: [{level: R1, rank: 1, name: a}]
  settings: {time_zone: Mars/Base}
  rules:
    - {id: r, when: {field: customer.ages, ge: 65}, outcome: conditional, reason: x,
       cite: nosuch Art. 1}
    - {id: r, when: {field: customer.age, ge: 65}, outcome: suitable, reason: x, cite: src,
       obligations: [Bad Obligation]}
"""


def test_bad_policy_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text("name: t\nversion: 1.0.0\n")
    (tmp_path / "suit.yaml").write_text(_BAD_POLICY)
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(tmp_path)
    found = {(p.path, p.code) for p in info.value.problems}
    assert {("spec.customer_levels[1].level", "duplicate_level"),
            ("spec.customer_levels[1].rank", "duplicate_rank"),
            ("spec.settings.time_zone", "unknown_time_zone"),
            ("spec.rules[0].cite", "unknown_source"),
            ("spec.rules[0].when.field", "unknown_field"),
            ("spec.rules[1].id", "duplicate_rule"),
            ("spec.rules[1].cite", "bare_cite"),
            ("spec.rules[1].obligations[0]", "bad_obligation")} <= found


# --- the CLI -------------------------------------------------------------------------------

_PAIRS = """\
customer.id,customer.risk_level,customer.assessment_date,customer.birth_date,customer.assessment_history,product.id,product.kind,product.risk_level,product.issuer_risk_level,amount
c1,C3,2025-06-01,1960-03-01,,p1,wealth_management,R3,R4,50000
c2,C1,2025-06-01,1990-03-01,2025-06-01;2025-06-01,p2,fund,R3,,
c3,C4,2025-06-01,1990-03-01,,p3,fund,R3,,
"""


def test_cli_decides_every_row_with_a_summary(tmp_path: Path) -> None:
    file = tmp_path / "pairs.csv"
    file.write_text(_PAIRS)
    result = CliRunner().invoke(main, ["suitability", str(file), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output
    assert "Summary" in result.output and "c3" in result.output
    result = CliRunner().invoke(main, ["suitability", str(file), "--as-of", "2026-02-01",
                                       "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["policies"] == ["cn-suitability 2.3.0"]
    assert data["summary"] == {"suitable": 1, "conditional": 0, "unsuitable": 2}
    assert [d["outcome"] for d in data["decisions"]] == ["unsuitable", "unsuitable", "suitable"]


def test_cli_crosses_customers_with_a_products_file(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "id,risk_level,assessment_date\nc1,C1,2025-12-01\nc5,C5,2025-12-01\n")
    (tmp_path / "products.csv").write_text(
        "id,kind,risk_level\np1,wealth_management,R1\np5,fund,R5\n")
    result = CliRunner().invoke(main, ["suitability", str(tmp_path / "customers.csv"),
                                       "--products", str(tmp_path / "products.csv"),
                                       "--as-of", "2026-03-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    pairs = {(d["customer_id"], d["product_id"]): d["outcome"] for d in data["decisions"]}
    assert pairs == {("c1", "p1"): "suitable", ("c1", "p5"): "unsuitable",
                     ("c5", "p1"): "suitable", ("c5", "p5"): "suitable"}


def test_cli_names_the_line_and_field_of_bad_input(tmp_path: Path) -> None:
    file = tmp_path / "pairs.csv"
    file.write_text(_PAIRS.replace("c3,C4", "c3,C9"))
    result = CliRunner().invoke(main, ["suitability", str(file), "--as-of", "2026-02-01"])
    assert result.exit_code == 3
    assert "line 4: customer.risk_level" in result.output
