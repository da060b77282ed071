"""Saving keys never overwrites another key: AuditKeys.save on a folder that held a log's keys
replaced its signing key and sealing secret without a word — the log's masked values could no
longer be found or replayed, for good (the secret is their only key), and the public key
auditors pinned changed. Saving the same keys again is harmless."""

from __future__ import annotations

from pathlib import Path

import pytest

from finpolicy.audit import AuditError, AuditKeys


def test_saving_other_keys_over_a_key_folder_is_refused_and_changes_nothing(
        tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    ours = AuditKeys.generate()
    ours.save(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert ours.save(folder) == folder  # the same keys again: nothing changes
    with pytest.raises(AuditError, match="public-key.pem holds another key: refusing to "
                                         "overwrite it"):
        AuditKeys.generate().save(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert AuditKeys.load(folder).secret_id == ours.secret_id


def test_the_public_part_saved_beside_its_own_keys_is_the_same_key(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    keys.save(tmp_path)
    keys.verifier().save(tmp_path)  # (writes the public key alone: the same one)
    with pytest.raises(AuditError, match="sealing-secret.b64 holds another key"):
        AuditKeys(keys.public_key, keys.signing_key, AuditKeys.generate().sealing_secret
                  ).save(tmp_path)
