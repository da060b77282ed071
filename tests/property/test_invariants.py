"""Invariants declared in the pack hold on both engines; a planted violation is found, shrunk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing.invariants import InvariantViolation, assert_invariants, check_invariants
from tests.helpers.packversions import SUIT_2026


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["compiled", "durable"])
def test_every_invariant_of_the_shipped_pack_holds(bundle: fp.Bundle, engine: str) -> None:
    results = check_invariants(bundle, engine=engine, max_examples=80, derandomize=True)
    assert len(results) >= 14
    assert [r.describe() for r in results if not r.holds] == []
    # the strategies reach every invariant's `given`, so none passes vacuously
    assert [r.name for r in results if r.applicable == 0] == []


@pytest.mark.slow
def test_finpolicy_test_exercises_every_invariant_of_the_shipped_pack(bundle: fp.Bundle) -> None:
    # at `finpolicy test`'s default of 50 inputs, "staff never promote a product above the
    # customer's level" met no input (the product was seldom drawn above the customer)
    results = check_invariants(bundle, max_examples=50, derandomize=True)
    assert [r.describe() for r in results if r.applicable == 0] == []


def test_the_uk_pack_invariants_hold() -> None:
    results = check_invariants(fp.load_bundle("uk-fca"), max_examples=60, derandomize=True)
    assert {r.policy for r in results} == {"uk-complaints", "uk-marketing-consent"}
    assert all(r.holds and r.applicable > 0 for r in results), [r.describe() for r in results]


@pytest.mark.slow
def test_a_planted_violation_is_found_and_shrunk_to_a_minimal_input(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    start = text.index("- id: above-tolerance")
    end = text.index("outcome: unsuitable", start)
    policy.write_text(text[:end] + "outcome: suitable" + text[end + len("outcome: unsuitable"):],
                      encoding="utf-8")

    with pytest.raises(InvariantViolation) as info:
        assert_invariants(fp.load_bundle(pack), max_examples=300, derandomize=True)
    name = "no product above the customer's level is ever suitable"
    (failure,) = [r for r in info.value.results if r.version == SUIT_2026 and r.name == name]
    assert failure.outcome == "suitable" and "above-tolerance" in failure.rules
    example = failure.counterexample
    assert example is not None
    customer, product = example["customer"], example["product"]
    # above the customer's level by the higher of the seller's and the issuer's rating (2.3.0)
    rating = max(int(product[k][1:]) for k in ("risk_level", "issuer_risk_level") if k in product)
    assert rating > int(customer["risk_level"][1:])
    # shrunk: every other optional product attribute is back at its default
    assert set(product) <= {"id", "kind", "risk_level", "issuer_risk_level"}
    assert example["amount"] is None
    assert "above-tolerance" in str(info.value)
