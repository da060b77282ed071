"""Pinned and signed bundles: a lock file refuses an edited released version, signatures and
an expected digest refuse a bundle that is not the one vouched for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.lock import write_lock
from finpolicy.documents.signing import sign_bundle

PACK = shipped_packs() / "cn-banking"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    root = tmp_path / "cn-banking"
    shutil.copytree(PACK, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _codes(exc: pytest.ExceptionInfo[fp.PolicyError]) -> set[str]:
    return {p.code for p in exc.value.problems}


def test_an_edited_released_version_is_refused(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    [problem] = exc.value.problems
    assert problem.code == "released_version_changed"
    assert problem.file.endswith("suitability-2026.yaml")
    assert problem.path == "metadata.version" and problem.line is not None
    assert "give the change a new version" in problem.message


def test_comments_may_change_and_new_versions_may_come(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "\n", "\n# reviewed\n")
    fp.load_bundle(pack)


def test_a_locked_version_that_left_is_refused(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    (pack / "suitability-2018.yaml").unlink()
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack)
    assert "locked_version_missing" in _codes(exc)


def test_relocking_an_edited_version_is_refused(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    result = CliRunner().invoke(main, ["bundle", "lock", str(pack)])
    assert result.exit_code == 2
    assert "released_version_changed" not in result.output  # messages, not codes
    assert "give the change a new version" in result.output


def test_signed_bundles_load_only_with_a_trusted_key(pack: Path) -> None:
    author, stranger = AuditKeys.generate(), AuditKeys.generate()
    bundle = fp.load_bundle(pack)
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, trusted_keys=[author.public_key])
    assert _codes(exc) == {"unsigned_bundle"}
    assert author.signing_key is not None
    sign_bundle(bundle, author.signing_key, signer="policy owner")
    assert fp.load_bundle(pack, trusted_keys=[author.public_key]).digest == bundle.digest
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, trusted_keys=[stranger.public_key])
    assert _codes(exc) == {"bad_signature"}
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError, match="the content changed since it was signed"):
        fp.load_bundle(pack, trusted_keys=[author.public_key])


def test_an_expected_digest_pins_the_bundle(pack: Path) -> None:
    digest = fp.load_bundle(pack).digest
    assert fp.load_bundle(pack, expect_digest=digest).digest == digest
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, expect_digest=digest)
    assert _codes(exc) == {"digest_mismatch"}


def test_cli_lock_sign_verify(pack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    keys = tmp_path / "keys"
    assert runner.invoke(main, ["audit", "keygen", str(keys)]).exit_code == 0
    locked = runner.invoke(main, ["bundle", "lock", str(pack)])
    versions = len(fp.load_bundle(pack).documents)
    assert locked.exit_code == 0 and f"locked {versions} policy version(s)" in locked.output
    signed = runner.invoke(main, ["bundle", "sign", str(pack), "--key",
                                  str(keys / "signing-key.pem")])
    assert signed.exit_code == 0, signed.output
    digest = fp.load_bundle(pack).digest
    ok = runner.invoke(main, ["bundle", "verify", str(pack), "--key",
                              str(keys / "public-key.pem"), "--digest", digest])
    assert ok.exit_code == 0 and "signed by trusted key" in ok.output
    wrong = runner.invoke(main, ["bundle", "verify", str(pack), "--digest", "0" * 64])
    assert wrong.exit_code == 1 and "is not the expected" in wrong.output
