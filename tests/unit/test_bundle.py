"""Bundles: loading, validation with file:line errors, versions by date, digests, atomicity."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.packversions import SUIT_2018, SUIT_2026

PACK = shipped_packs() / "cn-banking"
LOCATED = re.compile(r"^(?P<file>[^:]+\.ya?ml):(?P<line>\d+): ")


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    target = tmp_path / "cn-banking"
    shutil.copytree(PACK, target)
    return target


def _edit(file: Path, old: str, new: str, count: int = 1) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file.name}"
    file.write_text(text.replace(old, new, count), encoding="utf-8")


def test_shipped_pack_validates_with_exit_code_zero() -> None:
    result = CliRunner().invoke(main, ["validate", str(PACK)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: cn-banking")


def test_validate_reports_all_four_planted_problems_with_file_and_line(pack_copy: Path) -> None:
    # 1. a misspelt operator in a rule condition
    suitability = pack_copy / "suitability-2026.yaml"
    text = suitability.read_text(encoding="utf-8")
    match = re.search(r"\{field: [a-z_.]+, (ge|gt|eq|le|lt):", text)
    assert match
    _edit(suitability, match.group(0), match.group(0).replace(f"{match.group(1)}:", "gte_:"))
    # 2. a wrong type: a list where the owner's name is expected
    complaints = pack_copy / "complaints.yaml"
    complaints.write_text(re.sub(r"(?m)^  owner: .*$", "  owner: [a, b]",
                                 complaints.read_text(encoding="utf-8"), count=1),
                          encoding="utf-8")
    # 3. an overlapping version window
    _edit(pack_copy / "suitability-2018.yaml", "effective_until: 2026-01-31",
          "effective_until: 2026-03-31")
    # 4. a YAML syntax error
    _edit(pack_copy / "access.yaml", "spec:", "spec: [unclosed\n")

    result = CliRunner().invoke(main, ["validate", str(pack_copy)])
    assert result.exit_code == 2
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert all(LOCATED.match(line) for line in lines), lines
    joined = "\n".join(lines)
    assert re.search(r"suitability-2026\.yaml:\d+: spec\.rules\[\d+\]\.when.*unknown operator "
                     r"`gte_`", joined), joined
    assert re.search(r"complaints\.yaml:\d+: metadata\.owner: .*string", joined), joined
    assert re.search(r"suitability-2026\.yaml:\d+: metadata\.effective_from: .*overlaps", joined)
    assert re.search(r"access\.yaml:\d+: invalid yaml", joined), joined


def test_unknown_kind_is_reported_with_a_suggestion(pack_copy: Path) -> None:
    _edit(pack_copy / "complaints.yaml", "kind: ComplaintPolicy", "kind: ComplaintPolicies")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack_copy)
    (problem,) = info.value.problems
    assert problem.path == "kind" and problem.line is not None
    assert "did you mean `ComplaintPolicy`" in problem.message


def test_loading_is_atomic_one_bad_file_fails_the_whole_bundle(pack_copy: Path) -> None:
    _edit(pack_copy / "access.yaml", "apiVersion: finpolicy/v1", "apiVersion: finpolicy/v9")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack_copy)
    assert [p.path for p in info.value.problems] == ["apiVersion"]


def test_policy_error_is_a_value_error_and_lists_problems_sorted(pack_copy: Path) -> None:
    _edit(pack_copy / "access.yaml", "apiVersion: finpolicy/v1", "apiVersion: finpolicy/v9")
    _edit(pack_copy / "classification.yaml", "apiVersion: finpolicy/v1", "apiVersion: x")
    with pytest.raises(ValueError) as info:
        fp.load_bundle(pack_copy)
    files = [Path(p.file).name for p in info.value.problems]  # type: ignore[attr-defined]
    assert files == sorted(files) == ["access.yaml", "classification.yaml"]


def test_missing_manifest_and_missing_folder_are_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(fp.PolicyError, match="no such bundle folder"):
        fp.load_bundle(tmp_path / "nowhere")
    with pytest.raises(fp.PolicyError, match=r"missing `bundle\.yaml`"):
        fp.load_bundle(tmp_path)


def test_digest_is_stable_and_ignores_comments_but_not_content(pack_copy: Path) -> None:
    base = fp.load_bundle(pack_copy).digest
    assert fp.load_bundle(pack_copy).digest == base
    with (pack_copy / "access.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# a comment changes nothing\n")
    assert fp.load_bundle(pack_copy).digest == base
    version = fp.load_bundle(pack_copy).version
    _edit(pack_copy / "bundle.yaml", f"version: {version}", f"version: {version}-rc.1")
    assert fp.load_bundle(pack_copy).digest != base


def test_the_version_in_force_is_chosen_by_date(bundle: fp.Bundle) -> None:
    old = bundle.in_force("SuitabilityPolicy", dt.date(2026, 1, 31))
    new = bundle.in_force("SuitabilityPolicy", dt.date(2026, 2, 1))
    assert old.id == new.id and old.version != new.version
    assert old.metadata.effective_until == dt.date(2026, 1, 31)


def test_a_date_with_no_version_in_force_is_a_clear_error(bundle: fp.Bundle) -> None:
    with pytest.raises(fp.NotInForceError, match=r"no version of SuitabilityPolicy .* in force "
                                                 "on 1990-01-01"):
        bundle.in_force("SuitabilityPolicy", dt.date(1990, 1, 1))


def test_a_policy_id_the_bundle_lacks_is_named_with_the_ids_it_has(bundle: fp.Bundle) -> None:
    # was "no version of AccessPolicy `nosuch` is in force … (versions in force: none)"
    with pytest.raises(fp.NotInForceError) as caught:
        bundle.in_force("AccessPolicy", dt.date(2026, 3, 1), "nosuch")
    assert str(caught.value) == ("the bundle has no AccessPolicy `nosuch` "
                                 "(its AccessPolicy ids: cn-access)")
    with pytest.raises(fp.NotInForceError, match="^the bundle has no PrivacyPolicy$"):
        bundle.in_force("PrivacyPolicy", dt.date(2026, 3, 1))  # it said `*` (its … ids: none)
    with pytest.raises(fp.NotInForceError, match=re.escape(
            f"(its versions: {SUIT_2018}: 2018-09-26..2026-01-31, {SUIT_2026}: "
            "2026-02-01..2026-12-06, 2.4.0: 2026-12-07..2026-12-31, 2.5.0: 2027-01-01..)")):
        bundle.in_force("SuitabilityPolicy", dt.date(1990, 1, 1))


def test_unknown_engine_is_an_input_error(bundle: fp.Bundle) -> None:
    with pytest.raises(fp.InputError, match="unknown engine `rete`"):
        fp.PolicyEngine(bundle, engine="rete")


def test_shipped_pack_loads_from_any_directory(tmp_path: Path) -> None:
    code = "import finpolicy as fp; b = fp.load_bundle(); print(b.name, len(b.documents))"
    # wherever finpolicy was imported from here (an install or src/), the child finds it too
    env = {**os.environ, "PYTHONPATH": str(Path(fp.__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True, env=env)
    name, count = out.stdout.split()
    assert name == "cn-banking" and int(count) >= 4
