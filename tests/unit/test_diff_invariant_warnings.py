"""``finpolicy diff`` warns when the new pack drops or rewrites an invariant: what it guarded is
no longer checked as it was, and no changed decision shows that."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.testing import diff, diff_report
from tests.helpers.packversions import earlier_pack

_NAME = "marketing never reads core data"
_INVARIANT = """\
    - name: marketing never reads core data
      given:
        all:
          - {field: request.purpose, eq: marketing}
          - {field: resource.level, eq: core}
      expect: {field: decision.outcome, eq: deny}
"""


def _pack(tmp_path: Path) -> tuple[Path, str]:
    pack = earlier_pack(tmp_path / "new")  # one access version: the tests add the next
    text = (pack / "access.yaml").read_text(encoding="utf-8")
    assert text.count(_INVARIANT) == 1
    return pack, text


def _without_invariant(text: str) -> str:
    start = text.index(_INVARIANT)
    end = text.index("    - name: ", start + len(_INVARIANT))
    return text[:start] + text[end:]


def test_a_removed_invariant_is_warned_of(tmp_path: Path) -> None:
    # dropping an invariant (with the rule it guarded) left only the decisions' change: the
    # check that would catch the next such change was gone without a word
    pack, text = _pack(tmp_path)
    (pack / "access.yaml").write_text(_without_invariant(text), encoding="utf-8")
    report = diff(fp.load_bundle(earlier_pack(tmp_path / "old")), fp.load_bundle(pack),
                  samples=0)
    assert not report.changed  # the rule is still there: no decision changed
    codes = [(w.code, w.message) for w in report.warnings if w.code.startswith("invariant")]
    assert codes == [("invariant_removed",
                      f"cn-access 1.3.0 no longer declares the invariant `{_NAME}`: what it "
                      "guarded is no longer checked; keep it, or say why it no longer holds")]
    result = CliRunner().invoke(main, ["diff", "cn-banking", str(pack), "--samples", "0"])
    assert "invariant `marketing never reads core data`" in " ".join(result.output.split())


def test_a_rewritten_invariant_is_warned_of(tmp_path: Path) -> None:
    pack, text = _pack(tmp_path)
    weaker = _INVARIANT.replace("{field: resource.level, eq: core}",
                                "{field: resource.level, eq: important}")
    (pack / "access.yaml").write_text(text.replace(_INVARIANT, weaker), encoding="utf-8")
    report = diff(fp.load_bundle(earlier_pack(tmp_path / "old")), fp.load_bundle(pack),
                  samples=0)
    assert [w.code for w in report.warnings if w.code.startswith("invariant")] == [
        "invariant_changed"]
    assert f"changed the invariant `{_NAME}`" in report.warnings[-1].message


def test_a_new_version_without_the_invariant_of_the_one_it_replaces_is_warned_of(
        tmp_path: Path) -> None:
    pack, text = _pack(tmp_path)
    (pack / "access.yaml").write_text(text.replace(
        "  effective_from: 2025-01-01\n",
        "  effective_from: 2025-01-01\n  effective_until: 2099-12-31\n", 1), encoding="utf-8")
    newer = _without_invariant(text).replace("  version: 1.3.0\n", "  version: 1.4.0\n", 1)
    newer = newer.replace("effective_from: 2025-01-01", "effective_from: 2100-01-01", 1)
    (pack / "access-2100.yaml").write_text(newer, encoding="utf-8")
    report = diff(fp.load_bundle(earlier_pack(tmp_path / "old")), fp.load_bundle(pack),
                  samples=0)
    messages = [w.message for w in report.warnings if w.code == "invariant_removed"]
    assert messages == [f"cn-access 1.4.0 (replacing 1.3.0) no longer declares the invariant "
                        f"`{_NAME}`: what it guarded is no longer checked; keep it, or say why "
                        "it no longer holds"]


def test_a_warning_can_fail_the_run(tmp_path: Path) -> None:
    # a CI job saw the warning only in the text: `finpolicy diff` exited 0, so a change that
    # dropped an invariant (and changed no decision) went through
    pack, text = _pack(tmp_path)
    (pack / "access.yaml").write_text(_without_invariant(text), encoding="utf-8")
    args = ["diff", "cn-banking", str(pack), "--samples", "0"]
    assert CliRunner().invoke(main, args).exit_code == 0
    failed = CliRunner().invoke(main, [*args, "--fail-on-warning", "invariant_removed"])
    assert failed.exit_code == 1, failed.output
    assert "1 warning match --fail-on-warning invariant_removed" in failed.output
    data = json.loads(CliRunner().invoke(main, [*args, "--json", "--fail-on-warning",
                                                "version_removed,any"]).stdout)
    assert {w["code"] for w in data["failing_warnings"]} >= {"invariant_removed",
                                                             "policy_version_unchanged"}
    other = CliRunner().invoke(main, [*args, "--fail-on-warning", "retroactive_window"])
    assert other.exit_code == 0, other.output


def test_a_misspelt_warning_is_refused_before_anything_is_evaluated() -> None:
    result = CliRunner().invoke(main, ["diff", "cn-banking", "cn-banking",
                                       "--fail-on-warning", "invariant_remove"])
    assert result.exit_code == 3, result.output
    out = " ".join(result.output.split())
    assert "--fail-on-warning" in out and "unknown warning `invariant_remove`" in out
    assert "(did you mean `invariant_removed`?)" in out


def test_every_warning_a_diff_gives_can_be_named() -> None:
    source = Path(diff_report.__file__).read_text(encoding="utf-8")
    given = set(re.findall(r'DiffWarning\(\s*"(\w+)"', source))
    assert given == set(diff_report.WARNING_CODES)


def test_a_lost_obligation_can_fail_the_run(tmp_path: Path) -> None:
    # exempting wealth products from dual recording left every such sale `suitable → suitable`:
    # --fail-on 'unsuitable->suitable' let it through, and no outcome pair could name it short
    # of failing on every change
    pack = tmp_path / "new"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    old = "      when: {field: product.kind, not_in: [deposit, time_deposit]}\n"
    assert text.count(old) == 1
    policy.write_text(text.replace(old, old.replace("time_deposit]",
                                                    "time_deposit, wealth_management]")),
                      encoding="utf-8")
    args = ["diff", "cn-banking", str(pack), "--samples", "0"]
    passed = CliRunner().invoke(main, [*args, "--fail-on", "unsuitable->suitable"])
    assert passed.exit_code == 0, passed.output
    failed = CliRunner().invoke(main, [*args, "--fail-on", "unsuitable->suitable,lost-obligation"])
    assert failed.exit_code == 1, failed.output
    assert "match --fail-on unsuitable->suitable, lost-obligation" in failed.output
    report = diff(fp.load_bundle(), fp.load_bundle(pack), samples=0)
    matched = report.matching(["lost-obligation"])
    assert matched and all(g.domain == "suitability" for g in matched)
    assert any("dual_recording" in c.old.obligations and "dual_recording" not in c.new.obligations
               for c in report.changes)
