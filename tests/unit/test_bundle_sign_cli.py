"""``finpolicy bundle sign --key``: a key that is no signing key is invalid input (exit 3,
naming --key), as ``bundle verify --key`` treats a key that is no public key; nothing is
signed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


@pytest.fixture
def pack_and_keys(tmp_path: Path) -> tuple[Path, Path]:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    keys = tmp_path / "keys"
    assert CliRunner().invoke(main, ["audit", "keygen", str(keys)]).exit_code == 0
    return pack, keys


@pytest.mark.parametrize("name", ["public-key.pem", "sealing-secret.b64"])
def test_signing_with_a_key_that_is_no_signing_key_is_invalid_input(
        pack_and_keys: tuple[Path, Path], name: str) -> None:
    pack, keys = pack_and_keys
    result = CliRunner().invoke(main, ["bundle", "sign", str(pack), "--key", str(keys / name)])
    assert result.exit_code == 3, result.output
    assert "--key" in result.output and name in result.output
    assert not (pack / "bundle.sig").exists()
    verified = CliRunner().invoke(main, ["bundle", "verify", str(pack), "--key",
                                         str(keys / "signing-key.pem")])
    assert verified.exit_code == 3 and "--key" in verified.output
