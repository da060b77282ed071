"""The consent policy in force is the one of the instant's day in the policy's time zone (as
its ``effective_from`` reads): the same instant written in UTC or in Beijing time is decided by
one version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from tests.helpers.packversions import with_consent_ban_from_2027

BJ = dt.timezone(dt.timedelta(hours=8))
# 1 January 2027, 04:00 in Beijing, written in UTC: still 31 December there
NEW_YEAR_UTC = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)


def with_next_version(bundle: fp.Bundle, into: Path) -> Path:
    return with_consent_ban_from_2027(bundle, into, rule_id="no-marketing-email", channel="email",
                                      reason="no marketing email")


def email(at: dt.datetime) -> dict[str, Any]:
    return {"customer": "cu-1", "purpose": "marketing", "channel": "email",
            "as_of": at.isoformat()}


CONSENT = {"id": "c-1", "customer": "cu-1", "purpose": "marketing", "channels": ["email"],
           "separate": True, "given_at": "2026-06-01T09:00:00+08:00", "evidence": "form-1",
           "notice_version": "privacy-2025"}


def test_the_same_instant_in_utc_and_in_beijing_time_is_decided_by_one_version(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(with_next_version(bundle, tmp_path / "next")))
    utc = engine.check_processing(email(NEW_YEAR_UTC), consents=[CONSENT])
    beijing = engine.check_processing(email(NEW_YEAR_UTC.astimezone(BJ)), consents=[CONSENT])
    # the UTC writing was decided by the old version (allow), Beijing time by the new (deny)
    assert (utc.policy.version, utc.outcome) == ("9.0.0", "deny")
    assert (beijing.policy.version, beijing.rule_ids) == ("9.0.0", ("no-marketing-email",))
    # an hour before midnight in Beijing, the old version still decides
    before = engine.check_processing(email(dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)),
                                     consents=[CONSENT])
    current = bundle.in_force("ConsentPolicy", dt.date(2026, 3, 1)).version
    assert (before.policy.version, before.outcome) == (current, "allow")
    report = engine.plan_campaign([{"id": "cu-1", "channels": ["email"]}],
                                  consents=[CONSENT], as_of=NEW_YEAR_UTC)
    assert report.policy.version == "9.0.0" and report.entries[0].status == "never"


def test_the_first_day_of_the_policy_is_its_day_in_beijing(engine: fp.PolicyEngine) -> None:
    # 1 January 2025, 04:00 in Beijing (the pack's first day) written in UTC raised
    # NotInForceError ('no version ... is in force on 2024-12-31')
    start = dt.datetime(2024, 12, 31, 20, 0, tzinfo=dt.UTC)
    request = {"customer": "cu-1", "purpose": "account_service", "as_of": start.isoformat()}
    decision = engine.check_processing(request)
    assert decision.allowed and decision.policy.id == "cn-consent"
    # 18:00 on 31 December in Beijing is before it
    evening = dt.datetime(2024, 12, 31, 10, 0, tzinfo=dt.UTC)
    with pytest.raises(fp.NotInForceError, match="in force on 2024-12-31"):
        engine.check_processing({**request, "as_of": evening.isoformat()})
