"""Consent and purpose limitation: decisions at every boundary, on both engines.

Instants are exact (a consent counts from ``given_at``; from ``expires_at`` and from its
withdrawal it no longer does), allowed hours are local time in the customer's zone with the
end excluded, a cap counts contacts in ``(as_of - days, as_of]``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.registry import domain
from finpolicy.engine import EngineCore

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 2, 1, 9, 0, tzinfo=BJ)


def marketing(**changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": "c-mkt", "customer": "cu-1", "purpose": "marketing",
                            "channels": ["sms", "email"], "separate": True,
                            "given_at": GIVEN, "evidence": "form-881",
                            "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def sms(at: dt.datetime = AT, **changes: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(**{"customer": "cu-1", "purpose": "marketing",
                                   "channel": "sms", "as_of": at, **changes})


def contacts(*ats: dt.datetime, channel: str = "sms") -> list[fp.ContactRecord]:
    return [fp.ContactRecord(customer="cu-1", channel=channel, purpose="marketing", at=t)
            for t in ats]


# --- the domain is a plug-in -----------------------------------------------------------------

def test_check_processing_works_through_the_registry_alone(bundle: fp.Bundle) -> None:
    # EngineCore has none of the façade's typed mixins: the method it answers with is the
    # one the registered Domain object declares
    from finpolicy.domains.consent.evaluate import check_processing

    assert "check_processing" not in dir(EngineCore)
    core = EngineCore(bundle)
    method = core.check_processing
    assert domain("consent").operations["check_processing"] is check_processing
    assert getattr(method, "func", None) is not None \
        and method.args == ("check_processing", check_processing)
    decision = method(sms(), consents=[marketing()])
    assert isinstance(decision, fp.ConsentDecision) and decision.allowed
    assert decision == fp.PolicyEngine(bundle).check_processing(sms(), consents=[marketing()])
    assert fp.Consent is domain("consent").exports["Consent"]


def test_the_consent_domain_is_registered_by_its_entry_point() -> None:
    from importlib import metadata

    (entry,) = [ep for ep in metadata.entry_points(group="finpolicy.domains")
                if ep.name == "consent"]
    assert entry.load() is domain("consent")


# --- instants ---------------------------------------------------------------------------------

def test_a_consent_counts_from_the_instant_it_is_given(engine: fp.PolicyEngine) -> None:
    assert engine.check_processing(sms(GIVEN), consents=[marketing()]).allowed
    before = engine.check_processing(sms(GIVEN - dt.timedelta(seconds=1)),
                                     consents=[marketing()])
    assert not before.allowed and before.rule_ids == ("consent-not-yet-given",)


def test_a_consent_stops_counting_at_the_instant_it_expires(engine: fp.PolicyEngine) -> None:
    given = [marketing(expires_at=AT)]
    assert engine.check_processing(sms(AT - dt.timedelta(seconds=1)), consents=given).allowed
    at_expiry = engine.check_processing(sms(AT), consents=given)
    assert at_expiry.rule_ids == ("consent-expired",)
    assert at_expiry.consent_failures == ("c-mkt: expired",)


def test_a_withdrawal_takes_effect_at_its_instant(engine: fp.PolicyEngine) -> None:
    given = [marketing(withdrawn_at=AT)]
    assert engine.check_processing(sms(AT - dt.timedelta(microseconds=1)),
                                   consents=given).allowed
    assert engine.check_processing(sms(AT), consents=given).rule_ids == ("consent-withdrawn",)


def test_a_withdrawal_stops_the_purpose_until_a_later_consent(engine: fp.PolicyEngine) -> None:
    withdrawn = marketing(id="c-sms", channels=["sms"], withdrawn_at=AT - dt.timedelta(hours=2))
    email = marketing(id="c-email", channels=["email"], given_at=GIVEN + dt.timedelta(days=3))
    stopped = engine.check_processing(sms(channel="email"), consents=[withdrawn, email])
    assert stopped.rule_ids == ("consent-withdrawn",)
    again = marketing(id="c-email-2", channels=["email"], given_at=AT - dt.timedelta(hours=1))
    after = engine.check_processing(sms(channel="email"), consents=[withdrawn, email, again])
    assert after.allowed and after.consent_id == "c-email-2"
    # given at the very instant of the withdrawal: the withdrawal wins (fails closed)
    same = marketing(id="c-same", channels=["email"], given_at=AT - dt.timedelta(hours=2))
    assert not engine.check_processing(sms(channel="email"), consents=[withdrawn, same]).allowed


def test_the_consent_named_is_the_one_given_last(engine: fp.PolicyEngine) -> None:
    older = marketing(id="c-b")
    newer = marketing(id="c-z", given_at=GIVEN + dt.timedelta(days=1))
    tie = marketing(id="c-a", given_at=GIVEN + dt.timedelta(days=1))
    decision = engine.check_processing(sms(), consents=[older, newer, tie])
    assert decision.consent_id == "c-a"  # the later ones tie; the smaller id wins


def test_consents_of_other_customers_do_not_count(engine: fp.PolicyEngine) -> None:
    theirs = marketing(customer="cu-2")
    decision = engine.check_processing(sms(), consents=[theirs])
    assert decision.rule_ids == ("no-consent",)


# --- separate vs bundled, core vs ordinary ----------------------------------------------------

def test_marketing_needs_a_separate_consent(engine: fp.PolicyEngine) -> None:
    bundled = engine.check_processing(sms(), consents=[marketing(separate=False)])
    assert bundled.rule_ids == ("consent-not-separate",)
    assert "separate_consent" in bundled.required


def test_sensitive_core_data_needs_separate_consent_ordinary_does_not(
        engine: fp.PolicyEngine) -> None:
    consent = fp.Consent(id="c-an", customer="cu-1", purpose="analytics", given_at=GIVEN,
                         evidence="app-3", notice_version="privacy-2025")
    ordinary = fp.ProcessingRequest(customer="cu-1", purpose="analytics",
                                    data_levels=["ordinary"], as_of=AT)
    core = ordinary.model_copy(update={"data_levels": ["core"]})
    assert engine.check_processing(ordinary, consents=[consent]).allowed
    denied = engine.check_processing(core, consents=[consent])
    assert denied.rule_ids == ("consent-not-separate",)
    assert "sensitive-data-separate" in [h.rule_id for h in denied.requirement_hits]


def share(level: str, **recipient: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(
        customer="cu-2", purpose="third_party_sharing", data_levels=[level], as_of=AT,
        recipient=fp.Recipient(**{"name": "partner-insurer", "kind": "third_party",
                                  "agreement": "dsa-7", **recipient}))


def sharing_consent(**changes: Any) -> fp.Consent:
    return fp.Consent(**{"id": "c-share", "customer": "cu-2", "purpose": "third_party_sharing",
                         "separate": True, "recipients": ["partner-insurer"],
                         "given_at": GIVEN, "evidence": "form-902",
                         "notice_version": "privacy-2025", **changes})


def test_third_party_sharing_with_and_without_a_data_agreement(engine: fp.PolicyEngine) -> None:
    assert engine.check_processing(share("ordinary"), consents=[sharing_consent()]).allowed
    without = engine.check_processing(share("ordinary", agreement=None),
                                      consents=[sharing_consent()])
    assert without.rule_ids == ("third-party-without-agreement",)


def test_core_data_to_a_third_party_needs_a_consent_naming_core(engine: fp.PolicyEngine) -> None:
    plain = engine.check_processing(share("core"), consents=[sharing_consent()])
    assert plain.rule_ids == ("consent-level-not-covered",)
    assert "levels_named" in plain.required
    named = engine.check_processing(share("core"),
                                    consents=[sharing_consent(data_levels=["core"])])
    assert named.allowed and named.obligations == ("impact_assessment",
                                                   "record_consent_evidence")
    bundled = engine.check_processing(
        share("core"), consents=[sharing_consent(data_levels=["core"], separate=False)])
    assert bundled.rule_ids == ("consent-not-separate",)


def test_fields_are_classified_by_the_bundle_to_decide_the_consent(
        engine: fp.PolicyEngine) -> None:
    by_field = share("ordinary").model_copy(update={"data_levels": [],
                                                    "fields": ["account_number"]})
    decision = engine.check_processing(by_field, consents=[sharing_consent()])
    assert decision.data_levels == ("core",) and "business" in decision.categories
    assert decision.rule_ids == ("consent-level-not-covered",)


# --- allowed hours across midnight and time zones ---------------------------------------------

@pytest.mark.parametrize(("local", "allowed"), [
    (dt.time(7, 59, 59), False), (dt.time(8, 0), True), (dt.time(20, 59, 59), True),
    (dt.time(21, 0), False), (dt.time(0, 0), False)])
def test_sms_hours_start_inclusive_end_exclusive(engine: fp.PolicyEngine, local: dt.time,
                                                 allowed: bool) -> None:
    at = dt.datetime.combine(AT.date(), local, BJ)
    assert engine.check_processing(sms(at), consents=[marketing()]).allowed is allowed


def test_hours_are_the_customers_local_time_across_midnight(engine: fp.PolicyEngine) -> None:
    utc = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 07:30 on 03-02 in Beijing
    beijing = engine.check_processing(sms(utc), consents=[marketing()])
    assert beijing.rule_ids == ("outside-allowed-hours",)
    assert beijing.local_time == dt.datetime(2026, 3, 2, 7, 30, tzinfo=BJ)
    new_york = engine.check_processing(sms(utc, time_zone="America/New_York"),
                                       consents=[marketing()])  # 18:30 on 03-01
    assert new_york.allowed
    assert new_york.local_time is not None and new_york.local_time.date() == dt.date(2026, 3, 1)


def wrapping_pack(tmp_path: Path) -> fp.Bundle:
    """The shipped pack with night-only app pushes (20:00 to 08:00, across midnight)."""
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "consent.yaml"
    text = policy.read_text(encoding="utf-8")
    old = 'app_push: {hours: {start: "08:00", end: "22:00"}'
    assert old in text
    policy.write_text(text.replace(old, 'app_push: {hours: {start: "20:00", end: "08:00"}'),
                      encoding="utf-8")
    return fp.load_bundle(pack)


@pytest.mark.parametrize("engine_name", ["compiled", "durable"])
def test_a_window_that_crosses_midnight(tmp_path: Path, engine_name: str) -> None:
    engine = fp.PolicyEngine(wrapping_pack(tmp_path), engine=engine_name)
    consent = [marketing(channels=["app_push"])]
    expected = {dt.time(19, 59): False, dt.time(20, 0): True, dt.time(23, 59): True,
                dt.time(0, 0): True, dt.time(7, 59): True, dt.time(8, 0): False,
                dt.time(12, 0): False}
    for local, allowed in expected.items():
        at = dt.datetime.combine(AT.date(), local, BJ)
        got = engine.check_processing(sms(at, channel="app_push"), consents=consent)
        assert got.allowed is allowed, local


# --- frequency caps at N and N+1 --------------------------------------------------------------

def test_the_cap_allows_the_nth_contact_and_refuses_the_next(engine: fp.PolicyEngine) -> None:
    # the SMS cap is 4 in 30 days
    three = contacts(*(AT - dt.timedelta(days=d) for d in (1, 10, 20)))
    fourth = engine.check_processing(sms(), consents=[marketing()], contacts=three)
    assert fourth.allowed and (fourth.contacts_in_window, fourth.cap) == (3, 4)
    four = three + contacts(AT - dt.timedelta(hours=1))
    fifth = engine.check_processing(sms(), consents=[marketing()], contacts=four)
    assert fifth.rule_ids == ("frequency-cap-reached",) and fifth.contacts_in_window == 4


def test_the_cap_window_excludes_its_first_instant_and_includes_now(
        engine: fp.PolicyEngine) -> None:
    edge = contacts(AT - dt.timedelta(days=30), AT - dt.timedelta(days=2),
                    AT - dt.timedelta(days=1), AT)
    decision = engine.check_processing(sms(), consents=[marketing()], contacts=edge)
    assert decision.contacts_in_window == 3 and decision.allowed
    later = contacts(AT + dt.timedelta(seconds=1))  # after the decision: not history
    assert engine.check_processing(sms(), consents=[marketing()],
                                   contacts=later).contacts_in_window == 0


def test_other_channels_and_purposes_do_not_count(engine: fp.PolicyEngine) -> None:
    others = contacts(*(AT - dt.timedelta(days=d) for d in range(1, 6)), channel="email")
    others += [fp.ContactRecord(customer="cu-1", channel="sms", purpose="account_service",
                                at=AT - dt.timedelta(days=d)) for d in range(1, 6)]
    assert engine.check_processing(sms(), consents=[marketing()], contacts=others).allowed


# --- inputs that raise, decisions that fail closed --------------------------------------------

def test_vocabulary_errors_name_the_field(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        engine.check_processing(sms(channel="fax", data_levels=["secret"]),
                                consents=[marketing(channels=["pigeon"])],
                                contacts=contacts(AT, channel="telex"))
    # the request's were named `channel` and `data_levels`, though pydantic's errors of the
    # same request name `request.channel`
    assert info.value.fields == ("request.channel", "request.data_levels",
                                 "consents.0.channels", "contacts.0.channel")


def test_naive_times_and_bad_zones_are_input_errors() -> None:
    with pytest.raises(fp.InputError, match="given_at"):
        marketing(given_at=dt.datetime(2026, 2, 1, 9, 0))
    with pytest.raises(fp.InputError, match="time_zone.*Mars/Olympus"):
        sms(time_zone="Mars/Olympus")
    with pytest.raises(fp.InputError, match="withdrawn_at"):
        marketing(withdrawn_at=GIVEN - dt.timedelta(days=1))
    with pytest.raises(fp.InputError, match="consents"):
        fp.PolicyEngine().check_processing(sms(), consents=marketing())  # type: ignore[arg-type]


def test_an_unknown_purpose_denies(engine: fp.PolicyEngine) -> None:
    decision = engine.check_processing(sms(purpose="curiosity", channel=None))
    assert decision.rule_ids == ("unknown-purpose",) and not decision.allowed


def test_an_evaluation_error_denies_with_the_reason(bundle: fp.Bundle) -> None:
    engine = fp.PolicyEngine(bundle)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine on fire")

    engine.runtime._evaluators = {k: type("E", (), {"matches": broken, "ruleset": v.ruleset})()
                                  for k, v in engine.runtime._evaluators.items()}
    decision = engine.check_processing(sms(), consents=[marketing()])
    assert not decision.allowed and decision.rule_ids == ("evaluation-error",)
    assert "engine on fire" in decision.hits[0].reason


def test_decisions_explain_and_serialise(engine: fp.PolicyEngine) -> None:
    decision = engine.check_processing(sms(), consents=[marketing()])
    text = decision.explain()
    assert "consent: c-mkt" in text and "[pipl Art. 14]" in text
    data = decision.to_dict()
    assert data["consent_id"] == "c-mkt" and data["local_time"].startswith("2026-03-02T10:00")
    again = engine.check_processing(sms(), consents=[marketing()])
    assert again == decision and again.input_digest == decision.input_digest
    other = engine.check_processing(sms(), consents=[marketing(evidence="form-882")])
    assert other.input_digest != decision.input_digest
