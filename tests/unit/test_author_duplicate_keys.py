"""A rule copied with a key left twice (two ``reason:``) stopped the whole file: ``finpolicy
validate`` reported the duplicate key and nothing else of the file, so its other mistakes came
one run later. The duplicate is now reported and the rest of the file checked; the pack still
does not load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import load_bundle, shipped_packs
from finpolicy.errors import PolicyError


def test_a_duplicate_key_does_not_hide_the_other_problems_of_the_file(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "uk-fca", pack)
    policy = pack / "complaints.yaml"
    text = policy.read_text(encoding="utf-8")
    lines = text.splitlines()
    reason = next(i for i, line in enumerate(lines) if line.startswith("      reason: "))
    lines.insert(reason + 1, "      reason: a second reason")
    version = next(i for i, line in enumerate(lines) if line.startswith("  version: "))
    lines[version] = "  version: 1.0"
    policy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    assert f"complaints.yaml:{reason + 2}: " in result.output
    assert "duplicate key `reason`" in result.output
    assert f"complaints.yaml:{version + 1}: metadata.version: " in result.output, result.output
    with pytest.raises(PolicyError, match="duplicate key `reason`"):
        load_bundle(pack)
