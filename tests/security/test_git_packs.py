"""A pack read from git (``git:REV:PATH``) whose tree holds a link out of it is refused as a
pack on disk is — a policy error naming REV:PATH/file — never a traceback of tarfile's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.git import bundle_folder

CN = shipped_packs() / "cn-banking"


def _commit(root: Path, links: dict[str, str]) -> None:
    shutil.copytree(CN, root / "pack")
    for name, target in links.items():
        (root / "pack" / name).symlink_to(target)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "pack"], cwd=root, check=True)


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/hostname"])
def test_a_committed_link_out_of_the_pack_is_a_policy_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    _commit(tmp_path, {"stolen.yaml": target})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(fp.PolicyError) as error, bundle_folder("git:HEAD:pack"):
        pass
    problem = error.value.problems[0]
    assert (problem.file, problem.code) == ("HEAD:pack/stolen.yaml", "link_outside_pack")
    assert f"`{target}`" in problem.message
    result = CliRunner().invoke(main, ["diff", "git:HEAD:pack", "pack"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "HEAD:pack/stolen.yaml: a link to a file outside the pack" in result.output


def test_a_link_that_stays_in_the_pack_is_read_from_git(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _commit(tmp_path, {"notes.txt": "bundle.yaml"})
    monkeypatch.chdir(tmp_path)
    with bundle_folder("git:HEAD:pack") as folder:
        assert fp.load_bundle(folder).name == "cn-banking"
