"""``finpolicy fmt --schemas DIR`` points each policy file's first line at its schema in DIR;
a DIR that does not hold the schemas (a typo, or `finpolicy schema -o` not run) leaves
editors checking nothing, which fmt said nothing of: it now warns, naming the file, the
schema and how to write it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A pack's manifest and one policy file (fmt reads no more of a pack)."""
    root = tmp_path / "pack"
    root.mkdir()
    for name in ("bundle.yaml", "access.yaml"):
        shutil.copy(shipped_packs() / "cn-banking" / name, root / name)
    return root


def test_a_schemas_folder_without_the_schemas_is_warned_of(pack: Path, tmp_path: Path) -> None:
    for args in (["--check"], []):
        result = CliRunner().invoke(main, ["fmt", str(pack), "--schemas",
                                           str(tmp_path / "schemsa"), *args])
        assert result.exit_code == (1 if args else 0), result.output
        assert "warning: " in result.stderr
        assert "access.yaml: its schema AccessPolicy.schema.json is not in " in result.stderr
        assert "finpolicy schema -o" in result.stderr


def test_a_folder_the_schema_command_wrote_is_taken(pack: Path, tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    assert CliRunner().invoke(main, ["schema", "-o", str(schemas)]).exit_code == 0
    result = CliRunner().invoke(main, ["fmt", str(pack), "--schemas", str(schemas)])
    assert result.exit_code == 0, result.output
    first = (pack / "access.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/AccessPolicy.schema.json"
    again = CliRunner().invoke(main, ["fmt", "--check", str(pack), "--schemas", str(schemas)])
    assert again.exit_code == 0 and again.output == "", again.output
