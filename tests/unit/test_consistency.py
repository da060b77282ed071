"""Numbers in a policy's words against the numbers its rules use (``docgen.consistency``): a
planted mismatch is found by the function a linter calls and fails the strict docs build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.docgen.consistency import Claim, check_bundle, check_document, claims
from finpolicy.documents.bundle import shipped_packs
from finpolicy.errorcodes import is_declared

PACKS = shipped_packs()


def _copy(tmp_path: Path, pack: str, file: str, old: str, new: str) -> Path:
    """A copy of a shipped pack with ``old`` replaced once by ``new`` in ``file``."""
    root = tmp_path / pack
    shutil.copytree(PACKS / pack, root)
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is expected once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


@pytest.mark.parametrize("pack", ["cn-banking", "uk-fca"])
def test_the_shipped_packs_say_what_their_rules_do(pack: str) -> None:
    assert check_bundle(fp.load_bundle(PACKS / pack)) == []


def test_an_elderly_age_changed_in_the_rule_but_not_in_the_words_is_reported(
        tmp_path: Path) -> None:
    root = _copy(tmp_path, "cn-banking", "suitability-2026.yaml",
                 "{field: customer.age, ge: 65}", "{field: customer.age, ge: 60}")
    bundle = fp.load_bundle(root)
    found = check_bundle(bundle)
    (doc,) = [d for d in bundle.documents if d.file.endswith("suitability-2026.yaml")]
    elderly = next(i for i, r in enumerate(doc.spec.rules) if r.id == "elderly-high-risk")
    assert {f.path for f in found} == {"metadata.description", f"spec.rules.{elderly}.reason"}
    for finding in found:
        assert finding.claim.kind == "age" and finding.claim.value == 65
        assert finding.code == "number_mismatch" and finding.severity == "warning"
        assert finding.file.endswith("suitability-2026.yaml") and finding.line
        assert "customer.age ≥ 60" in finding.message
    description = next(f for f in found if f.path == "metadata.description")
    assert "states `customers 65 and over` (an age)" in description.message
    assert str(description).startswith(f"{description.file}:{description.line}: ")


def test_a_changed_deadline_is_reported_in_the_description_and_the_milestone_reason(
        tmp_path: Path) -> None:
    root = _copy(tmp_path, "cn-banking", "complaints.yaml",
                 "duration: {amount: 24, unit: hours}", "duration: {amount: 48, unit: hours}")
    found = check_bundle(fp.load_bundle(root))
    assert [(f.path, f.claim.phrase) for f in found] == [
        ("metadata.description", "24 hours"), ("spec.milestones.0.reason", "24 hours")]


def test_weeks_written_as_words_are_checked(tmp_path: Path) -> None:
    root = _copy(tmp_path, "uk-fca", "complaints.yaml",
                 "duration: {amount: 8, unit: weeks}", "duration: {amount: 6, unit: weeks}")
    found = check_bundle(fp.load_bundle(root))
    assert [f.claim.phrase for f in found] == ["eight weeks", "eight weeks"]
    assert all(f.claim.unit == "weeks" and f.claim.value == 8 for f in found)


def test_a_number_of_a_kind_the_policy_never_uses_is_not_judged() -> None:
    (doc, *_) = fp.load_bundle(PACKS / "cn-banking").policies("SuitabilityPolicy")[-1:]
    # the reason of dual-recording states "5 years"; no rule of the policy counts years of
    # record keeping, so there is nothing to compare it with
    assert any(c.phrase == "5 years" for rule in doc.data["spec"]["rules"]
               for c in claims(rule["reason"]))
    assert check_document(doc) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("customers 65 and over get care", [Claim("age", 65, "", "customers 65 and over")]),
    ("aged 18 or more", [Claim("age", 18, "", "aged 18")]),
    ("within 15 business days", [Claim("time", 15, "working_days", "15 business days")]),
    ("by the third business day", [Claim("time", 3, "working_days", "third business day")]),
    ("a 60-day extension", [Claim("time", 60, "days", "60-day")]),
    ("more than half of the assets", [Claim("share", 0.5, "", "half")]),
    ("a 90 % target", [Claim("share", 0.9, "", "90 %")]),
    ("above CNY 50,000", [Claim("money", 50000, "", "CNY 50,000")]),
    ("年满65周岁的客户", [Claim("age", 65, "", "65周岁")]),
    ("3个工作日内", [Claim("time", 3, "working_days", "3个工作日")]),
    ("R4 and above, at most 2 a day, NFRA Order 2025 No. 7", []),
])
def test_claims_read_ages_durations_shares_and_amounts(text: str,
                                                       expected: list[Claim]) -> None:
    assert claims(text) == expected


def test_a_planted_mismatch_fails_the_strict_docs_build_and_warns_otherwise(
        tmp_path: Path) -> None:
    root = _copy(tmp_path, "cn-banking", "suitability-2026.yaml",
                 "{field: customer.age, ge: 65}", "{field: customer.age, ge: 60}")
    runner = CliRunner()
    strict = runner.invoke(main, ["docs", str(root), "-o", str(tmp_path / "strict"),
                                  "--strict", "--no-pictures"])
    assert strict.exit_code != 0
    assert "states `customers 65 and over` (an age)" in strict.output
    assert "suitability-2026.yaml" in strict.output
    lenient = runner.invoke(main, ["docs", str(root), "-o", str(tmp_path / "lenient"),
                                   "--no-pictures"])
    assert lenient.exit_code == 0, lenient.output
    # the description and the elderly rule's reason, each once
    assert lenient.output.count("states `customers 65 and over`") == 1
    assert lenient.output.count("states `aged 65`") == 1


def test_the_finding_code_is_declared() -> None:
    assert is_declared("number_mismatch")


def test_a_planted_mismatch_fails_lint_at_warning_level(tmp_path: Path) -> None:
    root = _copy(tmp_path, "cn-banking", "suitability-2026.yaml",
                 "{field: customer.age, ge: 65}", "{field: customer.age, ge: 60}")
    result = CliRunner().invoke(main, ["lint", str(root), "--fail-on", "warning"])
    assert result.exit_code == 1, result.output
    assert "FPL008" in result.output and "states `customers 65 and over`" in result.output
    assert "suitability-2026.yaml:" in result.output
    shipped = CliRunner().invoke(main, ["lint", str(shipped_packs() / "cn-banking"),
                                        "--fail-on", "warning"])
    assert shipped.exit_code == 0, shipped.output
