"""``finpolicy test`` on a pack without cases in ``tests/`` names a ``test/`` or
``testcases/`` folder that holds YAML files (the cases, in a folder of another name)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"


@pytest.mark.parametrize("name,keep_tests", [("test", False), ("testcases", True)])
def test_no_cases_names_the_folder_they_are_in(tmp_path: Path, name: str,
                                               keep_tests: bool) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    files = len(list((pack / "tests").glob("*.yaml")))
    (pack / "tests").rename(pack / name)
    if keep_tests:
        (pack / "tests").mkdir()
    result = CliRunner().invoke(main, ["test", str(pack)])
    assert result.exit_code == 1
    assert (f"no test cases in {pack / 'tests'} (`{name}/` holds {files} YAML files: cases are "
            "read from `tests/`; rename it)") in result.output
