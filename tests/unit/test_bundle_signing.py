"""Signed bundles and ``finpolicy bundle verify``: every signature must be intact and of the
bundle as it is, lock file included; a trusted key decides who may sign; failures name what
changed; ``--json`` reports every outcome on stdout."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import finpolicy as fp
from finpolicy.audit import AuditKeys
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.lock import write_lock
from finpolicy.documents.pins import verify_bundle
from finpolicy.documents.signing import sign_bundle

PACK = shipped_packs() / "cn-banking"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    root = tmp_path / "cn-banking"
    shutil.copytree(PACK, root)
    return root


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    assert CliRunner().invoke(main, ["audit", "keygen", str(folder)]).exit_code == 0
    return folder


def _locked_and_signed(pack: Path, keys: Path) -> None:
    write_lock(fp.load_bundle(pack))
    sign_bundle(fp.load_bundle(pack), keys / "signing-key.pem", signer="policy owner")


def _verify(pack: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    result = CliRunner().invoke(main, ["bundle", "verify", str(pack), "--json", *args])
    return result, json.loads(result.stdout)


def _signatures(pack: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pack / "bundle.sig").read_text(encoding="utf-8"))
    return data


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# 1. without --key: signatures are still checked, and the output says who signed was not

def test_verify_without_a_key_fails_a_garbage_signature_file(pack: Path) -> None:
    (pack / "bundle.sig").write_text("garbage\n", encoding="utf-8")
    result, report = _verify(pack)
    assert result.exit_code == 1
    assert report["ok"] is False and report["signer_checked"] is False
    [problem] = report["problems"]
    assert problem["code"] == "bad_signature" and problem["file"].endswith("bundle.sig")
    assert "unreadable signature file" in problem["message"]
    assert not any("not signed" in note for note in report["notes"])


def test_verify_without_a_key_fails_a_signature_of_other_content(pack: Path, keys: Path
                                                                 ) -> None:
    sign_bundle(fp.load_bundle(pack), keys / "signing-key.pem")
    _edit(pack / "suitability-2026.yaml", "reason: ", "reason: Edited. ")
    result, report = _verify(pack)
    assert result.exit_code == 1 and report["ok"] is False
    [problem] = report["problems"]
    assert problem["code"] == "stale_signature" and problem["path"] == "signatures[0]"
    assert "suitability-2026.yaml changed" in problem["message"]
    assert report["signatures"][0]["intact"] and not report["signatures"][0]["current"]


def test_verify_without_a_key_fails_a_forged_or_malformed_signature(pack: Path, keys: Path
                                                                    ) -> None:
    _locked_and_signed(pack, keys)
    data = _signatures(pack)
    good = dict(data["signatures"][0])
    data["signatures"][0]["signer"] = "the chief risk officer"  # claims another signer
    data["signatures"].append({**good, "sig": base64.b64encode(b"x" * 64).decode()})
    data["signatures"].append({"key": "deadbeef"})
    (pack / "bundle.sig").write_text(json.dumps(data), encoding="utf-8")
    result, report = _verify(pack)
    assert result.exit_code == 1
    messages = [p["message"] for p in report["problems"]]
    assert len(messages) == 3 and all(p["code"] == "bad_signature" for p in report["problems"])
    assert "does not verify with its own public key" in messages[0]
    assert "does not verify with its own public key" in messages[1]
    assert messages[2].startswith("malformed signature: `public_key` is missing")


def test_verify_without_a_key_says_the_signer_was_not_checked(pack: Path, keys: Path) -> None:
    _locked_and_signed(pack, keys)
    result, report = _verify(pack)
    assert result.exit_code == 0, result.output
    assert report["ok"] is True and report["signer_checked"] is False
    assert report["signed_by"] == [] and report["signatures"][0]["trusted"] is None
    assert any(note.startswith("signer not checked") for note in report["notes"])
    text = CliRunner().invoke(main, ["bundle", "verify", str(pack)])
    assert text.exit_code == 0
    assert "signer not checked" in text.stdout
    assert "ok, but the signer was not checked (pass --key)" in text.stdout
    trusted, report = _verify(pack, "--key", str(keys / "public-key.pem"))
    assert trusted.exit_code == 0 and report["signer_checked"] is True
    assert report["signed_by"] == [report["signatures"][0]["key"]] and report["notes"] == []


def test_verify_of_an_unsigned_pack_says_so(pack: Path) -> None:
    write_lock(fp.load_bundle(pack))
    result, report = _verify(pack)
    assert result.exit_code == 0 and report["signatures"] == []
    assert "the bundle is not signed: nothing vouches for who wrote it" in report["notes"]
    assert any("bundle.lock is covered by no signature" in n for n in report["notes"])
    required, report = _verify(pack, "--key", str(PACK.parent.parent / "README.md"))
    assert required.exit_code == 3  # not a key


# 3. the signature covers the lock

def test_a_signed_pack_whose_lock_was_deleted_or_edited_fails(pack: Path, keys: Path) -> None:
    public = keys / "public-key.pem"
    _locked_and_signed(pack, keys)
    lock = (pack / "bundle.lock").read_text(encoding="utf-8")
    (pack / "bundle.lock").unlink()
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, trusted_keys=[public])
    [problem] = exc.value.problems
    assert problem.code == "stale_signature"
    assert "bundle.lock deleted (every other file is as signed)" in problem.message
    result, report = _verify(pack, "--key", str(public))
    assert result.exit_code == 1 and not report["ok"] and report["signed_by"] == []
    # an edit that leaves the JSON's meaning alone (layout) is no change
    (pack / "bundle.lock").write_text(json.dumps(json.loads(lock)), encoding="utf-8")
    fp.load_bundle(pack, trusted_keys=[public])
    released = next(iter(json.loads(lock)["policies"]))  # (whichever version is locked)
    (pack / "bundle.lock").write_text(lock.replace(released, released.split("@")[0] + "@0.9.0"),
                                      encoding="utf-8")
    with pytest.raises(fp.PolicyError, match="bundle.lock changed"):
        fp.load_bundle(pack, trusted_keys=[public])


def test_a_lock_added_after_signing_needs_a_new_signature(pack: Path, keys: Path) -> None:
    sign_bundle(fp.load_bundle(pack), keys / "signing-key.pem")
    fp.load_bundle(pack, trusted_keys=[keys / "public-key.pem"])
    write_lock(fp.load_bundle(pack))
    check = verify_bundle(pack, trusted_keys=[keys / "public-key.pem"])
    assert [p.code for p in check.problems] == ["stale_signature"]
    assert "bundle.lock added" in check.problems[0].message
    sign_bundle(fp.load_bundle(pack), keys / "signing-key.pem")
    assert verify_bundle(pack, trusted_keys=[keys / "public-key.pem"]).ok


def test_a_signature_file_of_the_first_format_is_refused(pack: Path) -> None:
    (pack / "bundle.sig").write_text(json.dumps({
        "format": "finpolicy-bundle-signature/1", "signatures": []}), encoding="utf-8")
    with pytest.raises(fp.PolicyError, match="do not cover bundle.lock: sign the bundle again"):
        fp.load_bundle(pack, trusted_keys=[AuditKeys.generate().public_key])


# 4. --json: a report on stdout for every outcome, with the documented exit code

def test_verify_json_reports_a_failed_lock_check_on_stdout(pack: Path, keys: Path) -> None:
    _locked_and_signed(pack, keys)
    _edit(pack / "access.yaml", "reason: ", "reason: Edited. ")
    result, report = _verify(pack, "--key", str(keys / "public-key.pem"))
    assert result.exit_code == 1
    codes = sorted(p["code"] for p in report["problems"])
    assert codes == ["released_version_changed", "stale_signature"]
    assert report["bundle"] == "cn-banking" and report["ok"] is False


def test_verify_json_reports_an_invalid_pack_and_a_bad_key(pack: Path, keys: Path) -> None:
    _edit(pack / "classification.yaml", "kind: ClassificationPolicy",
          "kind: ClassificationPolcy")
    result, report = _verify(pack)
    assert result.exit_code == 2 and report["ok"] is False and report["bundle"] is None
    assert report["problems"][0]["code"] == "unknown_kind"
    result, report = _verify(PACK, "--key", str(keys / "missing.pem"))
    assert result.exit_code == 3
    [problem] = report["problems"]
    assert problem["path"] == "--key" and "cannot read the public key" in problem["message"]


# 5. failures name what changed

def test_a_renamed_file_is_named(pack: Path, keys: Path) -> None:
    _locked_and_signed(pack, keys)
    (pack / "suitability-2026.yaml").rename(pack / "suitability-2026-02.yaml")
    with pytest.raises(fp.PolicyError) as exc:
        fp.load_bundle(pack, trusted_keys=[keys / "public-key.pem"])
    [problem] = exc.value.problems
    assert "suitability-2026.yaml renamed to suitability-2026-02.yaml;" in problem.message


def test_a_signer_that_is_not_text_is_refused_and_nothing_is_written(pack: Path, keys: Path
                                                                     ) -> None:
    """A terminal passes a byte that is not UTF-8 as a lone surrogate: it failed while the
    signature was written (a UnicodeEncodeError traceback)."""
    result = CliRunner().invoke(main, ["bundle", "sign", str(pack), "--key",
                                       str(keys / "signing-key.pem"), "--signer", "\udcff"])
    assert result.exit_code == 3, result.output
    assert "Invalid value for '--signer': `\\xff` is not text" in result.output
    with pytest.raises(fp.InputError, match="signer: expected text"):
        sign_bundle(fp.load_bundle(pack), keys / "signing-key.pem", signer="\udcff")
    assert not (pack / "bundle.sig").exists()
    signed = CliRunner().invoke(main, ["bundle", "sign", str(pack), "--key",
                                       str(keys / "signing-key.pem"), "--signer", "me"])
    assert signed.exit_code == 0, signed.output


def test_verify_takes_the_digest_in_either_case_and_refuses_what_is_no_digest(
        pack: Path) -> None:
    digest = fp.load_bundle(pack).digest
    result, report = _verify(pack, "--digest", digest.upper())  # it was a mismatch, exit 1
    assert result.exit_code == 0 and report["ok"] is True, report
    assert fp.load_bundle(pack, expect_digest=digest.upper()).digest == digest
    for bad, got in (("", "an empty value"), ("zz", "`zz`"), (digest[:-1] + "g", "`")):
        result, report = _verify(pack, "--digest", bad)
        assert result.exit_code == 3, (bad, report)  # was 1, a mismatch
        [problem] = report["problems"]
        assert problem["path"] == "--digest" and problem["message"].startswith(
            "expected a bundle digest (sha256: 64 hexadecimal digits), got " + got)
    with pytest.raises(fp.InputError, match="expect_digest: expected a bundle digest"):
        fp.load_bundle(pack, expect_digest="zz")


def test_one_trusted_key_given_alone_is_one_key_not_its_characters(pack: Path, keys: Path
                                                                   ) -> None:
    """``trusted_keys="keys/approver.pem"`` read each character as a key path ('a: cannot
    read the public key'), and a Path or PEM bytes alone escaped as TypeError."""
    _locked_and_signed(pack, keys)
    public = keys / "public-key.pem"
    for one in (str(public), public, public.read_bytes()):
        assert fp.load_bundle(pack, trusted_keys=one).digest  # type: ignore[arg-type]
    engine = fp.PolicyEngine(fp.load_bundle(pack))
    _edit(pack / "bundle.yaml", "description:", "# reviewed\ndescription:")
    assert engine.reload(pack, trusted_keys=str(public)) is None  # a comment: same digest


@pytest.mark.parametrize("given", [5, [5], [None]])
def test_trusted_keys_that_are_no_keys_are_a_policy_error(pack: Path, keys: Path,
                                                          given: Any) -> None:
    _locked_and_signed(pack, keys)
    with pytest.raises(fp.PolicyError, match="expected (public keys|a PEM file's path)"):
        fp.load_bundle(pack, trusted_keys=given)
