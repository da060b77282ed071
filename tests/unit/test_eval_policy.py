"""``finpolicy eval --policy ID``: a pack with two policies of one kind in force (an author's
draft beside the released one) is evaluated by the one named, as the typed API's ``policy=``
does; without it, or with an id the pack does not have, the error names the choices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
DRAFT = "cn-suitability-draft"
# a 62-year-old and a private R5 product: the draft's elderly rule (from 60) makes it
# conditional, the released one (from 65) does not
SALE = {"customer": {"id": "c9", "risk_level": "C5", "assessment_date": "2026-01-15",
                     "birth_date": "1964-07-01", "investable_assets": 5000000,
                     "liquidity_need": "low"},
        "product": {"id": "pe-fof-3", "kind": "wealth_management", "risk_level": "R5",
                    "private": True, "term_months": 36},
        "as_of": "2026-03-01"}


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped pack with a draft of the 2026 suitability policy beside the released one,
    in force at the same time."""
    root = tmp_path_factory.mktemp("draft") / "pack"
    root.mkdir()
    for file in CN.iterdir():
        if file.suffix == ".yaml":
            (root / file.name).write_bytes(file.read_bytes())
    text = (CN / "suitability-2026.yaml").read_text(encoding="utf-8")
    assert "- {field: customer.age, ge: 65}" in text
    draft = text.replace("id: cn-suitability\n", f"id: {DRAFT}\n", 1).replace(
        "- {field: customer.age, ge: 65}", "- {field: customer.age, ge: 60}")
    (root / "suitability-draft.yaml").write_text(draft, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sale(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("input") / "sale.yaml"
    path.write_text(yaml.safe_dump(SALE), encoding="utf-8")
    return str(path)


def _eval(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize("policy", ["cn-suitability", DRAFT])
@pytest.mark.parametrize("why", [False, True])
def test_eval_decides_by_the_policy_named(pack: Path, sale: str, policy: str,
                                          why: bool) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(pack))
    typed = engine.check_suitability(SALE["customer"], SALE["product"], as_of=SALE["as_of"],
                                     policy=policy)
    code, output = _eval("suitability", sale, "-b", str(pack), "--policy", policy, "--json",
                         *(["--why"] if why else []))
    assert code == 0, output
    [decided] = json.loads(output)
    assert decided["outcome"] == typed.outcome
    if not why:
        assert decided == typed.to_dict() | {"evaluated_at": decided["evaluated_at"]}
    assert typed.outcome == ("conditional" if policy == DRAFT else "suitable")


def test_eval_without_policy_names_the_choices_and_the_option(pack: Path, sale: str) -> None:
    code, output = _eval("suitability", sale, "-b", str(pack))
    assert code == 3
    assert "cn-suitability, cn-suitability-draft" in output
    assert "--policy" in output and "policy=" not in output


def test_eval_with_an_unknown_policy_names_the_choices(pack: Path, sale: str) -> None:
    code, output = _eval("suitability", sale, "-b", str(pack), "--policy", "cn-suitabilty")
    assert code == 3
    assert "--policy" in output and "`cn-suitabilty`" in output
    assert "cn-suitability, cn-suitability-draft" in output


def test_eval_refuses_a_policy_no_decision_read(sale: str) -> None:
    code, output = _eval("suitability", sale, "--policy", "cn-access")
    assert code == 3
    assert "--policy" in output and "`cn-access`" in output
    assert "no suitability decision read" in output


def test_eval_refuses_two_policies_of_one_kind(pack: Path, sale: str) -> None:
    code, output = _eval("suitability", sale, "-b", str(pack), "--policy", "cn-suitability",
                         "--policy", DRAFT)
    assert code == 3 and "both SuitabilityPolicy policies" in output


# a consent decision that reads the classification policy (the levels of the fields shared)
SHARING = {"request": {"customer": "cu-2", "purpose": "third_party_sharing",
                       "fields": ["account_number", "name"],
                       "recipient": {"name": "partner-insurer", "kind": "third_party",
                                     "agreement": "dsa-2025-07"}},
           "consents": [{"id": "c-share", "customer": "cu-2", "purpose": "third_party_sharing",
                         "separate": True, "recipients": ["partner-insurer"],
                         "data_levels": ["ordinary", "core"],
                         "given_at": "2026-01-15T09:00:00+08:00", "evidence": "form-902",
                         "notice_version": "privacy-2025"}]}


def test_eval_chooses_the_policy_of_another_kind_a_domain_reads(tmp_path: Path) -> None:
    """A draft of the classification policy beside the released one: a consent decision
    reads the classification policy, so --policy names that one too."""
    root = tmp_path / "pack"
    root.mkdir()
    for file in CN.iterdir():
        if file.suffix == ".yaml":
            (root / file.name).write_bytes(file.read_bytes())
    text = (CN / "classification.yaml").read_text(encoding="utf-8")
    (root / "classification-draft.yaml").write_text(
        text.replace("id: cn-classification\n", "id: cn-classification-draft\n", 1),
        encoding="utf-8")
    request = tmp_path / "sharing.json"
    request.write_text(json.dumps(SHARING), encoding="utf-8")
    when = ("--as-of", "2026-03-02T10:00:00+08:00", "--json")
    code, output = _eval("consent", str(request), "-b", str(root), *when)
    assert code == 3
    assert "cn-classification, cn-classification-draft; choose one with --policy" in output
    code, output = _eval("consent", str(request), "-b", str(root), *when,
                         "--policy", "cn-classification-draft")
    assert code == 0, output
    [decided] = json.loads(output)
    code, shipped = _eval("consent", str(request), *when)  # the draft is the same text
    assert code == 0, shipped
    assert decided["outcome"] == json.loads(shipped)[0]["outcome"]


def test_eval_with_the_only_policy_named_is_as_without(sale: str) -> None:
    named = _eval("suitability", sale, "--policy", "cn-suitability", "--json")
    plain = _eval("suitability", sale, "--json")
    assert named[0] == plain[0] == 0
    drop = "evaluated_at"
    assert [{k: v for k, v in d.items() if k != drop} for d in json.loads(named[1])] == \
        [{k: v for k, v in d.items() if k != drop} for d in json.loads(plain[1])]
