"""cn-suitability 2.4.0 (from 2026-12-07) sells nothing to an individual whose birth date is not
recorded: under 2.3.0 such a customer passed every rule for customers 65 and over and for
minors. Its explanation says what would change it: recording the birth date."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp
from finpolicy.explain.patch import apply_changes

FUND = fp.Product(id="fund-r5", kind="fund", risk_level="R5")
NO_BIRTH_DATE = fp.Customer(id="c-1", risk_level="C5", assessment_date=dt.date(2026, 11, 1))


@pytest.mark.parametrize(("day", "version", "outcome"), [
    (dt.date(2026, 12, 6), "2.3.0", "suitable"), (dt.date(2026, 12, 7), "2.4.0", "unsuitable")])
def test_an_individual_whose_age_is_unknown_is_sold_nothing_from_2_4_0(
        engines: dict[str, fp.PolicyEngine], day: dt.date, version: str, outcome: str) -> None:
    for engine in engines.values():
        decision = engine.check_suitability(NO_BIRTH_DATE, FUND, as_of=day)
        assert (decision.policy.version, decision.outcome) == (version, outcome)
        assert ("age-unknown" in decision.rule_ids) == (outcome == "unsuitable")
    institution = NO_BIRTH_DATE.model_copy(update={"kind": "institution"})
    assert engines["compiled"].check_suitability(institution, FUND, as_of=day).outcome == \
        "suitable"


def test_the_explanation_suggests_recording_the_birth_date(
        engines: dict[str, fp.PolicyEngine]) -> None:
    """It said no change a person can make would help: the age was read as part of the
    customer's profile, which no one changes, though a missing birth date is recorded."""
    engine = engines["compiled"]
    x = engine.explain("check_suitability", NO_BIRTH_DATE, FUND, as_of=dt.date(2026, 12, 7))
    [first, *_] = x.suggestions
    assert first.text.startswith("record the customer's birth date") and \
        first.outcome == "suitable"
    changed = apply_changes(x.input, first.changes)
    assert changed["customer"]["birth_date"] == "1986-12-07"
    for other in engines.values():  # applied, it decides as the suggestion says
        decided = other.check_suitability(changed["customer"], changed["product"],
                                          as_of=changed["as_of"])
        assert decided.outcome == "suitable"
    known = NO_BIRTH_DATE.model_copy(update={"birth_date": dt.date(1950, 1, 1)})
    older = engine.explain("check_suitability", known, FUND, as_of=dt.date(2026, 12, 7))
    assert not any("birth date" in s.text for s in older.suggestions)  # a known age stays
