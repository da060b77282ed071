"""``DecisionLog.prune(today)`` takes the day as a retention job has it — a date, an aware
datetime (its UTC day) or ISO text — and refuses anything else by name: a datetime, a text or
a number escaped as TypeError ('>' not supported between 'str' and 'date')."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, retention, verify_log

LATER = dt.date.today() + dt.timedelta(days=3 * 366)  # past an ordinary entry's year


def _log(where: Path, keys: AuditKeys) -> DecisionLog:
    log = DecisionLog(where, keys=keys, segment_records=10)
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    for _ in range(25):
        engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
    log.flush()
    return log


@pytest.mark.parametrize("today", [
    LATER, LATER.isoformat(),
    dt.datetime.combine(LATER, dt.time(23, 30), dt.timezone(dt.timedelta(hours=-5))
                        ) - dt.timedelta(days=1),  # the UTC day is LATER
])
def test_prune_takes_a_date_an_aware_datetime_or_iso_text(
        today: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "today_utc", lambda: LATER)
    keys = AuditKeys.generate()
    log = _log(tmp_path / "log", keys)
    gone = log.prune(today)
    log.close()
    assert gone and gone[0] == 1
    assert verify_log(tmp_path / "log", public_key=keys.public_key).ok


@pytest.mark.parametrize("today, expected", [
    ("1st of May", "prune: today must be a date"),
    (dt.datetime(2026, 1, 1), "prune: today must be a date, a datetime with a time zone"),
    (20260101, "got int 20260101"),
    ((dt.date.today() + dt.timedelta(days=2)).isoformat(), "after today"),
])
def test_prune_refuses_what_is_no_day_by_name(today: Any, expected: str,
                                             tmp_path: Path) -> None:
    log = _log(tmp_path / "log", AuditKeys.generate())
    try:
        with pytest.raises(AuditError, match=expected):
            log.prune(today)
        assert log.prune() == []  # the log goes on
    finally:
        log.close()
