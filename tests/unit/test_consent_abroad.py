"""Data going abroad (PIPL Art. 38-39): only as the purpose `cross_border`, on the customer's
separate consent to the transfer, and under a legal route."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SG = fp.Recipient(name="group-sg", kind="third_party", country="SG", agreement="dsa-sg-1",
                  transfer_mechanism="standard_contract")


def consent(purpose: str) -> fp.Consent:
    return fp.Consent(id=f"c-{purpose}", customer="cu-2", purpose=purpose, separate=True,
                      channels=["sms"] if purpose == "marketing" else [],
                      recipients=["group-sg"], given_at=AT - dt.timedelta(days=30),
                      evidence=f"form-{purpose}", notice_version="privacy-2025")


def abroad(purpose: str, **changes: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(**{"id": "p-1", "customer": "cu-2", "purpose": purpose,
                                   "data_levels": ["ordinary"], "recipient": SG, "as_of": AT,
                                   **changes})


@pytest.mark.parametrize("purpose", ["third_party_sharing", "analytics", "marketing"])
def test_data_abroad_under_another_purpose_is_denied(engine: fp.PolicyEngine,
                                                     purpose: str) -> None:
    # a separate sharing consent naming the recipient let data go to Singapore: the
    # customer never consented to a transfer abroad
    decision = engine.check_processing(abroad(purpose), consents=[consent(purpose)])
    assert decision.rule_ids == ("abroad-outside-cross-border",)


def test_the_same_transfer_as_cross_border_is_allowed(engine: fp.PolicyEngine) -> None:
    decision = engine.check_processing(abroad("cross_border"),
                                       consents=[consent("cross_border")])
    assert decision.allowed and decision.consent_id == "c-cross_border"


def test_at_home_sharing_is_unchanged(engine: fp.PolicyEngine) -> None:
    home = abroad("third_party_sharing",
                  recipient=SG.model_copy(update={"country": "CN", "transfer_mechanism": None}))
    assert engine.check_processing(home, consents=[consent("third_party_sharing")]).allowed


def test_a_review_reports_data_sent_abroad_under_another_purpose(
        engine: fp.PolicyEngine) -> None:
    sent = abroad("third_party_sharing", as_of=AT - dt.timedelta(days=1))
    report = engine.review_consents([consent("third_party_sharing")], processing=[sent],
                                    as_of=AT)
    assert [(f.kind, f.use) for f in report.findings] == [
        ("transfer_abroad_without_consent", "p-1")]
