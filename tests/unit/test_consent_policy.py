"""The ConsentPolicy kind's own checks, reviews of consent records, and data leaving the bank
(the access decision names the consent decision)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.directory import DIRECTORY

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 2, 1, 9, 0, tzinfo=BJ)


def edited(tmp_path: Path, old: str, new: str) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "consent.yaml"
    text = policy.read_text(encoding="utf-8")
    assert old in text
    policy.write_text(text.replace(old, new, 1), encoding="utf-8")
    return pack


@pytest.mark.parametrize(("old", "new", "code", "where"), [
    ('{start: "08:00", end: "21:00"}', '{start: "08:00", end: "08:00"}', "bad_hours",
     "spec.purposes.marketing.contact.sms.hours"),
    ('{start: "08:00", end: "21:00"}', '{start: "08:00", end: 21:00}', "value_error",
     "spec.purposes.marketing.contact.sms.hours.end"),
    ("        in_branch: {}\n    analytics:", "        fax: {}\n    analytics:",
     "undeclared_channel", "spec.purposes.marketing.contact.fax"),
    ("      third_party_sharing: [cross_border]", "      third_party_sharing: [gossip]",
     "unknown_purpose", "spec.withdrawal.also_stops.third_party_sharing[0]"),
    ("    levels: [core]", "    levels: [secret]", "unknown_level", "spec.sensitive.levels[0]"),
    ("      basis: legal_duty\n", "      basis: legal_duty\n      separate: true\n",
     "consent_settings_without_consent", "spec.purposes.risk_monitoring.basis"),
    ("      require: [consent]\n", "      require: [consent]\n      obligations: [log]\n",
     "misplaced_obligations", "spec.requirements[0].obligations"),
    ("      require: [channel_named]", "      require: [channel_named]\n      when2: 1",
     "extra_forbidden", "spec.requirements[6].when2"),
    ("time_zone: Asia/Shanghai", "time_zone: Asia/Atlantis", "unknown_time_zone",
     "spec.time_zone"),
    ("{field: consent.offered, eq: 0}", "{field: consent.offerd, eq: 0}", "unknown_field",
     "spec.rules[2].when"),
])
def test_policy_problems_name_file_path_and_code(tmp_path: Path, old: str, new: str, code: str,
                                                 where: str) -> None:
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(edited(tmp_path, old, new))
    found = [(p.code, p.path) for p in info.value.problems]
    assert any(c == code and p.startswith(where) for c, p in found), found
    assert all(p.file.endswith("consent.yaml") for p in info.value.problems)


def test_unquoted_times_get_a_hint(tmp_path: Path) -> None:
    with pytest.raises(fp.PolicyError, match='write the time in quotes'):
        fp.load_bundle(edited(tmp_path, '{start: "08:00", end: "21:00"}',
                              '{start: "08:00", end: 21:00}'))


def test_a_withdrawal_delay_keeps_a_consent_counting_for_that_long(tmp_path: Path) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(edited(tmp_path, "delay_hours: 0",
                                                   "delay_hours: 24")))
    consent = fp.Consent(id="c", customer="cu-1", purpose="marketing", channels=["sms"],
                         separate=True, given_at=GIVEN, withdrawn_at=AT - dt.timedelta(hours=23),
                         evidence="e", notice_version="privacy-2025")
    request = fp.ProcessingRequest(customer="cu-1", purpose="marketing", channel="sms",
                                   as_of=AT)
    assert engine.check_processing(request, consents=[consent]).allowed
    later = request.model_copy(update={"as_of": AT + dt.timedelta(hours=1)})
    assert not engine.check_processing(later, consents=[consent]).allowed


def test_scope_consent_stops_only_the_consent_withdrawn(tmp_path: Path) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(edited(tmp_path, "scope: purpose",
                                                   "scope: consent")))
    base: dict[str, Any] = {"customer": "cu-1", "purpose": "marketing", "separate": True,
                            "given_at": GIVEN, "evidence": "e", "notice_version": "privacy-2025"}
    sms = fp.Consent(id="c-sms", channels=["sms"], withdrawn_at=AT - dt.timedelta(hours=1),
                     **base)
    email = fp.Consent(id="c-email", channels=["email"], **base)
    request = fp.ProcessingRequest(customer="cu-1", purpose="marketing", channel="email",
                                   as_of=AT)
    assert engine.check_processing(request, consents=[sms, email]).allowed


# --- reviews ----------------------------------------------------------------------------------

def test_a_review_reports_each_finding_most_severe_first(engine: fp.PolicyEngine) -> None:
    consents = [
        fp.Consent(id="c-bundled", customer="cu-3", purpose="marketing", channels=["sms"],
                   given_at=GIVEN, evidence="account-opening", notice_version="privacy-2025"),
        fp.Consent(id="c-sms", customer="cu-1", purpose="marketing", channels=["sms"],
                   separate=True, given_at=GIVEN, withdrawn_at=AT - dt.timedelta(days=1),
                   evidence="form-881", notice_version="privacy-2025"),
    ]
    contacts = [fp.ContactRecord(id="k-1", customer="cu-1", channel="sms", purpose="marketing",
                                 at=AT - dt.timedelta(hours=20), consent_id="c-sms")]
    report = engine.review_consents(consents, contacts=contacts, as_of=AT)
    assert [(f.severity, f.kind, f.consent_id) for f in report.findings] == [
        ("high", "bundled_consent", "c-bundled"),
        ("high", "contact_after_withdrawal", "c-sms")]
    assert report.findings[1].use == "k-1"
    assert (report.consents_reviewed, report.uses_reviewed) == (2, 1)
    assert report.by_severity() == {"high": 2, "medium": 0, "low": 0}
    assert [d.outcome for d in report.decisions()] == ["bundled_consent",
                                                       "contact_after_withdrawal"]
    assert report.to_dict()["findings"][0]["rule_id"] == "review-bundled-consent"


def test_a_processing_record_needs_its_time(engine: fp.PolicyEngine) -> None:
    record = {"customer": "cu-2", "purpose": "analytics"}
    with pytest.raises(fp.InputError, match=r"processing\.0\.as_of"):
        engine.review_consents([], processing=[record], as_of=AT)


def test_a_review_date_means_midnight_utc(engine: fp.PolicyEngine) -> None:
    report = engine.review_consents([], as_of=dt.date(2026, 3, 2))
    assert report.as_of == dt.datetime(2026, 3, 2, tzinfo=dt.UTC) and report.findings == ()


# --- data leaving the bank ----------------------------------------------------------------------

def export_access(**changes: Any) -> fp.AccessRequest:
    grant = fp.AccessGrant(
        id="g-77", grantee="u-audit-2", purpose="audit", resource_type="transaction_record",
        data_level="core", category="business", requested_at=AT - dt.timedelta(days=1),
        approved_by="u-head-7", approver_roles=["department_head"],
        approved_at=AT - dt.timedelta(hours=20), expires_at=AT + dt.timedelta(days=5))
    data: dict[str, Any] = {
        "subject": fp.Subject(id="u-audit-2", roles=["compliance_auditor"],
                              department="compliance", branch="HQ"),
        "action": "export",
        "resource": fp.Resource(type="transaction_record", data_level="core",
                                category="business"),
        "purpose": "audit", "grants": [grant], "as_of": AT}
    return fp.AccessRequest(**{**data, **changes})


PARTNER = fp.Recipient(name="partner-insurer", kind="third_party", agreement="dsa-7")
SHARE = fp.ProcessingRequest(customer="cu-2", purpose="third_party_sharing", recipient=PARTNER)


def share_consent(levels: list[str]) -> fp.Consent:
    return fp.Consent(id="c-share", customer="cu-2", purpose="third_party_sharing",
                      separate=True, recipients=["partner-insurer"], data_levels=levels,
                      given_at=GIVEN, evidence="form-902", notice_version="privacy-2025")


def test_an_export_names_the_consent_decision_that_allowed_it(engine: fp.PolicyEngine) -> None:
    both = engine.authorize_export(export_access(), SHARE, consents=[share_consent(["core"])])
    assert both.allowed and both.consent.consent_id == "c-share"
    assert both.access.consent_decision == both.consent.input_digest
    # the resource's level decided which consent was needed
    assert both.consent.data_levels == ("core",) and "levels_named" in both.consent.required
    assert "consent decision:" in both.explain()


def test_an_export_whose_consent_is_denied_stays_in_the_bank(engine: fp.PolicyEngine) -> None:
    both = engine.authorize_export(export_access(), SHARE, consents=[share_consent([])])
    assert not both.consent.allowed and not both.access.allowed
    assert both.access.rule_ids == ("outside-consent-not-allowing",)
    assert both.access.consent_decision == both.consent.input_digest


def test_an_export_outside_the_bank_without_a_consent_decision_is_denied(
        engine: fp.PolicyEngine) -> None:
    decision = engine.authorize(export_access(recipient="partner-insurer"))
    assert decision.rule_ids == ("outside-without-consent",)
    assert decision.consent_decision is None
    inside = engine.authorize(export_access())
    assert inside.allowed


def test_a_consent_decision_for_another_recipient_or_time_does_not_count(
        bundle: fp.Bundle) -> None:
    from finpolicy.domains.access.evaluation import authorize

    engine = fp.PolicyEngine(bundle)
    consent = engine.check_processing(SHARE.model_copy(update={"as_of": AT}),
                                      consents=[share_consent(["core"])])
    assert consent.allowed
    elsewhere = authorize(engine.runtime, export_access(recipient="partner-lender"),
                          consent=consent, directory=DIRECTORY)
    assert elsewhere.rule_ids == ("outside-consent-not-allowing",)
    later = authorize(engine.runtime, export_access(recipient="partner-insurer",
                                                    as_of=AT + dt.timedelta(minutes=1)),
                      consent=consent, directory=DIRECTORY)
    assert later.rule_ids == ("outside-consent-not-allowing",)


def test_export_requests_must_agree(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError, match="recipient") as info:
        engine.authorize_export(export_access(recipient="partner-lender"), SHARE)
    assert info.value.problems[0].code == "recipient_mismatch"
    with pytest.raises(fp.InputError) as info:
        engine.authorize_export(export_access(),
                                SHARE.model_copy(update={"as_of": AT + dt.timedelta(hours=1)}))
    assert info.value.problems[0].code == "time_mismatch"
    with pytest.raises(fp.InputError, match="request.recipient"):
        engine.authorize_export(export_access(), SHARE.model_copy(update={"recipient": None}))


def test_requests_without_a_recipient_keep_their_input_digest(engine: fp.PolicyEngine) -> None:
    request = fp.AccessRequest(
        subject=fp.Subject(id="u", roles=["teller"], branch="BJ01"), action="read",
        resource=fp.Resource(type="customer_record", data_level="ordinary",
                             category="business", branch="BJ01"),
        purpose="account_service",
        as_of=dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    # the digest this request had before access requests could name a recipient (of its
    # canonical form: identities and scopes are normalised before anything reads them)
    assert engine.authorize(request).input_digest == \
        "171b196aaaa3f4ad3087bf47dc1f2f2e81ded554c01d3dc831b33c5cbf42dc44"
    outside = request.model_copy(update={"recipient": "partner"})
    assert engine.authorize(outside).input_digest != engine.authorize(request).input_digest


# --- pictures -------------------------------------------------------------------------------------

def test_the_matrix_colours_every_cell_by_its_decision(bundle: fp.Bundle) -> None:
    from finpolicy import docgen
    from finpolicy.docgen.html import COLOURS

    engine = fp.PolicyEngine(bundle)
    (doc,) = bundle.policies("ConsentPolicy")
    markup = docgen.picture("consent-matrix", engine.runtime, doc)
    rules = doc.policy
    assert markup.count("<tr>") == len(rules.purposes) + 1
    import re

    cells = re.findall(r'<td style="[^"]*background:(#[0-9a-f]+)', markup)
    assert len(cells) == len(rules.purposes) * len(rules.channels)
    assert set(cells) == {COLOURS["allow"], COLOURS["deny"]}
    assert "08:00–21:00 local" in markup and "≤ 4 per 30 days" in markup
    assert "channel-not-for-purpose" in markup  # why credit review never calls


def test_the_timeline_shows_a_withdrawal_stopping_the_purpose(bundle: fp.Bundle) -> None:
    import xml.dom.minidom

    from finpolicy import docgen

    engine = fp.PolicyEngine(bundle)
    (doc,) = bundle.policies("ConsentPolicy")
    svg = docgen.picture("consent-timeline", engine.runtime, doc)
    xml.dom.minidom.parseString(svg)  # well-formed
    assert svg.count("withdrawn (c-1)") == 2  # both earlier consents stop with it
    assert svg.count('fill="#66bb6a"') == 3 and svg.count('fill="#ef5350"') == 4
    assert "outside-allowed-hours" in svg and "consent-withdrawn" in svg
