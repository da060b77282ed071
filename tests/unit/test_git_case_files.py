"""``finpolicy test git:REV:PATH`` names the revision's case files ``REV:PATH/tests/…``, as
loading names its policy files, never by the temporary folder they were extracted to."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def _commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CN, root / "policies" / "pack")
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    _commit(root, "release")
    monkeypatch.chdir(root)
    return root


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (args, result.output)
    return result.exit_code, result.output


def test_test_names_a_revisions_case_files_by_the_revision(repo: Path) -> None:
    cases = repo / "policies" / "pack" / "tests" / "suitability.yaml"
    text = cases.read_text(encoding="utf-8")
    assert "outcome: suitable\n" in text
    cases.write_text(text.replace("outcome: suitable\n", "outcome: unsuitable\n", 1),
                     encoding="utf-8")
    _commit(repo, "a wrong expectation")
    args = ["test", "git:HEAD:policies/pack", "--no-invariants", "-e", "compiled"]
    code, output = _run(args)
    assert code == 1
    assert "FAIL HEAD:policies/pack/tests/suitability.yaml:" in output, output
    assert "finpolicy-git-" not in output
    code, output = _run([*args, "--json"])
    assert code == 1
    [failure] = json.loads(output)["failures"]
    assert failure["file"] == "HEAD:policies/pack/tests/suitability.yaml"


def test_a_malformed_case_file_at_a_revision_is_named_by_the_revision(repo: Path) -> None:
    (repo / "policies" / "pack" / "tests" / "broken.yaml").write_text(
        "domain: suitability\ncases: [{name: x}]\n", encoding="utf-8")
    _commit(repo, "a broken case file")
    code, output = _run(["test", "git:HEAD:policies/pack", "--no-invariants"])
    assert code == 2
    assert "HEAD:policies/pack/tests/broken.yaml:" in output, output
    assert "finpolicy-git-" not in output


def test_a_revision_without_cases_or_examples_is_named_by_the_revision(repo: Path) -> None:
    pack = repo / "policies" / "pack"
    shutil.rmtree(pack / "tests")
    shutil.rmtree(pack / "examples")
    _commit(repo, "no cases, no examples")
    code, output = _run(["test", "git:HEAD:policies/pack"])
    assert code == 1 and "no test cases in HEAD:policies/pack/tests" in output, output
    code, output = _run(["demo", "-b", "git:HEAD:policies/pack"])
    assert code == 3 and "HEAD:policies/pack/examples: the pack has no examples" in output, \
        output
