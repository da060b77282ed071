"""A policy test case that cannot fail is refused when the pack's cases are loaded.

A case with ``expect: {}`` passed whatever the policy decided, so a CI run counted it as a
passing test and its rules as covered; one asking for an ``error`` and an ``outcome`` checked
only the error and silently dropped the outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from finpolicy.errors import PolicyError
from finpolicy.testing import load_cases

_INPUT = ("{customer: {id: c1, risk_level: C3, assessment_date: '2025-06-01'}, "
          "product: {id: p1, kind: wealth_management, risk_level: R3}}")


def _write(root: Path, expect: str) -> None:
    (root / "tests").mkdir()
    (root / "tests" / "suitability.yaml").write_text(
        "domain: suitability\n"
        "cases:\n"
        "  - name: a C3 customer buys an R3 product\n"
        "    as_of: '2026-03-01'\n"
        f"    input: {_INPUT}\n"
        f"    expect: {expect}\n", encoding="utf-8")


@pytest.mark.parametrize("expect", ["{}", "{hits: []}"])
def test_an_expectation_that_checks_nothing_is_refused_with_its_line(tmp_path: Path,
                                                                     expect: str) -> None:
    _write(tmp_path, expect)
    with pytest.raises(PolicyError) as info:
        load_cases(tmp_path)
    text = str(info.value)
    assert "suitability.yaml:6: cases[0].expect: checks nothing" in text
    assert "outcome, hits, obligations, fields or error" in text


def test_an_error_expected_beside_an_outcome_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "{error: InputError, outcome: unsuitable}")
    with pytest.raises(PolicyError, match=r"cases\[0\]\.expect: `error` cannot be checked "
                                          r"together with outcome"):
        load_cases(tmp_path)


@pytest.mark.parametrize("expect", ["{outcome: suitable}", "{hits_exact: true}",
                                    "{error: InputError}", "[]", "[{}]",
                                    "{obligations: []}"])
def test_expectations_that_check_something_still_load(tmp_path: Path, expect: str) -> None:
    _write(tmp_path, expect)
    assert len(load_cases(tmp_path)) == 1


def test_a_misspelt_rule_in_hits_is_named_as_no_rule_of_the_pack(tmp_path: Path) -> None:
    # `hits: [above-tolerence]` failed with `hits: missing above-tolerence (got ...)`, which
    # reads like a rule that did not fire; the run now says no policy has such a rule
    import shutil

    import finpolicy as fp
    from finpolicy.documents.bundle import shipped_packs
    from finpolicy.testing import run_cases

    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("bundle.yaml", "suitability-2026.yaml", "suitability-2018.yaml"):
        shutil.copy(shipped_packs() / "cn-banking" / name, pack / name)
    (pack / "tests").mkdir()
    (pack / "tests" / "suitability.yaml").write_text(
        "domain: suitability\ncases:\n  - name: above\n    as_of: '2026-03-01'\n"
        "    input: {customer: {id: c1, risk_level: C2, assessment_date: '2025-06-01'}, "
        "product: {id: p1, kind: wealth_management, risk_level: R4}}\n"
        "    expect: {outcome: unsuitable, hits: [above-tolerence, above-tolerance]}\n",
        encoding="utf-8")
    report = run_cases(fp.load_bundle(pack), engines=["compiled"])
    (result,) = report.failures
    assert ("hits: `above-tolerence` is no rule of any policy of the pack (did you mean "
            "`above-tolerance`?)") in result.failures
    assert not any("`above-tolerance` is no rule" in line for line in result.failures)
