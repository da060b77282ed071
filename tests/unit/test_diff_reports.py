"""``finpolicy diff`` reports say what changed in the words of the change: a generated example
is named as a variant of the case it came from, permission and setting changes are listed by
path, a policy changed without raising its version is flagged, and no installation path
appears."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.testing import diff
from tests.helpers.packversions import earlier_pack

WIDER = ("        - {actions: [read, write], levels: [ordinary], categories: [basic_identity, "
         "business]}\n")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> fp.Bundle:
    """The shipped pack before the versions of 2026-12-07 (``earlier_pack``): the tests write
    cn-access 1.4.0 themselves."""
    return fp.load_bundle(earlier_pack(tmp_path_factory.mktemp("earlier") / "cn-banking"))


def _widened(bundle: fp.Bundle, tmp_path: Path, *, version: str | None = None) -> Path:
    pack = tmp_path / "new"
    shutil.copytree(bundle.root, pack)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    assert WIDER in text
    text = text.replace(WIDER, WIDER.replace("read, write", "read, write, export"), 1)
    if version is not None:
        text = text.replace("  version: 1.3.0\n", f"  version: {version}\n", 1)
    access.write_text(text, encoding="utf-8")
    return pack


def test_a_permission_change_without_a_new_version_is_described_and_flagged(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    new = fp.load_bundle(_widened(bundle, tmp_path))
    report = diff(bundle, new, samples=0, domains=["access"])
    (change,) = report.policies
    assert (change.policy_id, change.change, change.version_unchanged) == (
        "cn-access", "modified", True)
    assert change.settings == ("spec.roles.teller.permissions",)
    assert change.describe() == "settings changed: spec.roles.teller.permissions"
    assert change.to_dict()["version_unchanged"] is True


def test_a_new_version_is_not_flagged(bundle: fp.Bundle, tmp_path: Path) -> None:
    new = fp.load_bundle(_widened(bundle, tmp_path, version="1.4.0"))
    report = diff(bundle, new, samples=0, domains=["access"])
    assert {(p.version, p.change) for p in report.policies} == {
        ("1.3.0", "removed"), ("1.4.0", "added")}
    assert not any(p.version_unchanged for p in report.policies)


def test_a_new_version_is_described_by_what_it_changes_from_the_one_it_replaces(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # it listed every rule of 1.3.0 as removed and every rule of 1.4.0 as added, hiding the
    # one permission that changed
    new = fp.load_bundle(_widened(bundle, tmp_path, version="1.4.0"))
    report = diff(bundle, new, samples=0, domains=["access"])
    changes = {p.version: p for p in report.policies}
    assert changes["1.4.0"].replaces == "1.3.0"
    assert (changes["1.4.0"].added, changes["1.4.0"].removed, changes["1.4.0"].modified) == (
        (), (), ())
    assert changes["1.4.0"].describe() == ("replaces 1.3.0; settings changed: "
                                           "spec.roles.teller.permissions")
    assert changes["1.3.0"].describe() == "left the pack, replaced by 1.4.0"
    assert changes["1.3.0"].to_dict()["replaced_by"] == "1.4.0"
    assert [w.code for w in report.warnings] == ["bundle_version_unchanged", "version_removed"]


def test_a_changed_milestone_is_named_by_its_name(bundle: fp.Bundle, tmp_path: Path) -> None:
    # a new complaints version with a shorter final response: 'spec.milestones' alone
    pack = tmp_path / "new"
    shutil.copytree(bundle.root, pack)
    complaints = pack / "complaints.yaml"
    text = complaints.read_text(encoding="utf-8")
    old = "      duration: {amount: 7, unit: working_days}\n      completed_by: [responded]\n"
    assert old in text
    version = bundle.in_force("ComplaintPolicy", dt.date(2026, 3, 1)).version
    text = text.replace(old, old.replace("amount: 7", "amount: 5"), 1)
    complaints.write_text(text.replace(f"  version: {version}\n", "  version: 9.0.0\n", 1),
                          encoding="utf-8")
    report = diff(bundle, fp.load_bundle(pack), samples=0, domains=["complaints"])
    added = next(p for p in report.policies if p.change == "added")
    assert added.describe() == (f"replaces {version}; settings changed: "
                                "spec.milestones.final_response.duration")
    assert report.changed


def test_ending_a_released_version_is_a_window_change_not_an_edit(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # ending a version is how a new one is released (docs/releasing.rst): it was reported
    # "modified, same version" with a warning to raise the version
    pack = tmp_path / "new"
    shutil.copytree(bundle.root, pack)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    start = fp.load_bundle().in_force("AccessPolicy", dt.date(2026, 3, 1)).metadata.effective_from
    line = f"  effective_from: {start.isoformat()}\n"
    assert line in text
    access.write_text(text.replace(line, line + "  effective_until: 2030-12-31\n", 1),
                      encoding="utf-8")
    report = diff(bundle, fp.load_bundle(pack), samples=0, domains=["access"])
    (change,) = report.policies
    assert (change.change, change.version_unchanged) == ("window", False)
    assert change.describe() == f"in force {start}.. → {start}..2030-12-31"
    assert change.to_dict()["window"] == {"old": f"{start}..", "new": f"{start}..2030-12-31"}
    result = CliRunner().invoke(main, ["diff", bundle.root, str(pack), "--samples", "0"])
    assert result.exit_code == 0, result.output
    assert "window moved" in result.output
    assert "same version" not in result.output
    assert [w.code for w in report.warnings] == ["bundle_version_unchanged"]


def test_a_generated_example_is_named_as_a_variant_of_its_case(bundle: fp.Bundle,
                                                               tmp_path: Path) -> None:
    new = fp.load_bundle(_widened(bundle, tmp_path))
    report = diff(bundle, new, samples=0, domains=["access"])
    assert report.changed
    for change in report.changes:
        sample = change.sample
        if sample.changes:
            assert sample.label.startswith("a generated input: the input of case `")
            assert sample.label.endswith("; ".join(sample.changes))
        else:
            assert sample.label.startswith("case `")
        assert "(tests/" in sample.label or "(examples/" in sample.label, sample.label
        assert bundle.root not in sample.label and str(tmp_path) not in sample.label


def test_the_cli_report_names_settings_flags_the_version_and_shows_no_paths(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    pack = _widened(bundle, tmp_path)
    result = CliRunner().invoke(main, ["diff", bundle.root, str(pack), "--samples", "0"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "warning: cn-access changed but its metadata.version is still 1.3.0" in out
    assert "settings changed:" in out and "spec.roles.teller.permissions" in out
    assert "settings outside the rules" not in out
    assert str(Path(bundle.root).parent) not in result.output
    assert str(tmp_path) not in result.output


def _bundle_version(pack: Path, version: str) -> None:
    manifest = pack / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    shipped = f"\nversion: {fp.load_bundle().version}\n"
    assert shipped in text
    manifest.write_text(text.replace(shipped, f"\nversion: {version}\n", 1), encoding="utf-8")


@pytest.mark.slow
def test_a_pack_changed_under_the_same_bundle_version_is_flagged(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # both sides showed "cn-banking 1.2.0" with no word that the pack's version should move
    pack = _widened(bundle, tmp_path, version="1.4.0")
    report = diff(bundle, fp.load_bundle(pack), samples=0, domains=["access"])
    assert [w.code for w in report.warnings] == ["bundle_version_unchanged", "version_removed"]
    result = CliRunner().invoke(main, ["diff", bundle.root, str(pack), "--samples", "0"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert f"warning: the packs differ but both are cn-banking {bundle.version}" in out
    assert "bundle.yaml" in out
    result = CliRunner().invoke(main, ["diff", bundle.root, str(pack), "--samples", "0",
                                       "--json"])
    data = json.loads(result.output)
    assert [w["code"] for w in data["warnings"]] == ["bundle_version_unchanged",
                                                     "version_removed"]
    assert f"cn-banking {bundle.version}" in data["warnings"][0]["message"]

    _bundle_version(pack, "9.9.0")
    report = diff(bundle, fp.load_bundle(pack), samples=0, domains=["access"])
    assert [w.code for w in report.warnings] == ["version_removed"]
    assert diff(bundle, bundle, samples=0, domains=["access"]).warnings == ()


@pytest.mark.slow
def test_an_in_place_edit_is_a_warning_in_the_json_report(bundle: fp.Bundle,
                                                          tmp_path: Path) -> None:
    pack = _widened(bundle, tmp_path)
    _bundle_version(pack, "9.9.0")
    result = CliRunner().invoke(main, ["diff", bundle.root, str(pack), "--samples", "0",
                                       "--json"])
    data = json.loads(result.output)
    assert data["warnings"] == [{
        "code": "policy_version_unchanged",
        "message": "cn-access changed but its metadata.version is still 1.3.0; a released "
                   "version should never change, raise it"}]


@pytest.mark.slow
def test_a_window_moved_on_days_already_past_is_flagged(bundle: fp.Bundle,
                                                        tmp_path: Path) -> None:
    # ending a version yesterday: decisions already made under it would replay to another
    pack = tmp_path / "new"
    shutil.copytree(bundle.root, pack)
    _bundle_version(pack, "9.9.0")
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    start = bundle.in_force("AccessPolicy", dt.date(2026, 3, 1)).metadata.effective_from
    line = f"  effective_from: {start.isoformat()}\n"
    end = start + dt.timedelta(days=30)
    access.write_text(text.replace(line, line + f"  effective_until: {end}\n", 1),
                      encoding="utf-8")
    new = fp.load_bundle(pack)
    report = diff(bundle, new, samples=0, domains=["access"])
    (warning,) = report.warnings
    assert warning.code == "retroactive_window"
    assert f"changing the version in force from {end + dt.timedelta(days=1)}" in warning.message
    result = CliRunner().invoke(main, ["diff", bundle.root, str(pack), "--samples", "0"])
    assert "warning: cn-access 1.3.0: its window moves" in " ".join(result.output.split())
