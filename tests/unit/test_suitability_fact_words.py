"""How an explanation words the facts it saw: the assessment counts are of the current
assessment's day and 12 months (not the sale's "today"), and the words agree in number."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
DAY = dt.date(2025, 12, 1)  # three assessments that day, two months before the sale
CUSTOMER = fp.Customer(id="c1", risk_level="C5", assessment_date=DAY,
                       assessment_history=[DAY, DAY], investment_horizon_months=6,
                       liquidity_need="high")
NOTE = fp.Product(id="note-r3", kind="wealth_management", risk_level="R3", term_months=12,
                  redemption="closed")


def _text() -> str:
    return ENGINE.explain("check_suitability", CUSTOMER, NOTE, as_of=dt.date(2026, 2, 1)).text()


def test_the_day_s_count_is_of_the_assessment_s_day_not_the_sale_s() -> None:
    # "the number of risk assessments today is greater than 2 (it is 3)", of a sale on
    # 2026-02-01 with no assessment that day
    text = _text()
    assert "the number of risk assessments on the day of the current one is greater than 2 " \
           "(it is 3)" in text
    assert "assessments today" not in text


def test_the_words_agree_in_number() -> None:
    text = _text()
    assert "the product's redemption term is “closed”" in text
    assert "the number of months by which the product's term exceeds the customer's horizon " \
           "is greater than 0 (it is 6)" in text
