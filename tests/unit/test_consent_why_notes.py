"""Why-not notes name what an unknown purpose resembles, the channels a purpose reaches
customers on, and where a recipient abroad is (they were empty)."""

from __future__ import annotations

import finpolicy as fp

AT = "2026-03-02T10:00:00+08:00"


def notes(engine: fp.PolicyEngine, request: dict[str, object]) -> dict[str, str]:
    x = engine.explain("check_processing", request)
    return {o.id: o.note for o in x.why_not if o.role == "blocks"}


def test_an_unknown_purpose_names_the_one_it_resembles(engine: fp.PolicyEngine) -> None:
    found = notes(engine, {"customer": "cu-1", "purpose": "marketting", "channel": "sms",
                           "as_of": AT})
    assert found["unknown-purpose"].startswith(
        "`marketting` is not a purpose of the policy (did you mean `marketing`?); its "
        "purposes are `account_service`, ")


def test_a_channel_the_purpose_does_not_use_names_the_purpose_s_channels(
        engine: fp.PolicyEngine) -> None:
    found = notes(engine, {"customer": "cu-1", "purpose": "credit_review", "channel": "sms",
                           "as_of": AT})
    assert found == {"channel-not-for-purpose": "`credit_review` reaches customers on no "
                                                "channel"}


def test_a_recipient_abroad_names_its_country(engine: fp.PolicyEngine) -> None:
    request = {"customer": "cu-1", "purpose": "third_party_sharing", "as_of": AT,
               "recipient": {"name": "group-sg", "kind": "third_party", "country": "SG",
                             "agreement": "dsa-1"}}
    found = notes(engine, request)
    assert found["abroad-outside-cross-border"] == "`group-sg` is in `SG`, outside `CN`"
    assert found["cross-border-without-legal-route"] == "`group-sg` is in `SG`, outside `CN`"


def test_a_consent_to_another_purpose_is_named_as_not_covering_this_one(
        engine: fp.PolicyEngine) -> None:
    marketing = {"id": "c-1", "customer": "cu-1", "purpose": "marketing", "channels": ["sms"],
                 "separate": True, "given_at": "2026-01-01T10:00:00+08:00",
                 "notice_version": "privacy-2025"}
    x = engine.explain("check_processing", {"customer": "cu-1", "purpose": "analytics",
                                            "as_of": AT}, consents=[marketing])
    found = {o.id: o.note for o in x.why_not if o.role == "blocks"}
    assert found["no-consent"] == (
        "no consent of the customer to `analytics` was given; their consents to `marketing` "
        "do not cover another purpose, which needs its own consent")
