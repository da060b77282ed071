"""Decisions: equal for the same input (time aside), identical across engines, explainable,
JSON-ready, and naming exactly which policy text produced them."""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest

import finpolicy as fp
from finpolicy.domains import domain_module
from tests.helpers.examples import example_cases, when
from tests.helpers.packversions import SUIT_2026


@pytest.mark.parametrize(("domain", "name", "case"), example_cases(),
                         ids=lambda v: str(v)[:40])
def test_same_input_same_decision_on_both_engines(domain: str, name: str, case: dict,
                                                  engines: dict[str, fp.PolicyEngine]) -> None:
    module = domain_module(domain)
    on = when(case.get("as_of"))
    first = module.evaluate_input(engines["compiled"], case["input"], as_of=on)
    again = module.evaluate_input(engines["compiled"], case["input"], as_of=on)
    durable = module.evaluate_input(engines["durable"], case["input"], as_of=on)
    assert first == again
    assert first, name
    for a, b in zip(first, durable, strict=True):
        assert attrs.evolve(b, engine="compiled") == a
        assert b.engine == "durable"


def test_a_decision_names_policy_version_digest_and_input() -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    decision = engine.check_suitability(
        fp.Customer(id="c1", risk_level="C2", assessment_date=dt.date(2026, 1, 5),
                    birth_date=dt.date(1980, 1, 1)),
        fp.Product(id="p1", kind="wealth_management", risk_level="R3"),
        as_of=dt.date(2026, 3, 1))
    assert decision.policy.id == "cn-suitability" and decision.policy.version == SUIT_2026
    assert decision.policy.bundle_digest == engine.bundle.digest
    assert len(decision.input_digest) == 64
    record = json.loads(json.dumps(decision.to_dict()))
    assert record["outcome"] == "unsuitable"
    assert record["policy"]["bundle_digest"] == engine.bundle.digest
    assert {h["rule_id"] for h in record["hits"]} >= {"above-tolerance"}
    text = decision.explain()
    assert text.startswith("unsuitable") and "above-tolerance" in text and "nfra-2025-7" in text


def test_decisions_are_immutable() -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    decision = engine.classify(fp.DataField(name="id_number"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decision.outcome = "ordinary"  # type: ignore[misc]
