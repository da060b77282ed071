"""Invariants in CI: one that no generated input reaches fails the run instead of passing
vacuously, the report names the policy file and line, and the strategies keep reaching an
invariant whose rule was removed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.errors import InputError
from finpolicy.testing import invariants
from finpolicy.testing.invariant_cases import adapter_of
from finpolicy.testing.invariants import (
    MORE_WHEN_UNTESTED,
    InvariantViolation,
    _plain,
    assert_invariants,
    check_invariants,
)
from finpolicy.testing.vocabulary import literals

_UNREACHABLE = (
    "  invariants:\n"
    "    - name: nobody holding forty roles is allowed\n"
    "      given: {field: subject.role_count, gt: 40}\n"
    "      expect: {field: decision.outcome, eq: deny}\n"
    "      cite: seed-002 §7.2\n")

_NAME = "nobody holding forty roles is allowed"

_CASE = """\
domain: access
cases:
  - name: a subject with no roles is denied
    as_of: "2026-03-02T10:00:00+08:00"
    input:
      subject: {id: u1, roles: [], department: retail, branch: BJ01}
      action: read
      resource: {type: customer_record, data_level: ordinary, category: business,
                 department: retail, branch: BJ01}
      purpose: account_service
    expect: {outcome: deny, hits: [no-roles]}
"""


def _small_pack(tmp_path: Path, *, unreachable: bool = False) -> Path:
    """The shipped access (1.3.0, as it stood before 1.4.0 ended it) and classification
    policies alone, with one case."""
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("bundle.yaml", "access.yaml", "classification.yaml"):
        shutil.copy(shipped_packs() / "cn-banking" / name, pack / name)
    access = pack / "access.yaml"
    access.write_text(re.sub(r"  effective_until: .*\n", "", access.read_text(encoding="utf-8"),
                             count=1), encoding="utf-8")
    if unreachable:
        access = pack / "access.yaml"
        text = access.read_text(encoding="utf-8")
        access.write_text(text.replace("  invariants:\n", _UNREACHABLE, 1), encoding="utf-8")
    (pack / "tests").mkdir()
    (pack / "tests" / "access.yaml").write_text(_CASE, encoding="utf-8")
    return pack


def _invariant_line(pack: Path) -> int:
    lines = (pack / "access.yaml").read_text(encoding="utf-8").splitlines()
    return lines.index("    - name: nobody holding forty roles is allowed") + 1


def test_fail_untested_fails_finpolicy_test_on_an_invariant_naming_its_file_and_line(
        tmp_path: Path) -> None:
    pack = _small_pack(tmp_path, unreachable=True)
    args = ["test", str(pack), "--engine", "compiled", "--invariant-examples", "20"]
    result = CliRunner().invoke(main, [*args, "--fail-untested"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    # 20 drawn, then four times as many more before it is called untested
    assert (f"UNTESTED cn-access 1.3.0: {_NAME}: none of the 20 generated inputs, nor 80 "
            f"more, met its "
            f"`given`, so it was not checked ({pack / 'access.yaml'}:{_invariant_line(pack)})"
            ) in text
    assert "not checked (--fail-untested): draw more inputs with --invariant-examples" in text

    data = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    (found,) = [r for r in data["invariants"] if r["name"] == _NAME]
    assert found["untested"] and not found["applicable"]
    assert found["line"] == _invariant_line(pack) and found["file"].endswith("access.yaml")

    # without the option an untested invariant is shown, not failed
    assert CliRunner().invoke(main, args).exit_code == 0


def test_an_input_that_raises_is_reported_as_an_error_of_the_invariant_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an evaluation that raised ended `finpolicy test` with that error alone (`error: no
    # version of AccessPolicy ... in force`), naming no invariant and no input
    pack = _small_pack(tmp_path)
    real = invariants.adapter("AccessPolicy")

    def refuse(runtime: object, case: dict[str, object]) -> object:
        if case["purpose"] == "marketing":
            raise InputError.one("purpose", "refused for the test", "bad_input")
        return real.evaluate(runtime, case)  # type: ignore[arg-type]

    broken = attrs.evolve(real, evaluate=refuse)
    monkeypatch.setattr(invariants, "adapter", lambda kind: broken if kind == "AccessPolicy"
                        else adapter_of(kind)[1])
    results = check_invariants(fp.load_bundle(pack), max_examples=10, derandomize=True)
    errors = [r for r in results if r.policy == "cn-access" and r.error]
    assert errors and all(not r.holds for r in errors)
    assert "InputError" in errors[0].error
    assert errors[0].counterexample is not None
    assert errors[0].counterexample["purpose"] == "marketing"

    result = CliRunner().invoke(main, ["test", str(pack), "--engine", "compiled",
                                       "--invariant-examples", "10"])
    out = " ".join(result.output.split())
    assert result.exit_code == 1, out
    assert "ERROR cn-access 1.3.0: marketing never reads core data" in out
    assert "evaluating a generated input raised InputError" in out


def test_a_version_effective_later_has_its_invariants_checked_on_its_own_days(
        tmp_path: Path) -> None:
    # the access version takes effect after the day the strategies drew every request on
    # (2026-03-02): every evaluation raised NotInForceError and each invariant was an ERROR;
    # the requests are now drawn on the days the version is in force
    pack = _small_pack(tmp_path)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    access.write_text(text.replace("effective_from: 2025-01-01", "effective_from: 2027-01-01",
                                   1), encoding="utf-8")
    results = check_invariants(fp.load_bundle(pack), max_examples=10, derandomize=True)
    checked = [r for r in results if r.policy == "cn-access"]
    assert checked and all(r.holds and r.error is None for r in checked), \
        [r.describe() for r in checked if not r.holds]
    assert any(r.applicable for r in checked)


def test_a_counterexample_shows_models_inside_lists_as_their_fields() -> None:
    customer = fp.Customer(id="c1", risk_level="C3")
    plain = _plain({"customers": [customer], "by_id": {"c1": customer}, "amount": 1})
    assert plain == {"customers": [{"id": "c1", "risk_level": "C3"}],
                     "by_id": {"c1": {"id": "c1", "risk_level": "C3"}}, "amount": 1}


def test_a_counterexample_s_own_dates_print_as_iso_8601_like_its_models() -> None:
    # a complaint's counter-example read `"as_of": "2025-09-26 10:00:00+08:00"` beside
    # `"received_at": "2025-09-26T09:00:00+08:00"`: json.dumps(default=str) of a datetime
    at = dt.datetime(2025, 9, 26, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    plain = _plain({"as_of": at, "on": at.date()})
    assert plain == {"as_of": "2025-09-26T10:00:00+08:00", "on": "2025-09-26"}


def test_assert_invariants_does_not_pass_an_invariant_it_never_checked(tmp_path: Path) -> None:
    bundle = fp.load_bundle(_small_pack(tmp_path, unreachable=True))
    with pytest.raises(InvariantViolation) as info:
        assert_invariants(bundle, max_examples=20, derandomize=True)
    (result,) = [r for r in info.value.results if r.name == _NAME]
    assert result.untested and result.holds
    assert result.examples == 20
    assert result.more == 20 * MORE_WHEN_UNTESTED
    assert "UNTESTED" in str(info.value) and "access.yaml:" in str(info.value)
    results = assert_invariants(bundle, max_examples=20, derandomize=True, allow_untested=True)
    assert any(r.untested for r in results)


def test_the_strategies_still_reach_an_invariant_whose_rule_was_removed(
        tmp_path: Path) -> None:
    # removing the rule `marketing-never-core` removed `marketing` and `core` from what the
    # access strategies draw more often, and "marketing never reads core data" went from
    # checked to untested: the change it exists to catch hid it
    pack = _small_pack(tmp_path)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    start = text.index("    - id: marketing-never-core")
    access.write_text(text[:start] + text[text.index("    - id: grant-missing"):],
                      encoding="utf-8")
    bundle = fp.load_bundle(pack)
    found = literals(bundle, "AccessPolicy")
    assert "marketing" in found["request.purpose"] and "core" in found["resource.level"]
    (result,) = [r for r in check_invariants(bundle, max_examples=50, derandomize=True)
                 if r.name == "marketing never reads core data"]
    assert result.applicable > 0, result.describe()
