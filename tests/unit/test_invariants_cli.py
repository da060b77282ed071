"""``finpolicy test`` checks the invariants the pack declares, beside its cases: a pack that
breaks one fails, with the smallest counter-example and the rules that fired."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.packversions import SUIT_2026

AUDIT_EVERY_ACCESS = ("      when: {all: []}                       # always: data of every "
                      "level, allowed or refused\n")
FAST = ["--engine", "compiled", "--invariant-examples", "25"]


def _narrowed(tmp_path: Path) -> Path:
    """cn-banking with the audit-log rule narrowed to core data."""
    pack = tmp_path / "narrowed"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    assert AUDIT_EVERY_ACCESS in text
    access.write_text(text.replace(AUDIT_EVERY_ACCESS,
                                   "      when: {field: resource.level, eq: core}\n"),
                      encoding="utf-8")
    return pack


def test_the_shipped_pack_s_invariants_are_checked_and_hold() -> None:
    result = CliRunner().invoke(main, ["test", "cn-banking", "--json", *FAST])
    data = json.loads(result.stdout)
    invariants = data["invariants"]
    assert len(invariants) >= 20
    assert {i["policy"] for i in invariants} >= {"cn-access", "cn-suitability", "cn-consent"}
    assert all(i["holds"] and i["examples"] == 25 for i in invariants), \
        [i for i in invariants if not i["holds"]]


def test_a_pack_that_breaks_an_invariant_fails_with_its_counter_example(
        tmp_path: Path) -> None:
    pack = _narrowed(tmp_path)
    result = CliRunner().invoke(main, ["test", str(pack), *FAST])
    assert result.exit_code == 1
    out = " ".join(result.stdout.split())
    assert "VIOLATED cn-access 1.3.0: every allowed access is audit-logged" in out
    assert "smallest counter-example, as a test case (paste under `cases:` in a tests/*.yaml " \
           "file with `domain: access`): - name: 'counter-example: every " in out
    assert "outcome: allow; rules fired: allow-" in out
    data = json.loads(CliRunner().invoke(main, ["test", str(pack), "--json", *FAST]).stdout)
    broken = [i for i in data["invariants"] if not i["holds"]]
    assert {i["name"] for i in broken} == {"every allowed access is audit-logged",
                                           "every refused access is audit-logged"}
    assert broken[0]["domain"] == "access"
    assert broken[0]["case"]["expect"] == {"invariant": broken[0]["name"]}
    example = broken[0]["counterexample"]
    assert example["resource"]["data_level"] != "core"  # the rule still covers core data


def test_no_invariants_skips_them(tmp_path: Path) -> None:
    pack = _narrowed(tmp_path)
    (pack / "tests").rename(pack / "cases-elsewhere")
    (pack / "tests").mkdir()
    (pack / "tests" / "one.yaml").write_text(
        "domain: classification\ncases:\n"
        "  - name: a CVV2 column is core\n"
        "    as_of: '2026-03-01'\n"
        "    input: {field: {name: cvv2}}\n"
        "    expect: {outcome: core}\n", encoding="utf-8")
    skipped = CliRunner().invoke(main, ["test", str(pack), "--no-invariants", "--json", *FAST])
    assert skipped.exit_code == 0, skipped.output
    assert json.loads(skipped.stdout)["invariants"] is None
    checked = CliRunner().invoke(main, ["test", str(pack), *FAST])
    assert checked.exit_code == 1 and "VIOLATED" in checked.stdout


def test_an_invariant_no_generated_input_meets_is_untested_not_held(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    # (no age above 120 is drawn: ages an invariant names are, since 4d2f2c3)
    planted = ("  invariants:\n    - name: nobody is older than 150\n"
               "      given: {field: customer.age, gt: 150}\n"
               "      expect: {field: decision.outcome, eq: suitable}\n"
               "      cite: nfra-2025-7 Art. 12\n")
    policy.write_text(text.replace("  invariants:\n", planted, 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["test", str(pack), *FAST])
    out = " ".join(result.stdout.split())
    assert f"UNTESTED cn-suitability {SUIT_2026}: nobody is older than 150: none of the 25" in out
    shipped = sum(len(d.spec.invariants or []) for d in fp.load_bundle().documents)
    assert re.search(rf"\d+ of {shipped + 1} invariants held, \d+ untested", out), out
    assert result.exit_code == 0, out  # nothing failed; it was not checked
