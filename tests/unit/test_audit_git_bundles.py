"""A decision made by a pack loaded from a git revision (``fp.load_bundle("git:REV:PATH")``)
replays: its entries recorded the temporary folder the revision was extracted to, gone when
the process ended, so ``finpolicy audit replay`` said the bundle "does not exist; pass it with
--with". An entry now names such a pack by its commit and the pack's path in the clone
(``git:COMMIT:/abs/path``), which replay extracts again from anywhere, after the branch has
moved on."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, read_entries, replay_log
from finpolicy.documents.bundle import shipped_packs

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def _commit(repo: Path, message: str) -> str:
    subprocess.run([*GIT, "add", "."], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_an_entry_decided_by_a_git_revision_replays_from_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    pack = repo / "policies" / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    released = _commit(repo, "release")
    monkeypatch.chdir(repo)
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle("git:HEAD:policies/pack"), log=log)
        engine.check_suitability(
            fp.Customer(id="C-1", risk_level="C3", assessment_date=dt.date(2026, 1, 5),
                        birth_date=dt.date(1955, 3, 4)),
            fp.Product(id="P-1", kind="fund", risk_level="R4"), as_of=dt.date(2026, 3, 2))
    shutil.rmtree(engine.bundle.root)  # as at the end of the process that decided
    [entry] = list(read_entries(where))
    assert entry.env["bundle"]["root"] == f"git:{released}:{os.path.realpath(pack)}"
    # the branch moves on (the elderly age changed in the working tree and committed)
    policy = pack / "suitability-2026.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("ge: 65", "ge: 60"),
                      encoding="utf-8")
    _commit(repo, "a later change")
    elsewhere = tmp_path / "auditor"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no repository here: the entry names the clone's path
    report = replay_log(where, keys)
    assert report.reproduced and report.entries == 1, report.mismatches
