"""Lint takes ``resource.level_rank`` to range over the declared levels' ranks (0 for the
lowest), so a comparison with a rank no level has is reported as for other facts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finpolicy.documents.bundle import load_bundle
from finpolicy.lint import lint_bundle

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"
LINE = "          - {field: resource.level, eq: core}\n"


def _findings(tmp_path: Path, comparison: str) -> list[tuple[str, str, str]]:
    shutil.copytree(PACK, tmp_path / "pack")
    path = tmp_path / "pack" / "access.yaml"
    text = path.read_text(encoding="utf-8")
    assert LINE in text
    path.write_text(text.replace(LINE, f"          - {comparison}\n", 1), encoding="utf-8")
    return [(f.code, f.rule, f.message) for f in lint_bundle(load_bundle(tmp_path / "pack"))]


@pytest.mark.parametrize("comparison", ["{field: resource.level_rank, gt: 5}",
                                        "{field: resource.level_rank, eq: 3}",
                                        "{field: resource.level_rank, lt: 0}"])
def test_a_rank_no_level_has_never_holds(tmp_path: Path, comparison: str) -> None:
    found = _findings(tmp_path, comparison)
    codes = {code for code, _, _ in found}
    assert {"FPL001", "FPL005"} <= codes
    [message] = [m for code, _, m in found if code == "FPL005"]
    assert "can never hold (its values: 0, 1, 2)" in message


@pytest.mark.parametrize("comparison", ["{field: resource.level_rank, le: 2}",
                                        "{field: resource.level_rank, ge: 0}",
                                        "{field: resource.level, in: [ordinary, important, "
                                        "core]}"])
def test_a_bound_every_level_meets_is_reported(tmp_path: Path, comparison: str) -> None:
    """``level_rank le 2`` with three levels holds for every level: an author who meant
    "up to important" wrote a condition that narrows nothing, and lint said nothing."""
    found = _findings(tmp_path, comparison)
    [message] = [m for code, _, m in found if code == "FPL012"]
    assert message.endswith("holds for every value it takes (0, 1, 2): it narrows nothing") \
        or message.endswith("(“core”, “important”, “ordinary”): it narrows nothing")


@pytest.mark.parametrize("comparison", ["{field: resource.level_rank, le: 1}",
                                        "{field: resource.level_rank, ge: 1}",
                                        "{field: resource.level, in: [important, core]}"])
def test_a_bound_that_narrows_is_not_reported(tmp_path: Path, comparison: str) -> None:
    assert "FPL012" not in {code for code, _, _ in _findings(tmp_path, comparison)}
