"""Explanations of decisions made solely by automated means (PIPL Art. 24 ¶3) on generated
inputs: whether the decision is made by a person is what the bank changes, and only one way,
a solely automated decision the customer refused made by a person; the customer's refusal is
never touched (only the customer withdraws it), nor anything else of the request but what
the bank chooses for a contact. Each suggestion, applied, allows on both engines.

What may change is written here from the law's meaning, not read from the explainer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.consent.strategies import consent_cases
from finpolicy.explain import apply_changes, explain, explainer

Case = dict[str, Any]
FREE = ("channel", "as_of", "recipient", "personalised", "automated_decision")


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _refused(request: Case) -> bool:
    refusal = request["automated_refusal"]
    at = _when(request["as_of"])
    return request["automated_decision"] and refusal is not None and \
        _when(refusal["refused_at"]) <= at and (refusal["withdrawn_at"] is None
                                                or at < _when(refusal["withdrawn_at"]))


def _touched(before: Case, after: Case) -> list[str]:
    b, a = before["request"], after["request"]
    out = []
    if a["automated_refusal"] != b["automated_refusal"]:
        out.append("the customer's refusal")
    if a["automated_decision"] != b["automated_decision"] and not (
            _refused(b) and a["automated_decision"] is False):
        out.append("a decision made solely by automated means without a refusal holding")
    if {k: v for k, v in a.items() if k not in FREE} != \
            {k: v for k, v in b.items() if k not in FREE}:
        out.append("the request")
    if after["consents"][:len(before["consents"])] != before["consents"]:
        out.append("consents on record")
    if after["contacts"] != before["contacts"]:
        out.append("contacts on record")
    return out


def _deciding(bundle: fp.Bundle) -> st.SearchStrategy[Case]:
    """Cases of the significant purposes (the strategies' automated-decision scenario among
    them), in the JSON form an explanation reads."""
    significant = bundle.policies("ConsentPolicy")[0].policy.significant

    def dump(case: dict[str, Any]) -> Case:
        return {"request": case["request"].model_dump(mode="json"),
                "consents": [c.model_dump(mode="json") for c in case["consents"]],
                "contacts": [k.model_dump(mode="json") for k in case["contacts"]]}

    return consent_cases(bundle).filter(
        lambda c: c["request"].purpose in significant).map(dump)


def test_a_refused_automated_decision_is_offered_to_a_person_and_nothing_else_moves(
        bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    seen = {"refused": 0}

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_deciding(bundle))
    def run(data: Case) -> None:
        try:
            x = explain(engines["compiled"], "consent", data)
        except fp.InputError:
            return
        refused = _refused(x.input["request"]) and x.outcome == "deny"
        if refused:
            seen["refused"] += 1
            blocking = {o.id for o in x.why_not if o.role == "blocks"}
            if blocking == {"solely-automated-after-refusal"}:
                assert [[(c.path, c.value) for c in s.changes] for s in x.suggestions] == [
                    [("/request/automated_decision", False)]], x.text()
        for suggestion in x.suggestions:
            changed = apply_changes(x.input, suggestion.changes)
            assert not _touched(x.input, changed), (suggestion.text, _touched(x.input,
                                                                              changed))
            for engine in engines.values():
                after = explainer("consent").decide(engine.runtime, changed)
                assert after.outcome == "allow", (engine.engine_name, suggestion.text)

    run()
    assert seen["refused"] >= 5  # the strategies reach the refused decisions
