"""Test case files: a bad ``as_of`` does not hide the other problems of its case or file, and
a misspelt expected outcome (``unsuitible``) is named with the outcome meant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import load_bundle
from finpolicy.errors import PolicyError
from finpolicy.testing.cases import load_cases

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"
CASES = """domain: suitability
cases:
  - name: one
    as_of: "2026-02-33"
    input: {}
    expect: {outcome: suitable, hitz: []}
  - name: two
    input: {}
    expect: {outcome: unsuitible}
"""


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    for file in (pack / "tests").glob("*.yaml"):
        if file.name != "suitability.yaml":
            file.unlink()
    return pack


def test_a_bad_as_of_hides_no_other_problem_of_the_file(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    (pack / "tests" / "suitability.yaml").write_text(CASES, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_cases(load_bundle(pack))
    found = [(p.line, p.path, p.message) for p in caught.value.problems]
    assert [(line, path) for line, path, _ in found] == [
        (4, "cases[0].as_of"), (6, "cases[0].expect.hitz"), (9, "cases[1].expect.outcome")]
    assert found[2][2] == ("`unsuitible` is not an outcome the pack's decisions can have "
                           "(did you mean `unsuitable`?)")


def test_a_misspelt_outcome_of_a_case_that_runs_is_named(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    file = pack / "tests" / "suitability.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("outcome: unsuitable\n", "outcome: unsuitible\n", 1),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["test", str(pack), "--engine", "compiled"])
    assert "expected `unsuitible` (did you mean `unsuitable`?), got `unsuitable`" in (
        result.output)
    assert result.exit_code == 1
