"""The strategies reach what the invariants are about at `finpolicy test`'s default size.

Removing the rule `marketing-never-core` from the shipped access policy was reported "31 of 31
held": a role's own permission was drawn uniformly, so a customer manager reading core data for
marketing with a valid grant (what the removed rule denied) came up about once in 160 inputs.
An invariant about customers under 8 was never reached, not even at 300 inputs: the
suitability strategies drew ages only from 40, 17, 18, 64, 65, 66 and 80.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing.invariants import check_invariants

_MARKETING = "marketing never reads core data"


def _copy(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    return pack


def _without_rule(policy: Path, rule: str) -> None:
    text = policy.read_text(encoding="utf-8")
    start = text.index(f"    - id: {rule}\n")
    end = text.index("    - id: ", start + 1)
    policy.write_text(text[:start] + text[end:], encoding="utf-8")


def _with_invariant(policy: Path, name: str, given: str) -> None:
    text = policy.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("        ")  # the invariants come last
    policy.write_text(text + (
        f"    - name: {name}\n"
        f"      given: {given}\n"
        "      expect: {field: decision.outcome, ne: suitable}\n"
        "      cite: civil-code Art. 20\n"), encoding="utf-8")


def test_removing_marketing_never_core_is_reported_violated_by_finpolicy_test(
        tmp_path: Path) -> None:
    pack = _copy(tmp_path)
    _without_rule(pack / "access.yaml", "marketing-never-core")

    result = CliRunner().invoke(main, ["test", str(pack)])  # its default size: 50 inputs
    out = " ".join(result.output.split())
    assert result.exit_code == 1, out
    assert f"VIOLATED cn-access 1.3.0: {_MARKETING}" in out
    assert "rules fired: allow-with-grant" in out


def test_the_shipped_access_policy_holds_on_the_requests_the_removed_rule_denies() -> None:
    # the same draws on the shipped pack: the rule denies them, so the invariant holds, often
    # checked rather than barely
    results = check_invariants(fp.load_bundle(shipped_packs() / "cn-banking"),
                               max_examples=50, derandomize=True)
    found = [r for r in results if r.name == _MARKETING]
    assert [r.version for r in found] == ["1.3.0", "1.4.0"]  # every version declares it
    for result in found:
        assert result.holds and result.applicable >= 5, result.describe()


# (an institution has no age in law: a birth date on its record is no child's, and a sale to
# it no sale to a child)
@pytest.mark.parametrize("given", [
    "{all: [{field: customer.kind, eq: individual}, {field: customer.age, lt: 8}]}",
    # 6 is named by no rule: only the invariant itself says which ages matter
    "{all: [{field: customer.kind, eq: individual}, {field: customer.age, lt: 6}]}",
    # (ages only the invariant names, between the rules' 8 and 18: they were left untested)
    "{all: [{field: customer.kind, eq: individual}, {field: customer.age, ge: 11},"
    " {field: customer.age, le: 12}]}",
])
def test_an_age_invariant_below_17_is_reached_at_the_default_size(
        tmp_path: Path, given: str) -> None:
    pack = _copy(tmp_path)
    name = "nothing is sold to a young child"
    _with_invariant(pack / "suitability-2026.yaml", name, given)

    results = check_invariants(fp.load_bundle(pack), max_examples=50, derandomize=True)
    (result,) = [r for r in results if r.name == name]
    assert result.holds and not result.untested and not result.more, result.describe()


def test_finpolicy_test_checks_an_invariant_about_children_under_8(tmp_path: Path) -> None:
    # the realistic change: a bank declares the invariant in its copy of the pack and runs
    # `finpolicy test` in CI
    pack = _copy(tmp_path)
    name = "nothing is sold to a child under 8"
    _with_invariant(pack / "suitability-2026.yaml", name,
                    "{all: [{field: customer.kind, eq: individual}, {field: customer.age, lt: 8}]}")

    result = CliRunner().invoke(main, ["test", str(pack), "--json", "--engine", "compiled"])
    (found,) = [r for r in json.loads(result.output)["invariants"] if r["name"] == name]
    assert found["holds"] and found["applicable"] > 0 and found["more"] == 0, found
