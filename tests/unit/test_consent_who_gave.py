"""Who gave a consent is judged on the day it was given (PIPL Art. 14, 31): a consent a child
gave themselves before turning 14 never counts, and a guardian's consent counts only for a
customer who was under 14 that day; a consent given before the customer was born is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 7, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 1, 1, 10, 0, tzinfo=BJ)
FOURTEEN_IN_MARCH = dt.date(2012, 3, 1)  # 13 when the consent was given, 14 at AT
ADULT = dt.date(1980, 3, 1)


def consent(**changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": "c-1", "customer": "cu-1", "purpose": "marketing",
                            "channels": ["sms"], "separate": True, "given_at": GIVEN,
                            "evidence": "form-1", "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def sms(**changes: Any) -> fp.ProcessingRequest:
    data: dict[str, Any] = {"customer": "cu-1", "purpose": "marketing", "channel": "sms",
                            "as_of": AT, "birth_date": FOURTEEN_IN_MARCH}
    return fp.ProcessingRequest(**{**data, **changes})


def test_a_consent_a_child_gave_themselves_does_not_count_after_their_14th_birthday(
        engine: fp.PolicyEngine) -> None:
    # given at 13 on their own, the consent was allowed once the customer turned 14
    own = engine.check_processing(sms(), consents=[consent()])
    assert (own.outcome, own.rule_ids) == ("deny", ("consent-not-by-guardian",))
    assert own.consent_failures == ("c-1: not_by_guardian",)
    # the guardian's consent of that day keeps counting, and the customer's own from 14 on
    assert engine.check_processing(sms(), consents=[consent(given_by="guardian")]).allowed
    on_birthday = consent(given_at=dt.datetime(2026, 3, 1, 0, 0, tzinfo=BJ))
    assert engine.check_processing(sms(), consents=[on_birthday]).allowed


def test_the_day_a_consent_was_given_is_the_customer_s_local_date(
        engine: fp.PolicyEngine) -> None:
    # 1 March 01:00 in Beijing is still 28 February in Los Angeles: 13 there
    given = consent(channels=["email"], given_at=dt.datetime(2026, 3, 1, 1, 0, tzinfo=BJ))
    la = sms(channel="email", time_zone="America/Los_Angeles")
    assert engine.check_processing(la, consents=[given]).rule_ids == (
        "consent-not-by-guardian",)
    assert engine.check_processing(sms(channel="email"), consents=[given]).allowed


def test_a_guardian_s_consent_for_an_adult_does_not_count(engine: fp.PolicyEngine) -> None:
    by_guardian = consent(given_by="guardian")
    adult = engine.check_processing(sms(birth_date=ADULT), consents=[by_guardian])
    assert (adult.outcome, adult.rule_ids) == ("deny", ("consent-not-by-customer",))
    assert adult.consent_failures == ("c-1: not_by_customer",)
    # nor for a customer whose date of birth is not given: nothing shows a guardian's role
    unknown = engine.check_processing(sms(birth_date=None), consents=[by_guardian])
    assert unknown.rule_ids == ("consent-not-by-customer",)
    # the adult's own consent counts as before
    assert engine.check_processing(sms(birth_date=ADULT), consents=[consent()]).allowed


def test_a_guardian_s_consent_to_profiling_for_an_adult_is_no_consent_to_profiling(
        engine: fp.PolicyEngine) -> None:
    profiling = consent(id="c-an", purpose="analytics", channels=[], given_by="guardian")
    decision = engine.check_processing(sms(birth_date=ADULT, personalised=True),
                                       consents=[consent(), profiling])
    assert decision.rule_ids == ("personalised-without-profiling-consent",)


def test_why_not_says_who_gave_the_consent_and_the_customer_s_age_that_day(
        engine: fp.PolicyEngine) -> None:
    x = engine.explain("check_processing", sms(), consents=[consent()])
    assert x.why_not[0].note == (
        "`c-1` was given by the customer on 2026-01-01, under 14 (born 2012-03-01): a minor's "
        "consent is given by a guardian, and it does not count now either")
    assert x.suggestions[0].text.startswith("obtain from the customer a separate consent")
    assert x.suggestions[0].outcome == "allow"
    x = engine.explain("check_processing", sms(birth_date=ADULT),
                       consents=[consent(given_by="guardian")])
    assert x.why_not[0].note == (
        "`c-1` was given by a guardian; the customer (born 1980-03-01) was 14 or older on "
        "2026-01-01, and a guardian consents only for a minor (under 14): the customer's own "
        "consent counts")
    assert x.suggestions[0].outcome == "allow"


def test_a_campaign_and_a_review_judge_who_gave_the_consent(engine: fp.PolicyEngine) -> None:
    customers = [{"id": "cu-1", "channels": ["sms"], "birth_date": "1980-03-01"}]
    report = engine.plan_campaign(customers, consents=[consent(given_by="guardian")], as_of=AT)
    entry = report.entries[0]
    assert entry.status == "never" and entry.decision is not None
    assert entry.decision.rule_ids == ("consent-not-by-customer",)
    used = sms(id="p-1", channel=None, as_of=AT - dt.timedelta(days=1))
    review = engine.review_consents([consent()], processing=[used], as_of=AT)
    assert [(f.kind, f.use) for f in review.findings] == [("use_not_covered", "p-1")]


def test_a_consent_given_before_the_customer_was_born_is_refused(
        engine: fp.PolicyEngine) -> None:
    # a guardian's consent dated before the birth was allowed, as a child's data on consent
    baby = dt.date(2026, 2, 1)
    early = consent(given_by="guardian", channels=[], purpose="analytics")
    with pytest.raises(fp.InputError) as caught:
        engine.check_processing(sms(birth_date=baby, purpose="analytics", channel=None),
                                consents=[consent(id="c-0", customer="cu-2"), early])
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("consents.1.given_at", "bad_date")
    assert problem.message == ("consent `c-1` was given on 2026-01-01 (the customer's local "
                               "date), before the customer's date of birth 2026-02-01 "
                               "(request.birth_date)")
    with pytest.raises(fp.InputError) as caught:
        engine.plan_campaign([{"id": "cu-1", "birth_date": "2026-02-01"}], consents=[early],
                             purpose="analytics", as_of=AT)
    assert [p.path for p in caught.value.problems] == ["consents.0.given_at"]
    assert "(customers.0.birth_date)" in caught.value.problems[0].message
    used = sms(id="p-1", channel=None, purpose="analytics", birth_date=baby)
    with pytest.raises(fp.InputError) as caught:
        engine.review_consents([early], processing=[used], as_of=AT)
    assert "(processing.0.birth_date)" in caught.value.problems[0].message
