"""Replay says which entries were decided with other calendar data or another finpolicy than
the replay's: the bundle digest pins the policies, not these, so a deadline that differs may
come from the holidays data and not from the policy or the log."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
import finpolicy.calendars
from finpolicy.audit import AuditKeys, DecisionLog, calls, read_entries, replay_log
from finpolicy.calendars import calendar_data_version
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

SH = dt.timezone(dt.timedelta(hours=8))
COMPLAINT = fp.Complaint(id="cmp-1", received_at=dt.datetime(2026, 2, 10, 9, 30, tzinfo=SH),
                         channel="phone", category="service", events=[])


def test_entries_decided_with_other_calendar_data_or_finpolicy_are_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", root)
    keys = AuditKeys.generate()
    where = tmp_path / "log.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(root), log=log)
        engine.complaint_sla(COMPLAINT, as_of=dt.datetime(2026, 3, 1, tzinfo=SH))
        log.flush()
        with monkeypatch.context() as patched:  # a log written before an upgrade
            patched.setattr(calls, "_ENVIRONMENTS", {})
            patched.setattr(finpolicy.calendars, "calendar_data_version",
                            lambda: "holidays 0.100")
            patched.setattr(fp, "__version__", "0.0.9")
            for day in (2, 3):
                engine.complaint_sla(COMPLAINT, as_of=dt.datetime(2026, 3, day, tzinfo=SH))
            log.flush()  # (the writer makes the entries' env)
    report = replay_log(where, keys)
    assert report.reproduced  # (the calendar data is the same: only its name was changed)
    now = calendar_data_version()
    first, last = [entry.seq for entry in read_entries(where)][1:]
    assert report.warnings == (
        f"2 entries ({first}–{last}) were decided with holidays 0.100, replayed with {now}: "
        "working days, and so deadlines, may differ (0 of them did not reproduce)",
        f"2 entries ({first}–{last}) were decided with finpolicy 0.0.9, replayed with finpolicy "
        f"{fp.__version__}: a decision may differ by finpolicy itself (0 of them did not "
        "reproduce)")
    folder = tmp_path / "keys"
    keys.save(folder)
    result = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys", str(folder)])
    assert result.exit_code == 0
    assert f"warning: 2 entries ({first}–{last}) were decided with holidays 0.100" in \
        result.output
    shown = CliRunner().invoke(main, ["audit", "replay", str(where), "--keys", str(folder),
                                      "--json"])
    assert json.loads(shown.output)["warnings"] == list(report.warnings)
