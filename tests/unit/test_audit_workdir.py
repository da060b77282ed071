"""A log opened by a relative path stays where it was opened: an application that changes its
working folder afterwards (a daemon moving to /, a job entering its work folder) wrote the
JSON-lines log's later segments and HEAD, and the anchor of either sink, into a new folder
under the new working folder — the log it opened then ended early, and the rest was no log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, verify_log


@pytest.mark.parametrize("name", ["audit", "audit.db"])
def test_a_log_opened_by_a_relative_path_stays_there_after_a_chdir(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened, elsewhere = tmp_path / "app", tmp_path / "elsewhere"
    opened.mkdir()
    elsewhere.mkdir()
    keys = AuditKeys.generate()
    monkeypatch.chdir(opened)
    log = DecisionLog(name, keys=keys, segment_records=10, anchor="anchor")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
    log.flush()
    monkeypatch.chdir(elsewhere)
    for _ in range(30):  # past a rotation and a checkpoint
        engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
    log.close()
    assert list(elsewhere.iterdir()) == []
    report = verify_log(opened / name, public_key=keys.public_key, anchor=opened / "anchor")
    assert report.ok, report.problem
    assert report.decisions == 31
