"""A policy document put in a folder of a pack (``policies/classification.yaml``) was skipped
without a word: ``finpolicy validate`` said ``ok`` with one document fewer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import load_bundle, shipped_packs
from finpolicy.errors import PolicyError


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    (pack / "policies").mkdir()
    (pack / "classification.yaml").rename(pack / "policies" / "classification.yaml")
    return pack


def test_a_policy_document_in_a_folder_of_the_pack_is_reported_not_skipped(
        tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2, result.output
    moved = pack / "policies" / "classification.yaml"
    line = moved.read_text(encoding="utf-8").splitlines().index("apiVersion: finpolicy/v1") + 1
    assert f"classification.yaml:{line}: apiVersion: a policy document in a folder of the " \
           "pack would be skipped: loading reads the policy files beside bundle.yaml only; " \
           "move it there" in result.output
    with pytest.raises(PolicyError) as caught:
        load_bundle(pack)
    assert [p.code for p in caught.value.problems] == ["misplaced_document"]
    # put back, the pack loads: its test cases and examples in their folders are no policy
    # documents, and a hidden folder is not the pack's
    shutil.move(pack / "policies" / "classification.yaml", pack / "classification.yaml")
    (pack / ".drafts").mkdir()  # a hidden folder is not the pack's
    (pack / ".drafts" / "x.yaml").write_text("apiVersion: finpolicy/v1\n", encoding="utf-8")
    shipped = load_bundle(shipped_packs() / "cn-banking")
    assert len(load_bundle(pack).policies()) == len(shipped.policies())


def test_a_file_of_test_cases_beside_the_policies_is_named_as_such(tmp_path: Path) -> None:
    """A test-case file put beside the policies read as six problems of a policy document
    ("missing required key `apiVersion`", "unknown key `cases`" …)."""
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "uk-fca", pack)
    shutil.copy(pack / "tests" / "complaints.yaml", pack / "complaints-tests.yaml")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    assert result.output.splitlines()[:-1] == [
        f"{pack / 'complaints-tests.yaml'}:1: a file of test cases or examples (cases:), not a "
        "policy document: put it under tests/ (cases with expectations) or examples/"], \
        result.output
