"""Consent properties: withdrawing a consent never turns a deny into an allow; adding a consent
never turns an allow into a deny; more earlier contacts never turn a deny into an allow; both
engines give the same decisions. Inputs come from the domain's own strategies (requests at the
edges of the allowed hours and time zones, consents on either side of their instants, contact
histories at the caps)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.consent.strategies import consent_cases, consents

BUNDLE = fp.load_bundle()
COMPILED = fp.PolicyEngine(BUNDLE)
DURABLE = fp.PolicyEngine(BUNDLE, engine="durable")


def decide(engine: fp.PolicyEngine, case: dict[str, Any]) -> fp.ConsentDecision:
    return engine.check_processing(case["request"], consents=case["consents"],
                                   contacts=case["contacts"])


@st.composite
def withdrawn(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case, and the same case with one of its consents withdrawn at some instant at or
    after it was given (before or after the request)."""
    case = draw(consent_cases(BUNDLE))
    live = [i for i, c in enumerate(case["consents"]) if c.withdrawn_at is None]
    if not live:
        return case, case
    i = draw(st.sampled_from(live))
    consent = case["consents"][i]
    at = case["request"].as_of
    when = draw(st.sampled_from([consent.given_at, at - dt.timedelta(hours=1), at,
                                 at + dt.timedelta(hours=1)]))
    when = max(when, consent.given_at)
    changed = list(case["consents"])
    changed[i] = consent.model_copy(update={"withdrawn_at": when})
    return case, {**case, "consents": changed}


@given(withdrawn())
def test_withdrawing_a_consent_never_turns_a_deny_into_an_allow(
        pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    before, after = pair
    if not decide(COMPILED, before).allowed:
        assert not decide(COMPILED, after).allowed


@st.composite
def added(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case, and the same case with one more consent (never withdrawn) of its customer."""
    case = draw(consent_cases(BUNDLE))
    request = case["request"]
    extra = draw(consents(BUNDLE, customer=request.customer, as_of=request.as_of))
    extra = extra.model_copy(update={"withdrawn_at": None, "id": "c-added"})
    return case, {**case, "consents": [*case["consents"], extra]}


@given(added())
def test_adding_a_consent_never_turns_an_allow_into_a_deny(
        pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    before, after = pair
    if decide(COMPILED, before).allowed:
        assert decide(COMPILED, after).allowed


@given(consent_cases(BUNDLE), st.integers(1, 5))
def test_more_earlier_contacts_never_turn_a_deny_into_an_allow(case: dict[str, Any],
                                                               extra: int) -> None:
    request = case["request"]
    purposes = BUNDLE.policies("ConsentPolicy")[0].policy.purposes
    if request.channel is None or request.purpose not in purposes \
            or decide(COMPILED, case).allowed:
        return  # (a contact record of an unknown purpose is bad input)
    more = [fp.ContactRecord(customer=request.customer, channel=request.channel,
                             purpose=request.purpose,
                             at=request.as_of - dt.timedelta(hours=h)) for h in range(extra)]
    assert not decide(COMPILED, {**case, "contacts": [*case["contacts"], *more]}).allowed


@given(consent_cases(BUNDLE))
def test_both_engines_give_the_same_decision(case: dict[str, Any]) -> None:
    compiled, durable = decide(COMPILED, case), decide(DURABLE, case)
    assert compiled.engine == "compiled" and durable.engine == "durable"
    assert attrs.evolve(durable, engine="compiled") == compiled


@given(consent_cases(BUNDLE))
def test_a_decision_is_allowed_only_with_its_consent_or_without_need(
        case: dict[str, Any]) -> None:
    decision = decide(COMPILED, case)
    if decision.allowed:
        assert (decision.consent_id is not None) == ("consent" in decision.required)
        named = [c for c in case["consents"] if c.id == decision.consent_id]
        assert not decision.consent_id or named[0].customer == case["request"].customer
    else:
        assert decision.consent_id is None and decision.hits
