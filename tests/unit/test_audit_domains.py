"""Each domain declares which of its calls the decision log keeps, and how: what it declares
is recorded whole (a consent attached to an access request, a sale's context) and replays to
the same decisions."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, read_entries, replay_log
from finpolicy.domains.registry import domain, domains
from tests.helpers.directory import DIRECTORY

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 2, 1, 9, 0, tzinfo=BJ)
PARTNER = fp.Recipient(name="partner-insurer", kind="third_party", agreement="dsa-7")
SHARE = fp.ProcessingRequest(customer="cu-2", purpose="third_party_sharing", recipient=PARTNER,
                             as_of=AT)


def export_access(**changes: Any) -> fp.AccessRequest:
    grant = fp.AccessGrant(
        id="g-77", grantee="u-audit-2", purpose="audit", resource_type="transaction_record",
        data_level="core", category="business", requested_at=AT - dt.timedelta(days=1),
        approved_by="u-head-7", approver_roles=["department_head"],
        approved_at=AT - dt.timedelta(hours=20), expires_at=AT + dt.timedelta(days=5))
    return fp.AccessRequest(**{
        "subject": fp.Subject(id="u-audit-2", roles=["compliance_auditor"],
                              department="compliance", branch="HQ"),
        "action": "export", "purpose": "audit", "grants": [grant], "as_of": AT,
        "resource": fp.Resource(type="transaction_record", data_level="core",
                                category="business"),
        "recipient": "partner-insurer", **changes})


def consent(levels: list[str]) -> fp.Consent:
    return fp.Consent(id="c-share", customer="cu-2", purpose="third_party_sharing",
                      separate=True, recipients=["partner-insurer"], data_levels=levels,
                      given_at=GIVEN, evidence="form-902", notice_version="privacy-2025")


def test_every_logged_method_is_an_operation_of_its_domain() -> None:
    for found in domains():
        assert found.problems() == []
        assert set(found.logged) <= set(found.operations)
    logged = domain("access").logged
    broken = attrs.evolve(domain("access"), logged={**logged, "nothing": logged["authorize"]})
    assert broken.problems() == ["logs `nothing`, which is not one of its operations"]


def test_consent_calls_an_attached_consent_and_a_sale_are_logged_whole_and_replay(
        tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log, directory=DIRECTORY)
        allowed = engine.check_processing(SHARE, consents=[consent(["core"])])
        refused = engine.check_processing(SHARE, consents=[])
        engine.authorize_export(export_access(), SHARE, consents=[consent(["core"])])
        with_consent = engine.authorize(export_access(), consent=allowed)
        not_allowing = engine.authorize(export_access(), consent=refused)
        without = engine.authorize(export_access())
        customer = fp.Customer(id="cu-9", risk_level="C2", assessment_date=dt.date(2026, 1, 5),
                               birth_date=dt.date(1980, 1, 1))
        product = fp.Product(id="p-4", kind="wealth_management", risk_level="R4")
        promoted = engine.check_suitability(customer, product, as_of=dt.date(2026, 3, 2),
                                            sale=fp.SaleContext(promoted_by_staff=True))
    assert allowed.allowed and not refused.allowed
    assert with_consent.allowed and with_consent.consent_decision == allowed.input_digest
    assert {not_allowing.rule_ids, without.rule_ids} == {("outside-consent-not-allowing",),
                                                         ("outside-without-consent",)}
    assert "promoted-above-tolerance" in promoted.rule_ids
    entries = list(read_entries(where))
    assert [(e.domain, e.method) for e in entries] == [
        ("consent", "check_processing"), ("consent", "check_processing"),
        ("consent", "authorize_export"), ("access", "authorize"), ("access", "authorize"),
        ("access", "authorize"), ("suitability", "check_suitability")]
    # the pack encrypts even ordinary data at rest, so the log shows masks; replay unseals them
    assert set(entries[3].input["consent"]) == {"outcome", "as_of", "recipient", "input_digest"}
    assert "consent" not in entries[5].input
    # an export's places of closed vocabulary are shown as they are, as an access request's
    access = entries[2].input["export"]["access"]
    assert (access["action"], access["resource"]["data_level"]) == ("export", "core")
    assert (entries[3].input["action"], entries[3].input["resource"]["data_level"]) == \
        ("export", "core")
    assert entries[6].input["sale"]["promoted_by_staff"] is True
    replay = replay_log(where, keys)
    assert replay.reproduced, replay.mismatches[:3]
    assert replay.entries == 7
    # an auditor replays in another process, whose strings hash otherwise: a value the
    # input shows masked two ways (the recipient) must be masked in the decisions as before
    folder = keys.save(tmp_path / "keys")
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-m", "finpolicy", "audit", "replay", str(where),
                               "--keys", str(folder)], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, check=False)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.parametrize("data", [
    {"outcome": "allow", "as_of": "2026-03-02T10:00:00", "input_digest": "x"},
    {"outcome": "allow", "as_of": "2026-03-02T10:00:00+08:00"},
])
def test_an_attached_consent_in_mapping_form_is_checked(data: dict[str, Any]) -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    request = export_access().model_dump(mode="json")
    with pytest.raises(fp.InputError) as info:
        domain("access").evaluate_input(engine.runtime, {**request, "consent": data})
    assert info.value.problems[0].path.startswith("consent")
