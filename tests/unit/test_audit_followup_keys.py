"""A key folder holding the sealing secret alone (as a bank may hand an examiner) replays and
searches a log; verifying needs the public key and says so."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, find_entries, replay_log
from finpolicy.cli import main

ON = dt.date(2026, 3, 2)
ALICE = "610113196105075585"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, AuditKeys]:
    """A log, and a folder holding only its sealing secret."""
    root = tmp_path_factory.mktemp("secret-only")
    keys = AuditKeys.generate()
    bank = keys.save(root / "bank")
    examiner = root / "examiner"
    examiner.mkdir()
    shutil.copy(bank / "sealing-secret.b64", examiner / "sealing-secret.b64")
    where = str(root / "log")
    log = DecisionLog(where, keys=keys, application="branch-app")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    engine.check_suitability(
        fp.Customer(id=ALICE, risk_level="C3", assessment_date=ON - dt.timedelta(days=30),
                    birth_date=dt.date(1985, 6, 1), investable_assets=480_000.0),
        fp.Product(id="P-1", kind="wealth_management", risk_level="R2"), as_of=ON)
    log.close()
    return where, examiner, keys


def test_the_sealing_secret_alone_loads_and_replays_and_finds(
        case: tuple[str, Path, AuditKeys]) -> None:
    where, examiner, keys = case
    loaded = AuditKeys.load(examiner, need_sealing=True)
    assert loaded.secret_id == keys.secret_id and not loaded.has_public_key
    assert replay_log(where, loaded).reproduced
    [found] = find_entries(where, loaded, [ALICE])
    assert found.places[0].path == "input.customer.id"
    with pytest.raises(AuditError, match=r"no public key: .*needs the bank's public key "
                                         r"\(`public-key.pem`\)"):
        _ = loaded.key_id
    with pytest.raises(AuditError, match=r"public-key.pem: no public key \(verifying"):
        AuditKeys.load(examiner, need_public=True)


def test_cli_replays_and_finds_with_the_secret_alone_and_verify_names_the_public_key(
        case: tuple[str, Path, AuditKeys]) -> None:
    where, examiner, _ = case
    runner = CliRunner()
    replayed = runner.invoke(main, ["audit", "replay", where, "--keys", str(examiner)])
    assert replayed.exit_code == 0, replayed.output
    assert "every decision reproduced" in replayed.output
    found = runner.invoke(main, ["audit", "find", where, "--keys", str(examiner), "-v", ALICE,
                                 "--reveal"])
    assert found.exit_code == 0, found.output
    assert "1 entry holds" in found.output and f'"id":"{ALICE}"' in found.output
    verified = runner.invoke(main, ["audit", "verify", where, "--keys", str(examiner)])
    assert verified.exit_code == 1
    assert "public-key.pem: no public key (verifying a log's checkpoints needs the bank's " \
           "public key)" in verified.output
    assert "Traceback" not in verified.output


def test_a_folder_with_no_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="no key: expected public-key.pem, signing-key.pem "
                                         "or sealing-secret.b64"):
        AuditKeys.load(tmp_path)
    with pytest.raises(AuditError, match="no such key folder"):
        AuditKeys.load(tmp_path / "missing")
