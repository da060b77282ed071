"""What would change a suitability decision, when the assessment is in the way: a fresh
assessment today, and a later day only when one today would be one too many."""

from __future__ import annotations

import datetime as dt

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
ON = dt.date(2026, 3, 2)
WM = fp.Product(id="wm-3", kind="wealth_management", risk_level="R3")
C3 = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2025, 11, 22),
                 birth_date=dt.date(1980, 1, 1))


def _offered(customer: fp.Customer, *, on: dt.date = ON,
             sale: fp.SaleContext | None = None) -> list[tuple[str, str]]:
    x = ENGINE.explain("check_suitability", customer, WM, as_of=on, sale=sale)
    assert x.decision.outcome == "unsuitable"
    return [(s.text, s.outcome) for s in x.suggestions]


def test_an_assessment_filled_in_by_staff_is_taken_again_today_not_in_nine_months() -> None:
    # offered as well: "... again (filled in by the customer) on 2026-11-23 (wait until then)"
    # (the day the staff-filled assessment stops counting), though today does as well
    staff = C3.model_copy(update={"assessment_filled_by": "staff"})
    assert _offered(staff) == [("assess the customer's risk tolerance again (filled in by the "
                                "customer) today", "suitable")]


def test_a_reported_change_is_met_by_an_assessment_today() -> None:
    changed = C3.model_copy(update={"change_reported_at": dt.date(2026, 2, 25)})
    assert _offered(changed) == [("assess the customer's risk tolerance again today",
                                  "suitable")]


def test_a_first_purchase_before_2026_is_assessed_in_a_branch_today() -> None:
    # waiting until 2026-11-23 was offered too: then the NFRA rule decides, without the
    # 2018 rule's first purchase (a change of rule, not of the customer's assessment)
    offered = _offered(C3, on=dt.date(2026, 1, 15), sale=fp.SaleContext(first_purchase=True))
    assert offered == [("assess the customer's risk tolerance again (in a branch) today",
                        "suitable")]


def test_a_third_assessment_of_the_day_waits_for_tomorrow() -> None:
    third = C3.model_copy(update={"assessment_date": ON, "assessment_history": [ON, ON]})
    assert _offered(third) == [("assess the customer's risk tolerance again on 2026-03-03 "
                                "(wait until then)", "suitable")]
    tomorrow = dt.date(2026, 3, 3)
    fourth = third.model_copy(update={"assessment_date": tomorrow,
                                      "assessment_history": [ON, ON, ON]})
    assert ENGINE.check_suitability(fourth, WM, as_of=tomorrow).outcome == "suitable"


def test_a_ninth_assessment_in_twelve_months_waits_for_the_window() -> None:
    history = [ON - dt.timedelta(days=30 * k) for k in range(1, 9)]
    ninth = C3.model_copy(update={"assessment_date": ON, "assessment_history": history})
    assert _offered(ninth) == [("assess the customer's risk tolerance again on 2026-08-05 "
                                "(wait until then)", "suitable")]
