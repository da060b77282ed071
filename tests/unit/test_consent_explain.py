"""Explaining consent decisions: what each deny rule saw, which requirement no consent met,
and verified changes a person can make (a new consent, waiting, another consented channel,
the recipient's paperwork) — never a withdrawal undone or a consent backdated. And data
leaving the bank: the access explanation attaches an allowed consent decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp
from finpolicy.domains.consent.spec import REQUIREMENT_NAMES
from finpolicy.explain import Explanation, Suggestion, apply_changes, explain, explainer

BJ = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 2, 1, 9, 0, tzinfo=BJ)
PARTNER = {"name": "partner-insurer", "kind": "third_party", "agreement": "dsa-7"}


def marketing(**changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": "c-mkt", "customer": "cu-1", "purpose": "marketing",
                            "channels": ["sms", "email"], "separate": True,
                            "given_at": GIVEN, "evidence": "form-881",
                            "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def sms(at: dt.datetime = AT, **changes: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(**{"customer": "cu-1", "purpose": "marketing",
                                   "channel": "sms", "as_of": at, **changes})


def sharing(**changes: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(**{"customer": "cu-2", "purpose": "third_party_sharing",
                                   "fields": ["account_number"], "recipient": PARTNER,
                                   "as_of": AT, **changes})


def shared(**changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": "c-share", "customer": "cu-2",
                            "purpose": "third_party_sharing", "separate": True,
                            "recipients": ["partner-insurer"], "data_levels": ["core"],
                            "given_at": GIVEN, "evidence": "form-902",
                            "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def why(engines: dict[str, fp.PolicyEngine], request: fp.ProcessingRequest,
        consents: list[fp.Consent], contacts: Sequence[fp.ContactRecord] = ()) -> Explanation:
    x = engines["compiled"].explain("check_processing", request, consents=consents,
                                    contacts=list(contacts))
    assert x.outcome == "deny" and x.target == "allow"
    return x


def verified(engines: dict[str, fp.PolicyEngine], x: Explanation,
             suggestion: Suggestion) -> dict[str, Any]:
    """The changed input, after checking it allows on both engines."""
    changed = apply_changes(x.input, suggestion.changes)
    for engine in engines.values():
        assert explainer("consent").decide(engine.runtime, changed).outcome == "allow"
    return changed


def obstacle(x: Explanation, rule: str) -> Any:
    found = [o for o in x.why_not if o.id == rule]
    assert found, x.text()
    return found[0]


# --- time: hours, caps, consents on record ---------------------------------------------------

def test_outside_the_hours_it_says_the_local_time_and_waits_for_the_next_allowed_hour(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = why(engines, sms(AT.replace(hour=22, minute=30)), [marketing()])
    note = obstacle(x, "outside-allowed-hours").note
    assert "local time 2026-03-02 22:30 (Asia/Shanghai)" in note
    assert "allowed 08:00–21:00" in note and "next allowed 2026-03-03 08:00" in note
    wait = next(s for s in x.suggestions if s.levers == ("time",))
    assert "wait until 2026-03-03 08:00 (Asia/Shanghai)" in wait.text
    assert [(c.op, c.path) for c in wait.changes] == [("replace", "/request/as_of")]
    changed = verified(engines, x, wait)
    assert dt.datetime.fromisoformat(changed["request"]["as_of"]) == \
        dt.datetime(2026, 3, 3, 8, 0, tzinfo=BJ)
    # email has no quiet hours and the customer consented to it
    email = next(s for s in x.suggestions if s.levers == ("channel",))
    assert "by `email` instead" in email.text and "`c-mkt`" in email.text
    assert verified(engines, x, email)["request"]["channel"] == "email"


def test_the_next_allowed_hour_is_the_customers_own_across_time_zones(
        engines: dict[str, fp.PolicyEngine]) -> None:
    late = dt.datetime(2026, 3, 2, 22, 30, tzinfo=LONDON)  # 06:30 the next day in Beijing
    x = why(engines, sms(late, time_zone="Europe/London"), [marketing(channels=["sms"])])
    (wait,) = x.suggestions
    assert "wait until 2026-03-03 08:00 (Europe/London)" in wait.text
    changed = verified(engines, x, wait)
    assert dt.datetime.fromisoformat(changed["request"]["as_of"]) == \
        dt.datetime(2026, 3, 3, 8, 0, tzinfo=LONDON)


def test_at_the_cap_it_counts_the_contacts_and_waits_until_the_window_has_room(
        engines: dict[str, fp.PolicyEngine]) -> None:
    ats = [AT - dt.timedelta(days=d) for d in (25, 20, 10, 1)]
    history = [fp.ContactRecord(customer="cu-1", channel="sms", purpose="marketing", at=t)
               for t in ats]
    x = why(engines, sms(), [marketing(channels=["sms"])], history)
    note = obstacle(x, "frequency-cap-reached").note
    assert "4 contacts by `sms` for `marketing` in the 30 days up to now, the cap is 4" in note
    (wait,) = x.suggestions
    assert "the frequency cap's window has room again" in wait.text
    changed = verified(engines, x, wait)
    # the oldest contact leaves the window 30 days after it was made
    assert dt.datetime.fromisoformat(changed["request"]["as_of"]) == ats[0] + \
        dt.timedelta(days=30)


def test_a_consent_on_record_given_later_is_waited_for_never_backdated(
        engines: dict[str, fp.PolicyEngine]) -> None:
    later = AT + dt.timedelta(hours=2)
    x = why(engines, sms(), [marketing(given_at=later)])
    assert "`c-mkt` is given only at 2026-03-02 12:00" in obstacle(
        x, "consent-not-yet-given").note
    wait = next(s for s in x.suggestions if s.levers == ("time",))
    assert "wait until consent `c-mkt` is given" in wait.text
    assert verified(engines, x, wait)["consents"] == x.input["consents"]


# --- consents: withdrawn, expired, outdated, bundled, not naming enough ----------------------

def test_after_a_withdrawal_only_a_new_consent_the_customer_chooses_to_give_counts(
        engines: dict[str, fp.PolicyEngine]) -> None:
    withdrawn = AT - dt.timedelta(hours=1)
    x = why(engines, sms(), [marketing(withdrawn_at=withdrawn)])
    assert "`c-mkt` was withdrawn at 2026-03-02 09:00 (Asia/Shanghai)" in obstacle(
        x, "consent-withdrawn").note
    assert any("a withdrawal is never undone" in n for n in x.notes)
    (new,) = x.suggestions
    assert new.text.startswith("if the customer chooses to consent again, obtain")
    assert [(c.op, c.path) for c in new.changes] == [("add", "/consents/-")]
    consent = new.changes[0].value
    assert consent["given_at"] == AT.isoformat() and consent["withdrawn_at"] is None
    assert consent["separate"] and consent["channels"] == ["sms"]
    changed = verified(engines, x, new)
    assert changed["consents"][0] == x.input["consents"][0]  # the withdrawal stays


def test_a_withdrawal_at_the_very_instant_needs_a_consent_given_after_it(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = why(engines, sms(), [marketing(withdrawn_at=AT)])
    (new,) = x.suggestions
    consent = next(c.value for c in new.changes if c.path == "/consents/-")
    after = AT + dt.timedelta(seconds=1)
    assert dt.datetime.fromisoformat(consent["given_at"]) == after
    assert "proceed after it is given" in new.text
    changed = verified(engines, x, new)
    assert dt.datetime.fromisoformat(changed["request"]["as_of"]) == after


@pytest.mark.parametrize(("changes", "rule", "seen"), [
    ({"expires_at": AT - dt.timedelta(days=1)}, "consent-expired",
     "`c-mkt` expired at 2026-03-01 10:00"),
    ({"given_at": AT - dt.timedelta(days=800)}, "consent-lapsed",
     "a consent to `marketing` lasts 730 days"),
    ({"notice_version": "privacy-2023"}, "consent-notice-outdated",
     "`c-mkt` names notice `privacy-2023`; the policy accepts `privacy-2024`, `privacy-2025`"),
    ({"separate": False}, "consent-not-separate", "`c-mkt` was bundled with other terms"),
    ({"channels": ["email"]}, "consent-channel-not-covered",
     "`c-mkt` names channels `email`; the contact is by `sms`"),
])
def test_each_way_a_consent_fails_is_named_and_a_new_consent_is_obtained(
        engines: dict[str, fp.PolicyEngine], changes: dict[str, Any], rule: str,
        seen: str) -> None:
    x = why(engines, sms(), [marketing(**changes)])
    assert seen in obstacle(x, rule).note
    new = next(s for s in x.suggestions if s.levers == ("consent",))
    consent = new.changes[0].value
    assert consent["notice_version"] == "privacy-2025"  # the newest the policy accepts
    assert consent["given_at"] == AT.isoformat() and consent["separate"]
    assert "under notice `privacy-2025`" in new.text
    verified(engines, x, new)


def test_the_requirement_rules_no_consent_met_are_named(
        engines: dict[str, fp.PolicyEngine]) -> None:
    bundled = shared(separate=False, data_levels=[], recipients=["partner-bank"])
    x = why(engines, sharing(), [bundled])
    required = {o.id: [c.text for c in o.conditions] for o in x.why_not
                if o.effect.startswith("requires")}
    assert required["separate-purpose"] == [REQUIREMENT_NAMES["separate_consent"]]
    assert required["core-outside-named"] == [REQUIREMENT_NAMES["levels_named"]]
    assert REQUIREMENT_NAMES["recipient_named"] in required["third-party-separate"]
    assert obstacle(x, "third-party-separate").cite == "pipl Art. 23"
    assert "(not met by `c-share`)" in x.text()
    (new,) = [s for s in x.suggestions if s.levers == ("consent",)]
    consent = new.changes[0].value
    assert consent["separate"] and consent["data_levels"] == ["core"]
    assert consent["recipients"] == ["partner-insurer"]
    assert "naming the recipient `partner-insurer` and the data used (core" in new.text
    verified(engines, x, new)


def test_a_consent_that_counts_leaves_no_requirement_in_the_way(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = why(engines, sharing(recipient={"name": "partner-insurer", "kind": "third_party"}),
            [shared()])
    assert [o.id for o in x.why_not] == ["third-party-without-agreement"]
    (sign,) = x.suggestions
    assert sign.levers == ("agreement",)
    assert "conclude a data security agreement with `partner-insurer`" in sign.text
    verified(engines, x, sign)


# --- facts no one can change -----------------------------------------------------------------

def test_marketing_with_core_data_says_nothing_a_person_can_change_decides_it(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = why(engines, sms(data_levels=["core"]), [marketing(data_levels=["core"])])
    stuck = obstacle(x, "marketing-never-core")
    assert not stuck.changeable and x.suggestions == ()
    assert "cannot be changed by a person" in x.text() and "levels and categories" in x.notes[0]


def test_a_purpose_that_contacts_no_one_is_not_moved_to_another_channel(
        engines: dict[str, fp.PolicyEngine]) -> None:
    consent = fp.Consent(id="c-an", customer="cu-1", purpose="analytics", given_at=GIVEN,
                         notice_version="privacy-2025")
    request = fp.ProcessingRequest(customer="cu-1", purpose="analytics", channel="sms",
                                   as_of=AT)
    x = why(engines, request, [consent])
    assert not obstacle(x, "channel-not-for-purpose").changeable and x.suggestions == ()


# --- the input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "words"), [
    ({"review": {"consents": []}}, "reviews and exports are not explained"),
    ({"export": {"access": {}, "request": {}}}, "its access side with `authorize`"),
    ({"request": {"customer": "c", "purpose": "marketing"}, "history": []}, "unknown key"),
    ({"consents": []}, "expected one `request`"),
])
def test_inputs_it_cannot_explain_are_rejected_clearly(
        engines: dict[str, fp.PolicyEngine], data: dict[str, Any], words: str) -> None:
    with pytest.raises(fp.InputError) as err:
        explain(engines["compiled"], "consent", data)
    assert words in str(err.value)


def test_the_explained_decision_is_the_engines_and_json_is_plain(
        engines: dict[str, fp.PolicyEngine]) -> None:
    from finpolicy.explain import explain_json

    engine = engines["durable"]
    request, consents = sms(AT.replace(hour=7)), [marketing()]
    x = engine.explain("check_processing", request, consents=consents)
    assert x.decision == engine.check_processing(request, consents=consents)
    assert x.input["request"]["as_of"] == request.as_of.isoformat()  # type: ignore[union-attr]
    out = explain_json(engine, "consent", {"request": request.model_dump(mode="json"),
                                           "consents": [marketing().model_dump(mode="json")]},
                       detail=True)
    assert out["outcome"] == "deny" and out["suggestions"] and out["rules"]
    assert {r["ruleset"] for r in out["rules"]} == {"requirements", "processing"}


def test_the_request_time_defaults_to_as_of_then_stays_fixed(
        engines: dict[str, fp.PolicyEngine]) -> None:
    data = {"request": {"customer": "cu-1", "purpose": "marketing", "channel": "sms"},
            "consents": [marketing().model_dump(mode="json")]}
    x = explain(engines["compiled"], "consent", data, as_of=AT)
    assert x.outcome == "allow" and x.target is None
    assert dt.datetime.fromisoformat(x.input["request"]["as_of"]) == AT


# --- data leaving the bank: the access side ---------------------------------------------------

EXPORT = {"subject": {"id": "u-audit-2", "roles": ["compliance_auditor"],
                      "department": "compliance", "branch": "HQ"},
          "action": "export", "purpose": "audit", "as_of": AT.isoformat(),
          "recipient": "partner-insurer",
          "resource": {"type": "transaction_record", "data_level": "ordinary",
                       "category": "business", "department": "compliance", "branch": "HQ"}}


def test_an_export_without_a_consent_decision_is_told_to_attach_an_allowed_one(
        engines: dict[str, fp.PolicyEngine]) -> None:
    x = explain(engines["compiled"], "access", EXPORT)
    assert [o.id for o in x.why_not if o.role == "blocks"] == ["outside-without-consent"]
    (attach,) = x.suggestions
    assert attach.text.startswith("obtain the customer's consent for sharing with "
                                  "`partner-insurer` and attach the consent decision")
    assert attach.levers == ("consent",)
    (change,) = attach.changes
    assert (change.op, change.path) == ("add", "/consent")
    assert change.value == {"outcome": "allow", "recipient": "partner-insurer",
                            "as_of": AT.isoformat(), "input_digest": "consent-decision-to-obtain"}
    for engine in engines.values():
        changed = apply_changes(x.input, attach.changes)
        assert explainer("access").decide(engine.runtime, changed).outcome == "allow"


def test_a_denying_consent_decision_is_explained_and_replaced_by_an_allowed_one(
        engines: dict[str, fp.PolicyEngine]) -> None:
    engine = engines["compiled"]
    request = fp.ProcessingRequest(customer="cu-2", purpose="third_party_sharing",
                                   data_levels=["ordinary"], recipient=PARTNER, as_of=AT)
    access = fp.AccessRequest.parse(EXPORT)
    export = engine.authorize_export(access, request, consents=[])
    assert not export.consent.allowed and not export.access.allowed
    # the access side of the export, explained with the consent decision it was given
    x = engine.explain("authorize", access, consent=export.consent)
    assert x.decision == export.access
    assert x.decision.consent_decision == export.consent.input_digest
    assert [o.id for o in x.why_not if o.role == "blocks"] == ["outside-consent-not-allowing"]
    (attach,) = x.suggestions
    assert [(c.op, c.path) for c in attach.changes] == [("replace", "/consent")]
    # the consent side says what the customer's consent must be; with it the export goes
    side = engine.explain("check_processing", request, consents=[])
    new = next(s for s in side.suggestions if s.levers == ("consent",))
    consents = apply_changes(side.input, new.changes)["consents"]
    assert engine.authorize_export(access, request, consents=consents).allowed
