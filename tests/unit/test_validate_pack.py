"""``finpolicy validate`` reports every problem of a pack in one run: schema, semantic, compile,
vocabulary and cross-policy problems together, each with file:line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.validation import validate_pack

_TOO_COMPLEX = "\n".join(
    ["    - id: far-too-many-tests", "      when:", "        all:"]
    + [f"          - {{field: request.channel, ne: channel_{i}}}" for i in range(30)]
    + ["      effect: deny", "      reason: a condition no durable rule can hold",
       "      cite: pipl Art. 6", ""])


def _plant(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path.name}")


@pytest.fixture
def broken_pack(tmp_path: Path) -> tuple[Path, list[tuple[str, int, str, str]]]:
    """A copy of cn-banking with ten mistakes of every kind, and where each one is expected:
    (file, line, code, a part of the message)."""
    pack = tmp_path / "broken"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    s2026, s2018 = pack / "suitability-2026.yaml", pack / "suitability-2018.yaml"
    classification, access = pack / "classification.yaml", pack / "access.yaml"
    complaints, consent = pack / "complaints.yaml", pack / "consent.yaml"
    # schema: an unknown key in a rule (the rest of the document is still checked)
    _plant(s2026, "    - id: assessment-missing\n",
           "    - id: assessment-missing\n      efect: deny   # planted-efect\n")
    # vocabulary: a misspelt product kind in a condition and in a setting
    _plant(s2026, "{field: product.kind, eq: insurance}", "{field: product.kind, eq: insurence}")
    _plant(s2026, "securities_kinds: [fund, stock, bond, futures, securities]",
           "securities_kinds: [fund, stock, bond, futures, Structured_Deposit]")
    # semantic: an operator of another language
    _plant(s2026, "{field: product.kind, not_in: [deposit, time_deposit]}",
           "{field: product.kind, nin: [deposit, time_deposit]}")
    # vocabulary: a misspelt obligation
    _plant(s2018, "obligations: [reassess_risk_tolerance]",
           "obligations: [reasess_risk_tolerance]")
    # semantic: a misspelt level; schema: an unknown key in another rule of the same document
    _plant(classification, "      level: core\n", "      level: ordnary\n")
    _plant(classification, "    - id: core-authentication-data\n",
           "    - id: core-authentication-data\n      masking: full   # planted-masking\n")
    # cross-policy: important data (approval_required) no longer needs a grant
    _plant(access, "      - {levels: [important, core]}", "      - {levels: [core]}")
    # semantic: a cite naming no declared source, and a rule id used twice
    _plant(complaints, "      cite: seed-000 §6.1\n", "      cite: seed-999 §6.1\n")
    _plant(complaints, "    - id: satisfaction-survey\n", "    - id: every-complaint-archived\n")
    # compile: a condition too complex for the durable engine
    _plant(consent, "    - id: unknown-purpose\n", _TOO_COMPLEX + "    - id: unknown-purpose\n")

    expected = [
        ("suitability-2026.yaml", _line(s2026, "planted-efect"), "extra_forbidden",
         "unknown key `efect`"),
        ("suitability-2026.yaml", _line(s2026, "eq: insurence"), "unknown_term",
         "unknown product kind `insurence`, not in the declared vocabulary `product_kinds` "
         "(did you mean `insurance`?)"),
        ("suitability-2026.yaml", _line(s2026, "Structured_Deposit"), "unknown_term",
         "(did you mean `structured_deposit`?)"),
        ("suitability-2026.yaml", _line(s2026, "nin: [deposit"), "unknown_operator",
         "unknown operator `nin` (did you mean `not_in`?); valid: all, any, not"),
        ("suitability-2018.yaml", _line(s2018, "reasess_risk_tolerance"), "unknown_term",
         "unknown obligation `reasess_risk_tolerance`, not in the declared vocabulary "
         "`obligations` (did you mean `reassess_risk_tolerance`?)"),
        ("classification.yaml", _line(classification, "level: ordnary"), "literal_error",
         "got `ordnary` (did you mean `ordinary`?)"),
        ("classification.yaml", _line(classification, "planted-masking"), "extra_forbidden",
         "unknown key `masking`"),
        ("access.yaml", _line(access, "requirements:"), "cross_policy",
         "says `important` data needs approval (approval_required: true) but cn-access 1.3.0 "
         "lets `delete`, `export`, `read`, `write` through without a grant"),
        ("complaints.yaml", _line(complaints, "seed-999 §6.1"), "unknown_source",
         "cite `seed-999 §6.1` does not start with a source id"),
        ("complaints.yaml", _line(complaints, "- id: every-complaint-archived") + 0, "",
         "rule id `every-complaint-archived` is used twice"),
        ("consent.yaml", _line(consent, "- id: far-too-many-tests"), "durable_too_complex",
         "condition too complex for the durable engine"),
    ]
    # the duplicate id is reported at its second use
    expected[9] = ("complaints.yaml", [n for n, line in enumerate(
        complaints.read_text(encoding="utf-8").splitlines(), start=1)
        if "- id: every-complaint-archived" in line][1], "duplicate_rule",
        "rule id `every-complaint-archived` is used twice")
    return pack, expected


def test_one_validate_run_reports_every_planted_mistake_with_its_file_and_line(
        broken_pack: tuple[Path, list[tuple[str, int, str, str]]]) -> None:
    pack, expected = broken_pack
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    for file, line, _, fragment in expected:
        pattern = re.compile(rf"{re.escape(file)}:{line}: .*{re.escape(fragment)}")
        assert any(pattern.search(text) for text in lines), \
            f"{file}:{line} `{fragment}` not reported:\n{result.stdout}"
    assert f"{len(lines)} problems in {pack}" in result.stderr


def test_the_report_keeps_each_problem_apart_with_its_code(
        broken_pack: tuple[Path, list[tuple[str, int, str, str]]]) -> None:
    pack, expected = broken_pack
    report = validate_pack(pack)
    assert not report.ok and report.bundle is None
    found = {(Path(p.file).name, p.line, p.code) for p in report.problems}
    for file, line, code, _ in expected:
        assert (file, line, code) in found, f"missing {file}:{line} {code}: {found}"
    # each problem once, every one with a line
    assert len(report.problems) == len(set(report.problems))
    assert all(p.line is not None for p in report.problems)


def test_a_document_with_a_schema_error_is_still_checked_in_original_positions(
        tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    s2026 = pack / "suitability-2026.yaml"
    # the third rule has a schema error; a later rule's misspelt obligation keeps its index
    text = s2026.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(text) if line.startswith("  rules:"))
    rules = [i for i, line in enumerate(text) if line.startswith("    - id: ") and i > start]
    text.insert(rules[2] + 1, "      effect: deny\n")
    s2026.write_text("".join(text), encoding="utf-8")
    _plant(s2026, "obligations: [compliance_review]", "obligations: [complaince_review]")
    problems = validate_pack(pack).problems
    typo = next(p for p in problems if "complaince_review" in p.message)
    assert typo.line == _line(s2026, "complaince_review")
    index = int(re.search(r"rules\[(\d+)\]", typo.path).group(1))  # type: ignore[union-attr]
    assert index > 2  # the index in the file, not in the document without the broken rule
    assert any(p.code == "extra_forbidden" and p.path == "spec.rules[2].effect"
               for p in problems)


def test_the_printed_rule_count_is_the_coverage_count() -> None:
    runner = CliRunner()
    validated = runner.invoke(main, ["validate", "cn-banking"])
    assert validated.exit_code == 0, validated.output
    match = re.search(r"— \d+ documents, (\d+) rules, digest", validated.stdout)
    assert match, validated.stdout
    tested = runner.invoke(main, ["test", "cn-banking", "--coverage", "--json",
                                  "--engine", "compiled"])
    assert int(match.group(1)) == json.loads(tested.stdout)["coverage"]["total"]


def test_counts_are_singular_for_one(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "uk-fca", pack)
    _plant(pack / "consent.yaml", "obligations: [record_consent_evidence]",
           "obligations: [record_consent_evidense]")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    assert f"1 problem in {pack}" in result.stderr


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    # the validator's message names the value: it was named twice (`banana`, got `banana`)
    ("access.yaml", "version: 1.3.0", "version: banana",
     "access.yaml:15: metadata.version: expected a semantic version like `1.0.0`, got "
     "`banana`\n"),
    # a number was read as a Unix time: 86400 became 1970-01-02
    ("access.yaml", "effective_from: 2025-01-01", "effective_from: 86400",
     "access.yaml:17: metadata.effective_from: expected an ISO date as text (2026-03-01), got "
     "the number `86400`\n"),
    # it said `input should be a valid dictionary or instance of Manifest`
    ("bundle.yaml", None, "- a\n", "bundle.yaml:1: expected a mapping of keys, got a list\n"),
])
def test_a_schema_problem_says_what_was_expected_in_words_once(
        tmp_path: Path, file: str, old: str | None, new: str, message: str) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    text = (pack / file).read_text(encoding="utf-8")
    assert old is None or old in text
    (pack / file).write_text(new if old is None else text.replace(old, new, 1),
                             encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    assert result.stdout == f"{pack}/{message}"
