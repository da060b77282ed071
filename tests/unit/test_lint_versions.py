"""``finpolicy lint`` FPL010: a version that comes into force after another of the same
policy must be numbered above it — a copied file whose version was raised from the wrong one
(``2.2.0`` after ``2.3.0``) would have decisions name a lower version for a later text."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.lint import CODES, lint_bundle
from tests.helpers.packversions import earlier_pack


@functools.cache
def _cn() -> Path:
    """The shipped pack before the versions of 2026-12-07 (``earlier_pack``): the tests add
    suitability versions after 2.3.0, the one in force in 2026."""
    return earlier_pack(Path(tempfile.mkdtemp(prefix="fp-earlier-")) / "cn-banking")


def _pack(tmp_path: Path, version: str, comment: str = "") -> Path:
    """The shipped pack's suitability policy with a 2027 version numbered ``version``."""
    root = tmp_path / "pack"
    root.mkdir()
    for name in ("bundle.yaml", "suitability-2018.yaml"):
        (root / name).write_bytes((_cn() / name).read_bytes())
    current = (_cn() / "suitability-2026.yaml").read_text(encoding="utf-8")
    released = fp.load_bundle(_cn()).versions("cn-suitability")[-1].version
    assert f"version: {released}\n" in current and "effective_from: 2026-02-01\n" in current
    (root / "suitability-2026.yaml").write_text(current.replace(
        "effective_from: 2026-02-01\n",
        "effective_from: 2026-02-01\n  effective_until: 2026-12-31\n", 1), encoding="utf-8")
    (root / "suitability-2027.yaml").write_text(current.replace(
        f"version: {released}\n", f"version: {version}{comment}\n", 1).replace(
        "effective_from: 2026-02-01\n", "effective_from: 2027-01-01\n", 1), encoding="utf-8")
    return root


def _order(root: Path) -> list[str]:
    return [f.message for f in lint_bundle(fp.load_bundle(root)) if f.code == "FPL010"]


@pytest.mark.parametrize("version", ["2.2.0", "2.3.0-rc.1", "1.9.9", "2.3.0-alpha"])
def test_a_later_version_numbered_below_an_earlier_one_is_a_warning(tmp_path: Path,
                                                                    version: str) -> None:
    [message] = _order(_pack(tmp_path, version))
    assert message.startswith(f"version {version} comes into force on 2027-01-01, after ")
    assert "suitability-2026.yaml" in message


def test_lint_reports_it_at_the_version_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lint", str(_pack(tmp_path, "2.2.0")), "--fail-on",
                                       "warning"])
    assert result.exit_code == 1
    assert "suitability-2027.yaml:8: warning FPL010: rule `metadata.version`: version 2.2.0 " \
        in result.output
    assert CODES["FPL010"].name == "version_order"


@pytest.mark.parametrize("version", ["2.4.0", "2.3.1", "3.0.0-rc.1", "2.10.0"])
def test_a_later_version_numbered_above_is_fine(tmp_path: Path, version: str) -> None:
    assert _order(_pack(tmp_path, version)) == []


def test_the_warning_is_silenced_with_a_reason(tmp_path: Path) -> None:
    root = _pack(tmp_path, "2.2.0", "  # finpolicy-lint: ignore[FPL010] renumbered on purpose")
    assert _order(root) == []


# FPL011: a draft left beside the released policy makes every call that names no policy fail


def _with_draft(tmp_path: Path, until: str | None = None) -> Path:
    root = tmp_path / "drafted"
    root.mkdir()
    for name in ("bundle.yaml", "suitability-2018.yaml", "suitability-2026.yaml"):
        (root / name).write_bytes((_cn() / name).read_bytes())
    text = (_cn() / "suitability-2026.yaml").read_text(encoding="utf-8")
    assert "id: cn-suitability\n" in text and "effective_from: 2026-02-01\n" in text
    window = "effective_from: 2026-06-01\n" + (f"  effective_until: {until}\n" if until else "")
    (root / "suitability-draft.yaml").write_text(
        text.replace("id: cn-suitability\n", "id: cn-suitability-draft\n", 1).replace(
            "effective_from: 2026-02-01\n", window, 1), encoding="utf-8")
    return root


@pytest.mark.parametrize(("until", "days"), [(None, "from 2026-06-01 on"),
                                             ("2026-06-30", "from 2026-06-01 to 2026-06-30")])
def test_two_policies_of_one_kind_in_force_at_once_are_a_warning(
        tmp_path: Path, until: str | None, days: str) -> None:
    root = _with_draft(tmp_path, until)
    [found] = [f for f in lint_bundle(fp.load_bundle(root)) if f.code == "FPL011"]
    assert found.file.endswith("suitability-draft.yaml") and found.rule == "metadata.id"
    assert found.message == (f"`cn-suitability-draft` and `cn-suitability` "
                             f"(suitability-2026.yaml) are both SuitabilityPolicy policies in "
                             f"force {days}: a call that names neither (policy=, --policy) is "
                             "refused then")
    assert CODES["FPL011"].name == "several_in_force"


def test_policies_of_one_kind_one_after_the_other_are_fine(tmp_path: Path) -> None:
    root = _with_draft(tmp_path)
    text = (root / "suitability-2026.yaml").read_text(encoding="utf-8")
    (root / "suitability-2026.yaml").write_text(text.replace(
        "effective_from: 2026-02-01\n", "effective_from: 2026-02-01\n  effective_until: "
        "2026-05-31\n", 1), encoding="utf-8")
    assert [f for f in lint_bundle(fp.load_bundle(root)) if f.code == "FPL011"] == []
