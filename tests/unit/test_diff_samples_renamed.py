"""Change impact: variants that swap a value everywhere it occurs, so that an input stays
coherent (a call on the channel its consent names) while it reaches another cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.domains.registry import domain
from finpolicy.testing import diff
from finpolicy.testing.diff import DEFAULT_SAMPLES
from finpolicy.testing.renames import renamed
from finpolicy.testing.samples import Vocabulary, make_sample
from tests.helpers.packversions import with_consent_ban_from_2027

SMS = {"request": {"customer": "cu-1", "purpose": "marketing", "channel": "sms"},
       "consents": [{"id": "c-sms", "customer": "cu-1", "purpose": "marketing",
                     "channels": ["sms"], "separate": True,
                     "given_at": "2026-02-01T09:00:00+08:00", "evidence": "form-881",
                     "notice_version": "privacy-2025"}]}


def test_a_value_is_swapped_everywhere_it_occurs(bundle: fp.Bundle) -> None:
    base = make_sample("consent", SMS, dt.datetime.fromisoformat("2026-03-02T10:00:00+08:00"),
                       "case `x`")
    vocab = Vocabulary(domain("consent"), [base], [bundle])
    found = {s.changes[-1]: s.input for s in renamed(base, vocab)}
    phone = found["'sms' → 'phone' throughout"]
    assert phone["request"]["channel"] == "phone"
    assert phone["consents"][0]["channels"] == ["phone"]
    assert base.input["consents"][0]["channels"] == ["sms"]
    # a value that occurs once is left to the single-field variants
    assert not any("'c-sms'" in change for change in found)


def with_next_consent_rule(bundle: fp.Bundle, into: Path) -> Path:
    return with_consent_ban_from_2027(bundle, into, rule_id="no-marketing-calls", channel="phone",
                                      reason="no marketing calls")


@pytest.mark.slow
def test_a_call_a_consent_allowed_and_a_new_rule_bans_is_found(bundle: fp.Bundle,
                                                                tmp_path: Path) -> None:
    # no example calls on a consent naming the phone: only deny -> deny was reported
    new = fp.load_bundle(with_next_consent_rule(bundle, tmp_path / "next"))
    report = diff(bundle, new, samples=DEFAULT_SAMPLES, domains=["consent"])
    groups = {g.kind: g for g in report.groups}
    assert "allow->deny" in groups
    example = groups["allow->deny"].example
    assert "+no-marketing-calls" in example.rules
    assert example.sample.input["request"]["channel"] == "phone"
