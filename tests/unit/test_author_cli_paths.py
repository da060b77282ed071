"""``finpolicy validate pack/suitability.yaml`` (a policy file where the pack folder goes)
said "Directory 'pack/suitability.yaml' is a file.", naming neither what to give instead nor
why; validate and lint now name the folder to give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


@pytest.mark.parametrize("command", ["validate", "lint"])
def test_a_policy_file_given_for_the_pack_names_the_folder_to_give(tmp_path: Path,
                                                                   command: str) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "uk-fca", pack)
    result = CliRunner().invoke(main, [command, str(pack / "complaints.yaml")])
    assert result.exit_code == 3
    assert f"`{pack / 'complaints.yaml'}` is a file; give the pack folder that holds it " \
           f"(`{pack.as_posix()}`): a pack is checked as a whole" in result.output
    assert CliRunner().invoke(main, [command, str(pack)]).exit_code == 0
