"""A consent record whose withdrawal or expiry comes before it was given is refused naming the
field and both times."""

from __future__ import annotations

from typing import Any

import pytest

import finpolicy as fp

GIVEN = "2026-01-01T10:00:00+08:00"


def consent(**changes: Any) -> dict[str, Any]:
    return {"id": "c-1", "customer": "cu-1", "purpose": "marketing", "channels": ["sms"],
            "separate": True, "given_at": GIVEN, "notice_version": "privacy-2025", **changes}


REQUEST = {"customer": "cu-1", "purpose": "marketing", "channel": "sms",
           "as_of": "2026-03-02T10:00:00+08:00"}


def test_a_withdrawal_before_the_consent_names_the_field_and_both_times(
        engine: fp.PolicyEngine) -> None:
    # it was 'consents.0: `withdrawn_at` is before `given_at`', without either time
    with pytest.raises(fp.InputError) as caught:
        engine.check_processing(REQUEST, consents=[consent(
            withdrawn_at="2026-01-01T01:59:59+00:00")])
    [problem] = caught.value.problems
    assert problem.path == "consents.0.withdrawn_at"
    assert problem.message == (
        "the withdrawal at 2026-01-01T01:59:59+00:00 is before the consent was given "
        "(`given_at` 2026-01-01T10:00:00+08:00): a consent is withdrawn after it is given")
    # the same instant written in another zone is no earlier: withdrawn at once
    same = engine.check_processing(REQUEST, consents=[consent(
        withdrawn_at="2026-01-01T02:00:00+00:00")])
    assert same.rule_ids == ("consent-withdrawn",)


def test_an_expiry_not_after_the_consent_names_the_field(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as caught:
        engine.review_consents([consent(expires_at=GIVEN)])
    [problem] = caught.value.problems
    assert problem.path == "consents.0.expires_at"
    assert "not after it was given (`given_at` 2026-01-01T10:00:00+08:00)" in problem.message
