"""A warning reaches a command line user as one line, ``warning: ...``: not Python's
``path.py:248: ScanLimitWarning: ...`` with the source line under it."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


def test_a_warning_while_loading_is_one_line_on_standard_error(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    for i in range(30):  # more YAML files than the search for misplaced documents reads
        folder = pack / "deploy" / f"s{i}"
        folder.mkdir(parents=True)
        for j in range(45):
            (folder / f"f{j}.yaml").write_text(f"name: x{j}\n", encoding="utf-8")
    with warnings.catch_warnings():  # as Python shows warnings (the tests make them errors)
        warnings.simplefilter("default")
        result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning: "), result.stderr
    assert "not every YAML file" in lines[0]
    assert "ScanLimitWarning" not in result.stderr and ".py:" not in result.stderr
