"""Personalised processing (PIPL Art. 24): chosen from the customer's profile only while the
customer's consent to profiling is in force."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp
from tests.unit.test_consent_policy import edited

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
EMAIL = fp.Consent(id="c-mkt", customer="cu-1", purpose="marketing", channels=["email"],
                   separate=True, given_at=AT - dt.timedelta(days=30), evidence="form-1",
                   notice_version="privacy-2025")
PROFILE = fp.Consent(id="c-profile", customer="cu-1", purpose="analytics",
                     given_at=AT - dt.timedelta(days=60), evidence="app-1",
                     notice_version="privacy-2025")
WITHDRAWN = PROFILE.model_copy(update={"withdrawn_at": AT - dt.timedelta(days=1)})


def email(**changes: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(**{"customer": "cu-1", "purpose": "marketing",
                                   "channel": "email", "personalised": True, "as_of": AT,
                                   **changes})


def test_personalised_marketing_stops_with_the_consent_to_profiling(
        engine: fp.PolicyEngine) -> None:
    # a customer who withdrew consent to profiling still got marketing chosen from it
    assert engine.check_processing(email(), consents=[EMAIL, PROFILE]).allowed
    for consents in ([EMAIL, WITHDRAWN], [EMAIL]):
        decision = engine.check_processing(email(), consents=consents)
        assert decision.rule_ids == ("personalised-without-profiling-consent",)
    assert engine.check_processing(email(personalised=False),
                                   consents=[EMAIL, WITHDRAWN]).allowed


def test_a_legal_duty_profiles_without_consent(engine: fp.PolicyEngine) -> None:
    monitoring = fp.ProcessingRequest(customer="cu-1", purpose="risk_monitoring",
                                      personalised=True, as_of=AT)
    assert engine.check_processing(monitoring, consents=[WITHDRAWN]).allowed


def test_why_not_offers_the_message_not_personalised(engine: fp.PolicyEngine) -> None:
    x = engine.explain("check_processing", email(), consents=[EMAIL, WITHDRAWN])
    assert "no consent of the customer to `analytics`" in x.why_not[0].note
    [move] = [s for s in x.suggestions if s.outcome == "allow"][:1]
    assert [(c.op, c.path, c.value) for c in move.changes] == [
        ("replace", "/request/personalised", False)]


def test_a_personalised_campaign_leaves_out_who_refused_profiling(
        engine: fp.PolicyEngine) -> None:
    consents = [EMAIL, WITHDRAWN, EMAIL.model_copy(update={"id": "c-2", "customer": "cu-2"}),
                PROFILE.model_copy(update={"id": "c-p2", "customer": "cu-2"})]
    report = engine.plan_campaign([{"id": "cu-1"}, {"id": "cu-2"}], consents=consents,
                                  channels=["email"], personalised=True, as_of=AT)
    assert [e.status for e in report.entries] == ["never", "now"]
    assert report.reasons() == {"personalised-without-profiling-consent": 1}


def test_a_profiling_purpose_the_policy_does_not_declare_is_a_policy_problem(
        tmp_path: Path) -> None:
    pack = edited(tmp_path, "    purpose: analytics ", "    purpose: profiling ")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    assert ("unknown_purpose", "spec.profiling.purpose") in [
        (p.code, p.path) for p in info.value.problems]
