"""The decision log masks an entry by the classification policy in force when it was written,
on that instant's day in the policy's time zone, as ``classify`` takes it: an entry written at
04:00 on 1 January in Beijing (20:00 UTC the day before) is masked by the version that starts
that day, so a value that version makes core is logged, and kept, as core."""

from __future__ import annotations

import datetime as dt
import time
import types
from pathlib import Path

import pytest

import finpolicy as fp
from tests.helpers.packversions import with_classification_from_2027

pytest.importorskip("cryptography")

from finpolicy.audit import AuditKeys, DecisionLog
from finpolicy.audit import log as log_module
from finpolicy.audit.replay import read_entries

NAME = "loyalty_code"
NEW_YEAR_UTC = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)  # 2027-01-01 04:00 in Beijing
EVE_UTC = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)  # 2026-12-31 23:00 in Beijing


def _logged_level(tmp_path: Path, written: dt.datetime,
                  monkeypatch: pytest.MonkeyPatch) -> str:
    root = with_classification_from_2027(fp.load_bundle(), tmp_path / "pack", core_name=NAME)
    # the log's clock says ``written`` (its other clocks run as they do)
    monkeypatch.setattr(log_module, "time", types.SimpleNamespace(
        time=lambda: written.timestamp(), monotonic=time.monotonic))
    with DecisionLog(tmp_path / "log", keys=AuditKeys.generate()) as log:
        engine = fp.PolicyEngine(fp.load_bundle(root), log=log)
        engine.classify_record({NAME: "LC-778899"}, as_of=dt.date(2027, 1, 1))
    monkeypatch.undo()
    (entry,) = read_entries(tmp_path / "log")
    assert "LC-778899" not in str(entry.input)
    return str(entry.masked[f"record.{NAME}"][0])


def test_an_entry_written_on_a_version_s_first_day_in_beijing_is_masked_by_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It was masked by the version in force on the UTC date, which called the value
    ordinary (and kept the entry for an ordinary value's time)."""
    assert _logged_level(tmp_path, NEW_YEAR_UTC, monkeypatch) == "core"


def test_an_entry_written_on_the_eve_in_beijing_is_masked_by_the_old_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _logged_level(tmp_path, EVE_UTC, monkeypatch) == "ordinary"
