"""Decisions made solely by automated means (PIPL Art. 24 ¶3): a customer who refused them gets
a person's decision instead, and one who did not is owed an explanation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, find, settings

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.consent.strategies import consent_cases
from finpolicy.explain import apply_changes, explainer
from tests.unit.test_consent_policy import edited

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REFUSED = {"id": "r-1", "refused_at": AT - dt.timedelta(days=20), "evidence": "form-912"}


def review(**changes: Any) -> fp.ProcessingRequest:
    return fp.ProcessingRequest(**{"customer": "cu-1", "purpose": "credit_review",
                                   "automated_decision": True, "as_of": AT, **changes})


def test_a_customer_who_refused_gets_a_person_s_decision(engine: fp.PolicyEngine) -> None:
    # the refusal was not read: an automated credit review went ahead for a customer who had
    # refused decisions made solely by automated means
    decision = engine.check_processing(review(automated_refusal=REFUSED))
    assert decision.outcome == "deny"
    assert decision.rule_ids == ("solely-automated-after-refusal",)
    assert decision.obligations == ("human_review",)
    assert "reviewed by a person" in decision.hits[0].reason
    assert decision.hits[0].cite == "pipl Art. 24"


def test_a_decision_the_customer_did_not_refuse_is_to_be_explained(
        engine: fp.PolicyEngine) -> None:
    decision = engine.check_processing(review())
    assert decision.allowed and decision.rule_ids == ("allow-without-consent",)
    assert decision.obligations == ("explain_decision",)
    reviewed = engine.check_processing(review(automated_decision=False,
                                              automated_refusal=REFUSED))
    assert reviewed.allowed and reviewed.obligations == ()


@pytest.mark.parametrize(("refusal", "allowed"), [
    ({"refused_at": AT}, False),                               # from the instant it is made
    ({"refused_at": AT + dt.timedelta(seconds=1)}, True),      # not before
    ({**REFUSED, "withdrawn_at": AT}, True),                   # withdrawn at once
    ({**REFUSED, "withdrawn_at": AT + dt.timedelta(seconds=1)}, False),
])
def test_the_refusal_holds_from_its_instant_until_its_withdrawal(
        engine: fp.PolicyEngine, refusal: dict[str, Any], allowed: bool) -> None:
    decision = engine.check_processing(review(automated_refusal=refusal))
    assert decision.allowed is allowed
    assert decision.obligations == (("explain_decision",) if allowed else ("human_review",))


def test_only_the_purposes_the_policy_names_significant_are_refused(
        engine: fp.PolicyEngine) -> None:
    monitoring = review(purpose="risk_monitoring", automated_refusal=REFUSED)
    decision = engine.check_processing(monitoring)
    assert decision.allowed and decision.obligations == ()


def test_why_not_names_the_refusal_and_never_undoes_it(engine: fp.PolicyEngine) -> None:
    x = engine.explain("check_processing", review(automated_refusal=REFUSED))
    [blocking] = [o for o in x.why_not if o.id == "solely-automated-after-refusal"]
    assert "refused decisions made solely by automated means at 2026-02-10 10:00" in \
        blocking.note and "`r-1`" in blocking.note and "a person" in blocking.note
    # only the customer withdraws a refusal: no suggestion removes or backdates it
    assert not [c for s in x.suggestions for c in s.changes
                if c.path.startswith("/request/automated_refusal")]


def test_a_refusal_withdrawn_before_it_was_made_is_an_error_naming_the_field() -> None:
    with pytest.raises(fp.InputError) as info:
        review(automated_refusal={**REFUSED, "withdrawn_at": AT - dt.timedelta(days=30)})
    [problem] = info.value.problems
    assert problem.path == "automated_refusal.withdrawn_at"
    assert "before the refusal" in problem.message


def test_requests_without_the_new_fields_keep_their_digest() -> None:
    # decisions logged before keep replaying to the same input digest
    plain = fp.ProcessingRequest(customer="cu-1", purpose="credit_review", as_of=AT)
    assert review(automated_decision=False).digest() == plain.digest()
    assert review().digest() != plain.digest()


def test_a_policy_without_automated_decisions_decides_as_before() -> None:
    uk = fp.PolicyEngine(fp.load_bundle(shipped_packs() / "uk-fca"))
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    plain = fp.ProcessingRequest(customer="cu-1", purpose="account_service", as_of=at)
    flagged = fp.ProcessingRequest(customer="cu-1", purpose="account_service", as_of=at,
                                   automated_decision=True, automated_refusal=REFUSED)
    old, new = uk.check_processing(plain), uk.check_processing(flagged)
    assert (new.outcome, new.rule_ids, new.obligations) == (old.outcome, old.rule_ids,
                                                            old.obligations)


def test_a_significant_purpose_the_policy_does_not_declare_is_a_policy_problem(
        tmp_path: Path) -> None:
    pack = edited(tmp_path, "significant: [credit_review]", "significant: [credit_reveiw]")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    assert ("unknown_purpose", "spec.automated_decisions.significant[0]") in [
        (p.code, p.path) for p in info.value.problems]


def test_the_strategies_draw_refused_automated_decisions(bundle: fp.Bundle) -> None:
    rules = bundle.policies("ConsentPolicy")[0].policy

    def refused(case: dict[str, Any]) -> bool:
        request = case["request"]
        refusal = request.automated_refusal
        return (request.automated_decision and request.purpose in rules.significant
                and refusal is not None and refusal.in_force(request.as_of))

    found = find(consent_cases(bundle), refused, settings=settings(
        database=None, derandomize=True, max_examples=200,
        suppress_health_check=list(HealthCheck)))
    assert found["request"].purpose == "credit_review"


def test_a_review_reports_an_automated_decision_made_while_the_refusal_held(
        engine: fp.PolicyEngine) -> None:
    done = [review(id="p-auto", automated_refusal=REFUSED),
            review(id="p-before", automated_refusal=REFUSED, as_of=AT - dt.timedelta(days=30)),
            review(id="p-person", automated_refusal=REFUSED, automated_decision=False)]
    report = engine.review_consents([], processing=done, as_of=AT)
    assert [(f.kind, f.use, f.severity, f.rule_id) for f in report.findings] == [
        ("automated_decision_after_refusal", "p-auto", "high", "review-automated-after-refusal")]


def test_a_refused_automated_decision_is_explained_as_one_a_person_makes(
        engines: dict[str, fp.PolicyEngine]) -> None:
    # the explanation said "no change to facts a person can change gives a better outcome":
    # it never offered what the denial's human_review asks, a person's decision
    x = engines["compiled"].explain("check_processing", review(automated_refusal=REFUSED))
    [suggestion] = x.suggestions
    assert "have a person assess the application and make the decision" in suggestion.text
    assert [(c.op, c.path, c.value) for c in suggestion.changes] == [
        ("replace", "/request/automated_decision", False)]
    changed = apply_changes(x.input, suggestion.changes)
    for engine in engines.values():
        after = explainer("consent").decide(engine.runtime, changed)
        assert (after.outcome, after.obligations) == ("allow", ())
    assert changed["request"]["automated_refusal"] == x.input["request"]["automated_refusal"]
    [note] = [n for n in x.notes if "refusal" in n]
    assert "until the customer chooses to withdraw it" in note and "a person" in note
    changeable = {c.fields: c.changeable for o in x.why_not for c in o.conditions}
    assert changeable[("request.automated_decision",)] is True
    assert changeable[("automated.refused",)] is False


@pytest.mark.parametrize("refusal", [
    None, {**REFUSED, "withdrawn_at": AT}, {"refused_at": AT + dt.timedelta(seconds=1)}])
def test_no_person_s_decision_is_offered_when_no_refusal_holds(
        engines: dict[str, fp.PolicyEngine], refusal: dict[str, Any] | None) -> None:
    # an allowed automated decision needs nothing; its explanation changes nothing either
    x = engines["compiled"].explain("check_processing", review(automated_refusal=refusal))
    assert x.outcome == "allow" and x.suggestions == ()


def test_a_refused_decision_also_denied_otherwise_keeps_the_other_reason(
        engines: dict[str, fp.PolicyEngine]) -> None:
    # a person's decision is offered with what else it needs, never as the whole answer
    x = engines["compiled"].explain(
        "check_processing", review(automated_refusal=REFUSED, data_levels=["core"],
                                   recipient={"name": "bureau", "kind": "third_party"}))
    assert {c.path for s in x.suggestions for c in s.changes} >= {
        "/consents/-", "/request/recipient/agreement", "/request/automated_decision"}
    for suggestion in x.suggestions:
        paths = [c.path for c in suggestion.changes]
        assert not [p for p in paths if p.startswith("/request/automated_refusal")]
        changed = apply_changes(x.input, suggestion.changes)
        for engine in engines.values():
            assert explainer("consent").decide(engine.runtime, changed).outcome == "allow"


def test_a_refusal_of_no_significant_decision_is_not_noted(
        engines: dict[str, fp.PolicyEngine]) -> None:
    # analytics denied for want of a consent was explained with a note that the customer's
    # refusal stands and a person decides instead, though the refusal plays no part in it
    x = engines["compiled"].explain("check_processing", review(
        purpose="analytics", automated_refusal=REFUSED))
    assert x.outcome == "deny"
    assert not [n for n in x.notes if "refusal" in n]
    assert not [c for s in x.suggestions for c in s.changes
                if c.path == "/request/automated_decision"]
