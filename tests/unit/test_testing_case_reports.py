"""How ``finpolicy test`` reports a case that fails after a bad change to the policy: which
decisions came and went, not only how many."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing import load_cases, run_cases


def _widened_grants(tmp_path: Path) -> Path:
    """The shipped pack with core-data grants allowed to last a year instead of 30 days."""
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    old = "    max_days: {important: 90, core: 30}"
    assert text.count(old) == 1
    access.write_text(text.replace(old, "    max_days: {important: 90, core: 365}"),
                      encoding="utf-8")
    return pack


def test_a_finding_a_review_no_longer_makes_is_named(tmp_path: Path) -> None:
    # the review case failed with `expected 1 decision(s), got 0`: which finding was lost had
    # to be worked out from the case file
    pack = _widened_grants(tmp_path)
    bundle = fp.load_bundle(pack)
    name = "a core grant lasting a day longer than 30 days is excessive"
    cases = [c for c in load_cases(bundle) if c.name == name]
    (result,) = run_cases(bundle, cases, engines=("compiled",)).results
    assert result.failures == (
        "expected 1 decision(s), got 0: [excessive_duration] → []; missing excessive_duration",)


def test_a_review_s_extra_finding_is_named_too(tmp_path: Path) -> None:
    # the same review input copied with `expect: []` (no findings)
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    bundle = fp.load_bundle(pack)
    name = "a core grant lasting a day longer than 30 days is excessive"
    (case,) = [c for c in load_cases(bundle) if c.name == name]
    tests = pack / "tests" / "access.yaml"
    text = tests.read_text(encoding="utf-8").splitlines(keepends=True)
    start = case.line - 1 if case.line is not None else 0
    end = next(i for i in range(start + 1, len(text)) if text[i].startswith("  - name: "))
    block = "".join(text[start:end])
    expect_at = block.index("    expect:")
    copied = block[:expect_at].replace(name, "no finding expected of an excessive grant") + \
        "    expect: []\n"
    tests.write_text("".join(text) + copied, encoding="utf-8")
    result = CliRunner().invoke(main, ["test", str(pack), "--engine", "compiled",
                                       "--no-invariants"])
    out = " ".join(result.output.split())
    assert result.exit_code == 1
    assert ("expected 0 decision(s), got 1: [] → [excessive_duration]; unexpected "
            "excessive_duration") in out, out


def test_a_field_of_a_removed_milestone_says_the_milestone_is_gone(tmp_path: Path) -> None:
    # removing the handling-opinion milestone failed its case with `milestones.handling_opinion.
    # status: expected `pending`, got `<absent>``, as a misspelt path would
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "complaints.yaml"
    text = policy.read_text(encoding="utf-8")
    start = text.index("    - name: handling_opinion\n")
    end = text.index("    - name: final_response\n", start)
    text = text[:start] + text[end:]
    assert text.count("handling_opinion, ") == 1
    policy.write_text(text.replace("handling_opinion, ", ""), encoding="utf-8")
    bundle = fp.load_bundle(pack)
    cases = [c for c in load_cases(bundle) if c.domain == "complaints"]
    failures = [f for r in run_cases(bundle, cases, engines=("compiled",)).results
                for f in r.failures]
    assert failures == [
        "milestones.handling_opinion.status: expected `pending`, but the decision has no "
        "`handling_opinion` in `milestones` (it has first_contact, initial_response, "
        "final_response, written_feedback, regulatory_decision)"]


def test_an_expected_absence_still_passes_and_a_misspelt_field_is_named(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    (pack / "tests" / "extra.yaml").write_text(
        "domain: complaints\ncases:\n"
        "  - name: a field spelt otherwise\n"
        "    as_of: '2025-10-11T12:00:00+08:00'\n"
        "    input:\n"
        "      complaint: {id: c1, received_at: '2025-09-30T16:59:00+08:00', channel: phone,\n"
        "        category: service}\n"
        "    expect:\n"
        "      fields: {rout: customer_service_department, milestones.99: <absent>}\n",
        encoding="utf-8")
    bundle = fp.load_bundle(pack)
    cases = [c for c in load_cases(bundle) if c.file.endswith("extra.yaml")]
    (result,) = run_cases(bundle, cases, engines=("compiled",)).results
    (line,) = result.failures
    assert line.startswith("rout: expected `customer_service_department`, but the decision "
                           "has no `rout` (it has ")
    assert "route" in line
