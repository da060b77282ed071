"""Minors under 14 (PIPL Art. 28, 31): their data is sensitive, and a parent or guardian
gives their consent, separately."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
THIRTEEN = dt.date(2012, 3, 3)  # 14 on 2026-03-03


def consent(**changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": "c-1", "customer": "cu-1", "purpose": "marketing",
                            "channels": ["sms"], "separate": True,
                            "given_at": AT - dt.timedelta(days=30), "evidence": "form-1",
                            "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def sms(**changes: Any) -> fp.ProcessingRequest:
    data: dict[str, Any] = {"customer": "cu-1", "purpose": "marketing", "channel": "sms",
                            "as_of": AT, "birth_date": THIRTEEN}
    return fp.ProcessingRequest(**{**data, **changes})


def test_a_child_s_own_consent_does_not_count_a_guardian_s_does(
        engine: fp.PolicyEngine) -> None:
    # a 13-year-old was marketed to on their own consent, like an adult
    own = engine.check_processing(sms(), consents=[consent()])
    assert (own.outcome, own.rule_ids) == ("deny", ("consent-not-by-guardian",))
    assert "guardian_consent" in own.required and "separate_consent" in own.required
    guardian = engine.check_processing(sms(), consents=[consent(given_by="guardian")])
    assert guardian.allowed and guardian.consent_id == "c-1"
    assert "impact_assessment" in guardian.obligations  # a minor's data is sensitive


def test_a_guardian_s_bundled_consent_does_not_count(engine: fp.PolicyEngine) -> None:
    analytics = sms(purpose="analytics", channel=None)
    bundled = consent(purpose="analytics", channels=[], separate=False, given_by="guardian")
    assert engine.check_processing(analytics, consents=[bundled]).rule_ids == (
        "consent-not-separate",)


def test_the_14th_birthday_is_read_on_the_customer_s_local_date(
        engine: fp.PolicyEngine) -> None:
    born = dt.date(2012, 3, 2)  # 14 on 2026-03-02, the day in Beijing
    birthday = dt.datetime(2026, 3, 2, 0, 0, tzinfo=BJ)  # the consent is given at 14
    assert engine.check_processing(sms(birth_date=born),
                                   consents=[consent(given_at=birthday)]).allowed
    # midnight and 10:00 in Beijing are still 1 March in Los Angeles: 13 there, when the
    # consent was given and when it is used (email: no quiet hours)
    la = sms(birth_date=born, channel="email", time_zone="America/Los_Angeles")
    decision = engine.check_processing(la, consents=[consent(channels=["email"],
                                                             given_at=birthday)])
    assert decision.rule_ids == ("consent-not-by-guardian",)
    # without a date of birth the customer is not taken for a minor
    assert engine.check_processing(sms(birth_date=None), consents=[consent()]).allowed


def test_why_not_asks_for_the_guardian_s_consent(engine: fp.PolicyEngine) -> None:
    x = engine.explain("check_processing", sms(), consents=[consent()])
    assert "the customer is a minor (under 14)" in x.why_not[0].note
    first = x.suggestions[0]
    assert first.text.startswith("obtain from the customer's parent or guardian a separate "
                                 "consent to `marketing`")
    added = first.changes[0].value
    assert added["given_by"] == "guardian" and added["separate"] is True
    assert first.outcome == "allow"


def test_a_birth_date_after_the_day_of_processing_is_refused(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as caught:
        engine.check_processing(sms(birth_date=dt.date(2026, 3, 3)), consents=[consent()])
    assert [(p.path, p.code) for p in caught.value.problems] == [("request.birth_date", "bad_date")]
    with pytest.raises(fp.InputError) as caught:
        engine.plan_campaign([{"id": "cu-1", "birth_date": "2026-03-03"}], as_of=AT)
    assert [p.path for p in caught.value.problems] == ["customers.0.birth_date"]


def test_a_campaign_reaches_a_child_only_on_a_guardian_s_consent(
        engine: fp.PolicyEngine) -> None:
    customers = [{"id": "cu-1", "channels": ["sms"], "birth_date": "2012-03-03"}]
    report = engine.plan_campaign(customers, consents=[consent()], as_of=AT)
    entry = report.entries[0]
    assert entry.status == "never" and entry.decision is not None
    assert entry.decision.rule_ids == ("consent-not-by-guardian",)
    report = engine.plan_campaign(customers, consents=[consent(given_by="guardian")],
                                  as_of=AT)
    assert report.entries[0].status == "now"


def test_a_review_reports_a_child_s_data_used_on_their_own_consent(
        engine: fp.PolicyEngine) -> None:
    used = sms(id="p-1", channel=None, as_of=AT - dt.timedelta(days=1))
    report = engine.review_consents([consent()], processing=[used], as_of=AT)
    assert [(f.kind, f.use) for f in report.findings] == [("use_not_covered", "p-1")]


def test_records_without_the_new_fields_keep_their_input_digests() -> None:
    # decisions logged before `given_by` and `birth_date` existed replay to the same digest
    record = fp.Consent(id="c", customer="a", purpose="marketing",
                        given_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert record.digest() == \
        "e8376d02c2f8b9f94fad1abc7d7685007c9e7d0458277353131aec78d68544d5"
    assert fp.ProcessingRequest(customer="a", purpose="marketing").digest() == \
        "53d545245017525b8a98af7f226c42a3a5308f5a9f897894f88cd01d3aa402b3"
    assert record.model_copy(update={"given_by": "guardian"}).digest() != record.digest()


def test_finpolicy_eval_decides_a_child_as_the_api_does(tmp_path: Path,
                                                        engine: fp.PolicyEngine) -> None:
    path = tmp_path / "child.json"
    path.write_text(json.dumps({"request": sms().model_dump(mode="json"),
                                "consents": [consent().model_dump(mode="json")]}),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--json"])
    assert result.exit_code == 1, result.output
    [decision] = json.loads(result.stdout)
    api = engine.check_processing(sms(), consents=[consent()])
    assert decision["outcome"] == "deny" and decision["input_digest"] == api.input_digest
    assert [h["rule_id"] for h in decision["hits"]] == ["consent-not-by-guardian"]
