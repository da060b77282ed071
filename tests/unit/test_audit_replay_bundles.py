"""Replay finds the bundle that decided each entry at the folder the log recorded; when it is
not there, the auditor is told what is there instead — the folder gone, a pack that no longer
loads (its lock refuses a release edited in place), or another bundle under the same name and
version — and which bundles were given."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, read_entries, replay_log
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.lock import write_lock

ON = dt.date(2026, 3, 2)


def _logged(tmp_path: Path, keys: AuditKeys, *, lock: bool) -> tuple[Path, Path, str]:
    """A copy of the shipped pack (locked or not), a log of one decision it took, and its
    digest."""
    root = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    if lock:
        write_lock(fp.load_bundle(root))
    where = tmp_path / "log.db"
    bundle = fp.load_bundle(root)
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(bundle, log=log).classify(fp.DataField(name="remark"), as_of=ON)
    return root, where, bundle.digest


def _edit_in_place(root: Path) -> None:
    """The same policy version, one rule changed: what bundle.lock is there to refuse."""
    path = root / "classification.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("is core data under strict permission control",
                                 "is core data", 1), encoding="utf-8")


def test_a_pack_edited_in_place_is_named_with_what_it_holds_now(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    root, where, digest = _logged(tmp_path, keys, lock=False)
    _edit_in_place(root)
    now = fp.load_bundle(root)
    with pytest.raises(AuditError) as raised:
        replay_log(where, keys)
    message = str(raised.value)
    assert f"({now.name} {now.version}, {digest[:12]})" in message
    assert (f"{root} holds {now.name} {now.version} ({now.digest[:12]}) now: its content "
            "changed since") in message


def test_a_locked_pack_edited_in_place_says_why_it_does_not_load(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    root, where, _ = _logged(tmp_path, keys, lock=True)
    _edit_in_place(root)
    with pytest.raises(AuditError, match=rf"{root} does not load \(.*classification.yaml.*"
                                         r"bundle.lock"):
        replay_log(where, keys)


def test_a_folder_gone_and_the_bundles_given_are_named(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    root, where, digest = _logged(tmp_path, keys, lock=False)
    other = tmp_path / "other"
    shutil.copytree(root, other)
    shutil.rmtree(root)
    _edit_in_place(other)
    given = fp.load_bundle(other)
    with pytest.raises(AuditError) as raised:
        replay_log(where, keys, deciders=[given])
    assert f"{root} does not exist" in str(raised.value)
    assert f"the bundles given are {given.name} {given.version}, {given.digest[:12]}" in str(
        raised.value)
    folder = tmp_path / "keys"
    keys.save(folder)
    result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys", str(folder),
                                       "--with", str(other)])
    assert result.exit_code == 1
    assert f"{root} does not exist" in result.output and digest[:12] in result.output


def test_a_bundle_loaded_by_a_relative_path_is_found_from_another_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An application that loads ``fp.load_bundle("pack")`` from its own folder: the log
    recorded the folder as ``pack``, so replay found it only when run from that folder."""
    keys = AuditKeys.generate()
    app = tmp_path / "app"
    shutil.copytree(shipped_packs() / "cn-banking", app / "pack")
    monkeypatch.chdir(app)
    with DecisionLog(app / "log.db", keys=keys) as log:
        fp.PolicyEngine(fp.load_bundle("pack"), log=log).classify(
            fp.DataField(name="remark"), as_of=ON)
    monkeypatch.chdir(tmp_path)
    [entry] = read_entries(app / "log.db")
    assert entry.env["bundle"]["root"] == str(app / "pack")
    assert replay_log(app / "log.db", keys).reproduced


def test_replay_proves_the_bundle_that_decided_was_the_approved_one(tmp_path: Path) -> None:
    """--trusted-key: every bundle that decided must carry a current signature by an
    approver's key — the log names the digest, the signature vouches for it."""
    from finpolicy.audit.keys import generate_keys
    from finpolicy.documents.signing import sign_bundle

    approver, stranger = generate_keys(tmp_path / "approver"), generate_keys(tmp_path / "other")
    keys = AuditKeys.generate()
    root, where, digest = _logged(tmp_path, keys, lock=True)
    sign_bundle(fp.load_bundle(root), approver.signing_key, signer="head of compliance")
    report = replay_log(where, keys, trusted_keys=[tmp_path / "approver" / "public-key.pem"])
    assert report.reproduced and report.approved_by == (approver.key_id,)
    assert replay_log(where, keys).approved_by is None  # (not asked)
    with pytest.raises(AuditError, match=rf"entry \d+: the bundle that decided it \(cn-banking "
                                         rf".*, {digest[:12]}\) at {root} is not approved: no "
                                         rf"signature by a trusted key \({stranger.key_id}\)"):
        replay_log(where, keys, trusted_keys=[stranger.public_key])
    folder = tmp_path / "keys"
    keys.save(folder)
    cli = CliRunner()
    ok = cli.invoke(main, ["audit", "replay", str(where), "--keys", str(folder),
                           "--trusted-key", str(tmp_path / "approver" / "public-key.pem")])
    assert ok.exit_code == 0, ok.output
    assert f"every bundle that decided is signed by trusted key {approver.key_id}" in ok.output
    (root / "bundle.sig").unlink()
    refused = cli.invoke(main, ["audit", "replay", str(where), "--keys", str(folder),
                                "--trusted-key", str(tmp_path / "approver" / "public-key.pem")])
    assert refused.exit_code == 1
    assert "is not approved: the bundle is not signed" in refused.output
