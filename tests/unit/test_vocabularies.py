"""Declared vocabularies: names outside them are errors with the nearest declared name, in
policies (obligations, compared literals, settings) and in inputs; undeclared packs are not
checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.errors import InputError, PolicyError
from finpolicy.rules.vocabulary import closest


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    return pack


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("word", "choices", "found"), [
    ("reasess_risk_tolerance", ["reassess_risk_tolerance", "compliance_review"],
     "reassess_risk_tolerance"),
    ("insurence", ["insurance", "fund"], "insurance"),
    ("Structured_Deposit", ["structured_deposit", "deposit"], "structured_deposit"),
    ("structured-deposit", ["structured_deposit", "deposit"], "structured_deposit"),
    ("ordnary", ["ordinary", "important", "core"], "ordinary"),
    ("zzz", ["fund"], None),
])
def test_the_nearest_declared_name_is_suggested(word: str, choices: list[str],
                                                found: str | None) -> None:
    assert closest(word, choices) == found


def test_a_literal_in_a_list_outside_the_vocabulary_is_an_error(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    _replace(pack / "suitability-2018.yaml", "not_in: [deposit, time_deposit]",
             "not_in: [deposit, time_deposits]")
    with pytest.raises(PolicyError) as caught:
        fp.load_bundle(pack)
    (problem,) = caught.value.problems
    assert problem.code == "unknown_term" and problem.path.endswith(".when.not_in[1]")
    assert "unknown product kind `time_deposits`" in problem.message
    assert "(did you mean `time_deposit`?)" in problem.message


def test_a_policy_adds_terms_to_the_bundle_vocabulary(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    _replace(pack / "suitability-2018.yaml", "not_in: [deposit, time_deposit]",
             "not_in: [deposit, time_deposit, certificate_of_deposit]")
    _replace(pack / "suitability-2018.yaml", "  vocabulary:\n",
             "  vocabulary:\n    product_kinds:\n      terms: [certificate_of_deposit]\n")
    bundle = fp.load_bundle(pack)
    old = bundle.versions("cn-suitability")[0]
    kinds = old.vocabulary.for_field("product.kind")
    assert kinds is not None and {"certificate_of_deposit", "fund"} <= kinds.terms
    new = bundle.versions("cn-suitability")[1]
    assert "certificate_of_deposit" not in new.vocabulary.by_name["product_kinds"].terms


def test_an_input_outside_the_vocabulary_is_refused_before_any_rule() -> None:
    engine = fp.PolicyEngine()
    customer = fp.Customer(id="c1", risk_level="C3", birth_date="1980-01-01",
                           assessment_date="2026-01-10")
    with pytest.raises(InputError) as caught:
        engine.check_suitability(customer, fp.Product(id="p", kind="Insurance", risk_level="R1"),
                                 as_of="2026-03-02")
    (problem,) = caught.value.problems
    assert (problem.path, problem.code, problem.value) == (
        "product.kind", "unknown_input_term", "Insurance")
    assert "(did you mean `insurance`?)" in problem.message
    ok = engine.check_suitability(customer, fp.Product(id="p", kind="insurance",
                                                       risk_level="R1"), as_of="2026-03-02")
    assert ok.outcome in ("suitable", "conditional")


def test_a_pack_without_vocabularies_is_not_checked(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    manifest = pack / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text[:text.index("# Vocabularies every policy")], encoding="utf-8")
    engine = fp.PolicyEngine(fp.load_bundle(pack))
    decision = engine.check_suitability(
        fp.Customer(id="c1", risk_level="C3", birth_date="1980-01-01",
                    assessment_date="2026-01-10"),
        fp.Product(id="p", kind="anything_at_all", risk_level="R1"), as_of="2026-03-02")
    assert decision.outcome in ("suitable", "conditional")
