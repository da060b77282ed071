"""The audit API refuses arguments of the wrong kind with an AuditError naming them, and takes
days as an application has them: find_entries(domain='suitabilty') found nothing, silently
(an auditor would report that no such decision was made); since='2026-01-01', a datetime,
keys given as the key folder's path, a log or anchor given as a number and a setting given
as text escaped as TypeError or AttributeError."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.audit import (
    AuditError,
    AuditKeys,
    DecisionLog,
    find_entries,
    replay_log,
    verify_log,
)

Logged = tuple[Path, AuditKeys]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    keys = AuditKeys.generate()
    where = tmp_path_factory.mktemp("log") / "audit.db"
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        with log.context(user="clerk-42"):
            engine.classify(fp.DataField(name="remark"), as_of=dt.date(2026, 3, 2))
    return where, keys


def test_days_are_taken_as_a_date_an_aware_datetime_or_iso_text(logged: Logged) -> None:
    where, keys = logged
    today = dt.datetime.now(dt.UTC)
    for since, until in ((today.date(), today.date()), (today.date().isoformat(), None),
                         (None, today + dt.timedelta(days=1))):
        assert len(list(find_entries(where, keys, ["clerk-42"], since=since,
                                     until=until))) == 1
    assert list(find_entries(where, keys, ["clerk-42"],
                             since=(today + dt.timedelta(days=1)).date().isoformat())) == []


CALLS: dict[str, tuple[Callable[[Path, AuditKeys], Any], str]] = {
    "a misspelt domain": (lambda w, k: list(find_entries(w, k, ["clerk-42"],
                                                         domain="suitabilty")),
                          r"domain: `suitabilty` is no domain; expected one of .*suitability"),
    "since as no day": (lambda w, k: list(find_entries(w, k, ["clerk-42"], since="March")),
                        "since must be a date"),
    "until as a naive datetime": (lambda w, k: list(find_entries(
        w, k, ["clerk-42"], until=dt.datetime(2027, 1, 1))), "until must be a date"),
    "find with a key folder": (lambda w, k: list(find_entries(w, str(w), ["clerk-42"])),
                               r"keys: expected AuditKeys \(AuditKeys.load\(folder\)\)"),
    "replay with a key folder": (lambda w, k: replay_log(w, str(w)),
                                 r"keys: expected AuditKeys"),
    "a log with a key folder": (lambda w, k: DecisionLog(w.parent / "new", keys=str(w)),
                                r"keys: expected AuditKeys"),
    "a setting as text": (lambda w, k: DecisionLog(w.parent / "new", keys=k, batch_wait="1"),
                          "batch_wait must be at least 0, got '1'"),
    "a log as a number": (lambda w, k: verify_log(5), "a decision log is a folder"),
    "an anchor as a number": (lambda w, k: verify_log(w, anchor=5),
                              "anchor: expected a file's path, got int"),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_arguments_of_the_wrong_kind_are_refused_by_name(case: str, logged: Logged) -> None:
    call, message = CALLS[case]
    where, keys = logged
    with pytest.raises(AuditError, match=message):
        call(where, keys)
    assert not (where.parent / "new").exists()
