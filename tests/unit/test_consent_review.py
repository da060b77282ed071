"""Consent reviews of uses: every use no consent covered at its time is a finding."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import finpolicy as fp

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 2, 1, 9, 0, tzinfo=BJ)


def consent(purpose: str, **changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": f"c-{purpose}", "customer": "cu-1", "purpose": purpose,
                            "separate": True, "given_at": GIVEN, "evidence": f"form-{purpose}",
                            "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def kinds(report: fp.ConsentReviewReport) -> list[tuple[str, str | None]]:
    return [(f.kind, f.use) for f in report.findings]


def test_a_contact_on_a_channel_the_consent_does_not_name_is_a_finding(
        engine: fp.PolicyEngine) -> None:
    # an SMS to a customer who agreed to email only: check_processing denied it
    # (consent-channel-not-covered), and the review found nothing
    sms = fp.ContactRecord(id="k-sms", customer="cu-1", channel="sms", purpose="marketing",
                           at=AT - dt.timedelta(days=1))
    report = engine.review_consents([consent("marketing", channels=["email"])],
                                    contacts=[sms], as_of=AT)
    assert kinds(report) == [("use_not_covered", "k-sms")]
    assert report.findings[0].rule_id == "review-use-not-covered"


def test_a_contact_before_the_consent_was_given_is_a_finding(engine: fp.PolicyEngine) -> None:
    early = fp.ContactRecord(id="k-early", customer="cu-1", channel="sms", purpose="marketing",
                             at=GIVEN - dt.timedelta(hours=1))
    report = engine.review_consents([consent("marketing", channels=["sms"])],
                                    contacts=[early], as_of=AT)
    assert kinds(report) == [("use_not_covered", "k-early")]


def test_sensitive_data_used_on_a_bundled_consent_is_a_finding(engine: fp.PolicyEngine) -> None:
    used = fp.ProcessingRequest(id="p-1", customer="cu-1", purpose="analytics",
                                fields=["account_balance"], as_of=AT - dt.timedelta(days=1))
    report = engine.review_consents([consent("analytics", separate=False)], processing=[used],
                                    as_of=AT)
    assert ("use_not_covered", "p-1") in kinds(report)


def test_processing_after_a_withdrawal_is_a_finding(engine: fp.PolicyEngine) -> None:
    withdrawn = consent("analytics", withdrawn_at=AT - dt.timedelta(days=2))
    before = fp.ProcessingRequest(id="p-before", customer="cu-1", purpose="analytics",
                                  as_of=AT - dt.timedelta(days=3))
    after = fp.ProcessingRequest(id="p-after", customer="cu-1", purpose="analytics",
                                 as_of=AT - dt.timedelta(days=1))
    report = engine.review_consents([withdrawn], processing=[before, after], as_of=AT)
    assert kinds(report) == [("use_not_covered", "p-after")]  # what came before stays valid


def test_a_contact_after_a_withdrawal_or_on_an_expired_consent_is_reported_once(
        engine: fp.PolicyEngine) -> None:
    withdrawn = consent("marketing", channels=["sms"], withdrawn_at=AT - dt.timedelta(days=2))
    late = fp.ContactRecord(id="k-late", customer="cu-1", channel="sms", purpose="marketing",
                            at=AT - dt.timedelta(days=1))
    report = engine.review_consents([withdrawn], contacts=[late], as_of=AT)
    assert kinds(report) == [("contact_after_withdrawal", "k-late")]
    ended = consent("marketing", channels=["sms"], expires_at=AT - dt.timedelta(days=2))
    report = engine.review_consents([ended], contacts=[late], as_of=AT)
    assert kinds(report) == [("expired_consent_used", "k-late")]


def test_a_transfer_abroad_without_a_legal_route_is_a_finding(engine: fp.PolicyEngine) -> None:
    abroad = consent("cross_border", recipients=["hk-partner"])
    sent = fp.ProcessingRequest(
        id="p-hk", customer="cu-1", purpose="cross_border", data_levels=["ordinary"],
        recipient=fp.Recipient(name="hk-partner", kind="third_party", country="HK",
                               agreement="dsa-9"), as_of=AT - dt.timedelta(days=1))
    report = engine.review_consents([abroad], processing=[sent], as_of=AT)
    assert kinds(report) == [("transfer_without_legal_route", "p-hk")]
    routed = sent.model_copy(update={"recipient": sent.recipient.model_copy(  # type: ignore[union-attr]
        update={"transfer_mechanism": "standard_contract"})})
    assert engine.review_consents([abroad], processing=[routed], as_of=AT).findings == ()
