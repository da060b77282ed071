"""An empty policy file, or one holding only a comment, was reported as "expected a policy
document mapping", which did not say the file was empty nor what a document holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


@pytest.mark.parametrize(("text", "got"), [
    ("", "no YAML document (the file is empty or holds only comments)"),
    ("# to do\n", "no YAML document (the file is empty or holds only comments)"),
    ("- access\n- rules\n", "a list"),
    ("access rules\n", "the single value `access rules`")])
def test_a_file_that_is_no_policy_document_says_what_it_holds(tmp_path: Path, text: str,
                                                               got: str) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "uk-fca", pack)
    (pack / "suitability.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    assert ("suitability.yaml:1: expected a policy document (a mapping of apiVersion, kind, "
            f"metadata and spec), got {got}\n") in result.output
