"""Policy test cases (``PACK/tests/*.yaml``), rule coverage and ``finpolicy test``.

The cases here are written into a copy of the shipped pack: one per example input, expecting
what the compiled engine decides today, so these tests follow the domains as they grow and
check the machinery (both engines, coverage, failures), not the policies themselves.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.errors import PolicyError
from finpolicy.testing import coverage, load_cases, run_cases
from finpolicy.testing.cases import (
    Expectation,
    PolicyCase,
    check_case,
    evaluate_case,
    load_examples,
)


def copy_pack(bundle: fp.Bundle, tmp_path: Path) -> Path:
    """A copy of the shipped pack without its own test cases."""
    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack)
    shutil.rmtree(pack / "tests", ignore_errors=True)
    return pack


def write_cases(pack: Path, engine: fp.PolicyEngine) -> dict[str, list[dict[str, Any]]]:
    """One case per example of the pack, expecting today's decision exactly."""
    files: dict[str, list[dict[str, Any]]] = {}
    for example in load_examples(pack):
        decisions, error = evaluate_case(engine, example)
        expect: list[dict[str, Any]] = [
            {"outcome": str(d.outcome), "hits": list(d.rule_ids), "hits_exact": True,
             "obligations": list(d.obligations)} for d in decisions]
        if error is not None:  # an example showing a rejected input
            expect = [{"error": type(error).__name__}]
        files.setdefault(example.domain, []).append({
            "name": example.name,
            "as_of": None if example.as_of is None else example.as_of.isoformat(),
            "input": example.input,
            "expect": expect[0] if len(expect) == 1 else expect})
    (pack / "tests").mkdir(exist_ok=True)
    for domain, cases in files.items():
        (pack / "tests" / f"{domain}.yaml").write_text(
            yaml.safe_dump({"domain": domain, "cases": cases}, allow_unicode=True,
                           sort_keys=False), encoding="utf-8")
    return files


@pytest.fixture
def pack(bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine], tmp_path: Path) -> Path:
    folder = copy_pack(bundle, tmp_path)
    if not write_cases(folder, engines["compiled"]):
        pytest.skip("the shipped pack has no examples yet")
    return folder


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cases_pass_on_both_engines_and_measure_coverage(
        pack: Path, bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    cases = load_cases(pack)
    report = run_cases(bundle, cases, engines=[engines["compiled"], engines["durable"]])
    assert report.passed, [r.failures for r in report.failures]
    assert report.engines == ("compiled", "durable")
    assert len(report.results) == 2 * len(cases)
    assert 0 < report.coverage.covered <= report.coverage.total
    hit = {(d.policy.id, d.policy.version, h.rule_id)
           for r in report.results for d in r.decisions for h in d.hits}
    covered = {(p.policy_id, p.version, rule) for p in report.coverage.policies
               for rule in p.covered}
    assert hit <= covered


def test_finpolicy_test_passes_and_reports_coverage(pack: Path) -> None:
    result = invoke("test", str(pack), "--coverage")
    assert result.exit_code == 0, result.output
    assert "cases passed on compiled and durable" in result.output
    assert "rule coverage" in result.output and "total" in result.output


def test_finpolicy_test_runs_one_engine_when_asked(pack: Path) -> None:
    result = invoke("test", str(pack), "--engine", "compiled", "--json")
    assert result.exit_code == 0, result.output
    assert '"engines": [\n    "compiled"\n  ]' in result.output


def _rule_only_one_case_exercises(pack: Path, bundle: fp.Bundle, engine: fp.PolicyEngine
                                  ) -> tuple[tuple[str, str], str, str]:
    """A rule of a policy version (id, version) one case alone exercises, and that case."""
    by_rule: dict[tuple[str, str, str], list[str]] = {}
    for case in load_cases(pack):
        report = run_cases(bundle, [case], engines=[engine])
        for policy, rule in ((p, r) for p in report.coverage.policies for r in p.covered):
            by_rule.setdefault((policy.policy_id, policy.version, rule), []).append(case.name)
    for (policy_id, version, rule), names in by_rule.items():
        if len(names) == 1:
            return (policy_id, version), rule, names[0]
    pytest.skip("every exercised rule is exercised by two cases or more")


def test_deleting_a_case_names_the_rule_left_unexercised(
        pack: Path, bundle: fp.Bundle, engines: dict[str, fp.PolicyEngine]) -> None:
    (policy_id, version), rule, name = _rule_only_one_case_exercises(pack, bundle,
                                                                     engines["compiled"])
    before = run_cases(bundle, load_cases(pack), engines=[engines["compiled"]]).coverage
    assert rule not in {r for p, r in before.uncovered
                        if (p.policy_id, p.version) == (policy_id, version)}
    for file in (pack / "tests").glob("*.yaml"):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        data["cases"] = [c for c in data["cases"] if c["name"] != name]
        file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")

    result = invoke("test", str(pack), "--engine", "compiled", "--coverage",
                    "--min-coverage", f"{before.percent:.4f}")

    assert result.exit_code == 1, result.output
    assert "no case exercises" in result.output
    assert f"{policy_id} {version} rule {rule} " in result.output
    assert "below the required" in result.output


def test_a_wrong_expectation_fails_and_says_what_differs(pack: Path) -> None:
    file = sorted((pack / "tests").glob("*.yaml"))[0]
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    case = data["cases"][0]
    expect = case["expect"] if isinstance(case["expect"], dict) else case["expect"][0]
    expect["outcome"] = "no-such-outcome"
    expect["hits"] = [*expect["hits"], "no-such-rule"]
    file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    result = invoke("test", str(pack))

    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "expected `no-such-outcome`" in result.output
    assert "missing no-such-rule" in result.output


def test_hits_need_only_be_present_unless_exact(
        pack: Path, engines: dict[str, fp.PolicyEngine]) -> None:
    case = next(c for c in load_cases(pack) if isinstance(c.expect, Expectation)
                and len(c.expect.hits) >= 1)
    decisions, error = evaluate_case(engines["compiled"], case)
    assert error is None
    exp = case.expect
    assert isinstance(exp, Expectation)
    some = Expectation(exp.outcome, exp.hits[:1], False, None)
    assert check_case(PolicyCase(case.file, case.line, case.domain, case.name,
                                            case.as_of, case.input, some), decisions, None) == []
    if len(exp.hits) > 1:
        exact = Expectation(exp.outcome, exp.hits[:1], True, None)
        failures = check_case(PolicyCase(case.file, case.line, case.domain,
                                                    case.name, case.as_of, case.input, exact),
                              decisions, None)
        assert failures and "unexpected" in failures[0]


def test_engines_that_disagree_fail_the_case(pack: Path, bundle: fp.Bundle) -> None:
    honest, broken = fp.PolicyEngine(bundle), fp.PolicyEngine(bundle)
    broken.engine_name = "broken"
    broken.run = lambda doc, ruleset, fact: []  # type: ignore[method-assign]
    case = load_cases(pack)[0]

    report = run_cases(bundle, [case], engines=[honest, broken])

    assert report.results[0].passed
    assert "engines disagree: compiled gave" in report.results[1].failures[-1]
    assert "broken gave" in report.results[1].failures[-1]


def test_an_expected_input_error_passes(tmp_path: Path, bundle: fp.Bundle,
                                        engines: dict[str, fp.PolicyEngine]) -> None:
    pack = copy_pack(bundle, tmp_path)
    examples = load_examples(pack)
    if not examples:
        pytest.skip("the shipped pack has no examples yet")
    example = examples[0]
    (pack / "tests").mkdir()
    (pack / "tests" / "bad.yaml").write_text(yaml.safe_dump({
        "domain": example.domain,
        "cases": [{"name": "not a mapping of the API", "input": {"no_such_field": 1},
                   "expect": {"error": "InputError"}}]}), encoding="utf-8")
    report = run_cases(bundle, load_cases(pack), engines=[engines["compiled"]])
    assert report.passed, [r.failures for r in report.failures]


def test_a_malformed_case_file_names_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "broken.yaml").write_text(
        "domain: suitability\n"
        "cases:\n"
        "  - name: one\n"
        "    input: {}\n"
        "    expect: {outcome: suitable, hitz: [a]}\n"
        "  - name: two\n"
        "    as_of: yesterday\n"
        "    input: {}\n"
        "    expect: {outcome: suitable}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_cases(tmp_path)
    text = str(info.value)
    assert "broken.yaml:5: cases[0].expect.hitz: unknown key `hitz`" in text
    assert "broken.yaml:7: cases[1].as_of:" in text and "`yesterday`" in text


def test_an_unknown_domain_in_a_case_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "x.yaml").write_text("domain: lending\ncases: []\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown domain `lending`"):
        load_cases(tmp_path)


def test_a_naive_as_of_datetime_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "x.yaml").write_text(
        "domain: access\ncases:\n  - name: a\n    as_of: '2026-03-01T10:00:00'\n"
        "    input: {}\n    expect: {outcome: allow}\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="needs a time zone offset"):
        load_cases(tmp_path)


def test_coverage_without_decisions_lists_every_rule(bundle: fp.Bundle) -> None:
    report = coverage(bundle, [])
    rules = sum(len(rs.rules) for d in bundle.documents for rs in d.policy.rulesets.values())
    assert report.covered == 0 and report.percent == 0.0
    assert len(report.uncovered) == report.total == len(
        {(d.key, r.id) for d in bundle.documents for rs in d.policy.rulesets.values()
         for r in rs.rules})
    assert report.total <= rules


def test_finpolicy_test_without_cases_fails(tmp_path: Path, bundle: fp.Bundle) -> None:
    result = invoke("test", str(copy_pack(bundle, tmp_path)))
    assert result.exit_code == 1
    assert "no test cases" in result.output


def test_the_shipped_cases_pass_on_both_engines(bundle: fp.Bundle,
                                                engines: dict[str, fp.PolicyEngine]) -> None:
    cases = load_cases(bundle)
    assert cases, "the shipped pack must ship its test cases"
    report = run_cases(bundle, cases, engines=[engines["compiled"], engines["durable"]])
    assert report.passed, [(r.case.where, r.engine, r.failures) for r in report.failures]


@pytest.mark.parametrize("pack", ["cn-banking", "uk-fca"])
def test_every_rule_of_every_shipped_pack_is_exercised_by_a_case(pack: str) -> None:
    result = invoke("test", pack, "--coverage", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "no case exercises" not in result.output


def test_field_expectations_reach_into_the_decision(tmp_path: Path, bundle: fp.Bundle) -> None:
    pack = copy_pack(bundle, tmp_path)
    case = {
        "name": "a late acknowledgement",
        "as_of": "2025-10-11T12:00:00+08:00",
        "input": {"complaint": {"id": "c", "received_at": "2025-09-30T17:01:00+08:00",
                                "channel": "phone", "category": "service"}},
        "expect": {"fields": {"route": "customer_service_department",
                              "milestones.initial_response.status": "met"}},
    }
    (pack / "tests").mkdir(exist_ok=True)
    (pack / "tests" / "sla.yaml").write_text(
        yaml.safe_dump({"domain": "complaints", "cases": [case]}, allow_unicode=True), "utf-8")
    result = invoke("test", str(pack))
    assert result.exit_code == 1
    assert "milestones.initial_response.status: expected `met`, got `at_risk`" in result.output


@pytest.mark.parametrize("folder", ["tests", "examples"])
def test_a_case_file_that_is_a_list_says_what_was_expected_in_words(tmp_path: Path,
                                                                    folder: str) -> None:
    """It said `input should be a valid dictionary or instance of _CaseFileModel`."""
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        (load_cases if folder == "tests" else load_examples)(tmp_path)
    assert str(info.value) == f"{tmp_path / folder / 'list.yaml'}:1: expected a mapping of " \
                              "keys, got a list"
