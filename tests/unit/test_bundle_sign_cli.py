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


def test_lock_and_sign_name_the_files_as_the_pack_was_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As docs/releasing.rst shows them (`in policies/cn-banking/bundle.lock`), and a folder
    name that looks like markup (`[red]`) printed as it is."""
    (tmp_path / "policies").mkdir()
    shutil.copytree(shipped_packs() / "cn-banking", tmp_path / "policies" / "pack[red]")
    assert CliRunner().invoke(main, ["audit", "keygen", str(tmp_path / "keys")]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    locked = CliRunner().invoke(main, ["bundle", "lock", "policies/pack[red]"])
    signed = CliRunner().invoke(main, ["bundle", "sign", "policies/pack[red]", "--key",
                                       "keys/signing-key.pem"])
    assert locked.exit_code == signed.exit_code == 0, locked.output + signed.output
    assert " in policies/pack[red]/bundle.lock; new: " in locked.output
    assert signed.output.rstrip().endswith(" in policies/pack[red]/bundle.sig")


@pytest.mark.parametrize("trusted", [False, True])
def test_verify_prints_a_signer_as_it_is_never_as_markup(pack_and_keys: tuple[Path, Path],
                                                         trusted: bool) -> None:
    """The signer's name is bundle.sig's text (a pack from someone else's branch): `[/x]`
    stopped the report with a traceback of rich's MarkupError."""
    pack, keys = pack_and_keys
    signer = "evil [/x] [bold]B"
    signed = CliRunner().invoke(main, ["bundle", "sign", str(pack), "--key",
                                       str(keys / "signing-key.pem"), "--signer", signer])
    assert signed.exit_code == 0, signed.output
    key = ["--key", str(keys / "public-key.pem")] if trusted else []
    result = CliRunner().invoke(main, ["bundle", "verify", str(pack), *key])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0
    assert f"({signer})" in result.output


def test_lock_names_a_locked_version_that_left_as_validate_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(shipped_packs() / "cn-banking", tmp_path / "pack")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["bundle", "lock", "pack"]).exit_code == 0
    (tmp_path / "pack" / "complaints.yaml").unlink()
    validated = CliRunner().invoke(main, ["validate", "pack"])
    locked = CliRunner().invoke(main, ["bundle", "lock", "pack"])
    assert validated.exit_code == locked.exit_code == 2
    for output in (validated.output, locked.output):
        assert output.startswith("pack/bundle.lock: policies.cn-complaints@"), output
