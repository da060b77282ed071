"""A recipient's country written otherwise than the policy's home country (``CHN`` against
``CN``) is refused: read as abroad, a partner at home was denied as a transfer abroad."""

from __future__ import annotations

from typing import Any

import pytest

import finpolicy as fp

SHARE = {"id": "s-1", "customer": "cu-1", "purpose": "third_party_sharing",
         "recipients": ["partner"], "separate": True, "given_at": "2026-01-01T10:00:00+08:00",
         "notice_version": "privacy-2025"}


def sharing(country: str) -> dict[str, Any]:
    return {"customer": "cu-1", "purpose": "third_party_sharing",
            "as_of": "2026-03-02T10:00:00+08:00",
            "recipient": {"name": "partner", "kind": "third_party", "agreement": "dsa-1",
                          "country": country}}


def test_a_three_letter_country_is_refused_naming_the_home_country(
        engine: fp.PolicyEngine) -> None:
    # it was denied as data going abroad without a legal route or a cross-border consent
    with pytest.raises(fp.InputError) as caught:
        engine.check_processing(sharing("CHN"), consents=[SHARE])
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("request.recipient.country", "bad_country")
    assert "its home country is `CN` (ISO 3166-1, 2 letters)" in problem.message
    assert engine.check_processing(sharing("cn"), consents=[SHARE]).allowed
    abroad = engine.check_processing(sharing("SG"), consents=[SHARE])
    assert "abroad-outside-cross-border" in abroad.rule_ids


def test_a_review_names_the_processing_record(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as caught:
        engine.review_consents([SHARE], processing=[sharing("HKG")],
                               as_of="2026-03-03T00:00:00+08:00")
    assert [p.path for p in caught.value.problems] == ["processing.0.recipient.country"]
