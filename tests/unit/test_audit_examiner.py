"""What an examiner needs from ``finpolicy audit`` months later: a trusted key that cannot
be read is named as such (not blamed on a bundle), a backtest names every entry a change
would touch, replay with another sealing secret names both, a search by rule or by time
alone, and verification tells of a writer that reopened the log after a crash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, replay_log
from finpolicy.cli import main

ON = dt.date(2026, 3, 2)


def _keys(tmp_path: Path) -> tuple[AuditKeys, Path]:
    keys = AuditKeys.generate()
    folder = tmp_path / "keys"
    keys.save(folder)
    return keys, folder


def _log(where: Path, keys: AuditKeys, calls: int = 1) -> None:
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for _ in range(calls):
            engine.classify(fp.DataField(name="remark"), as_of=ON)


# --- --trusted-key -----------------------------------------------------------------------------

@pytest.mark.parametrize("calls", [0, 1])
def test_a_trusted_key_that_cannot_be_read_is_named_before_any_entry(
        calls: int, tmp_path: Path) -> None:
    """A mistyped --trusted-key was blamed on the first entry's bundle ('entry 3: the bundle
    that decided it … is not approved: nope.pem: cannot read the public key'), and in a log
    with no decision it passed unnoticed (exit 0): now it is refused by name at once."""
    keys, folder = _keys(tmp_path)
    where = tmp_path / "log.db"
    _log(where, keys, calls)
    for bad, says in ((tmp_path / "nope.pem", "cannot read the public key"),
                      (folder / "signing-key.pem", "not a PEM public key")):
        with pytest.raises(AuditError, match=rf"^a trusted key: .*{says}"):
            replay_log(where, keys, trusted_keys=[bad])
        result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys",
                                           str(folder), "--trusted-key", str(bad)])
        assert result.exit_code == 1, result.output
        assert "a trusted key: " in result.output and "entry" not in result.output
        assert "Traceback" not in result.output
    with pytest.raises(AuditError, match="trusted_keys is empty"):
        replay_log(where, keys, trusted_keys=[])
