"""A decision log belongs to the process that opened it, and a store to one log. A process
forked from the opener (a web server's preloading master, a process pool started by fork)
has no writer: its decisions are refused, never left unlogged, and the opener's log stays
whole. A second log opened on a store another log is writing to is refused at once: two logs
would interleave their hash chains."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, read_entries, verify_log
from tests.helpers.audit import SINKS, target

POSIX = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork and flock (POSIX)")


def _in_child(work: Any) -> dict[str, Any]:
    """Run ``work()`` in a forked child; return what it reported (a JSON-ready dict)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's clean-up
        try:
            os.close(read)
            try:
                out = work()
            except BaseException as exc:  # (reported to the parent)
                out = {"raised": type(exc).__name__, "message": str(exc)}
            os.write(write, json.dumps(out).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return json.loads(data)  # type: ignore[no-any-return]


@POSIX
def test_a_forked_child_is_refused_and_the_openers_log_stays_whole(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = tmp_path / "audit.db"
    log = DecisionLog(where, keys=keys)
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    engine.classify(fp.DataField(name="mobile"))
    log.flush()

    def child() -> dict[str, Any]:
        try:
            engine.classify(fp.DataField(name="id_number"))
        except AuditError as exc:
            refused = str(exc)
        else:
            refused = ""
        try:
            log.flush(timeout=5)
        except AuditError as exc:
            flush = str(exc)
        else:
            flush = ""
        log.close()  # does nothing here, and does not close the opener's store
        return {"refused": refused, "flush": flush}

    got = _in_child(child)
    assert f"opened in process {os.getpid()}" in got["refused"]
    assert "open a log in each process after the fork" in got["refused"]
    assert "forked" in got["flush"]
    engine.classify(fp.DataField(name="email"))  # the opener goes on logging
    log.close()
    assert [e.method for e in read_entries(where)] == ["classify", "classify"]
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 2


@POSIX
def test_a_log_opened_after_the_fork_logs_in_the_child(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    bundle = fp.load_bundle()

    def child() -> dict[str, Any]:
        where = tmp_path / f"audit-{os.getpid()}.db"
        with DecisionLog(where, keys=keys) as log:
            fp.PolicyEngine(bundle, log=log).classify(fp.DataField(name="id_number"))
        return {"where": str(where)}

    got = _in_child(child)
    report = verify_log(got["where"], public_key=keys.public_key)
    assert report.ok and report.decisions == 1


@POSIX
def test_a_second_log_reaching_the_store_another_way_is_refused(tmp_path: Path) -> None:
    """Through a symbolic link, the SQLite file had a lock file of another name: the second
    writer opened, and the first died on a duplicate entry number."""
    keys = AuditKeys.generate()
    with DecisionLog(tmp_path / "log.db", keys=keys):
        (tmp_path / "alias.db").symlink_to(tmp_path / "log.db")
        with pytest.raises(AuditError, match="already open for writing"):
            DecisionLog(tmp_path / "alias.db", keys=keys)
        (tmp_path / "dir").symlink_to(tmp_path, target_is_directory=True)
        with pytest.raises(AuditError, match="already open for writing"):
            DecisionLog(tmp_path / "dir" / "log.db", keys=keys)


def test_a_log_is_not_opened_where_it_cannot_be(tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    other = tmp_path / "app.db"  # another application's database: left as it was
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id TEXT)")
    with pytest.raises(AuditError, match="another application's database \\(tables "
                                         "customers\\)"):
        DecisionLog(other, keys=keys)
    with sqlite3.connect(other) as db:
        assert [n for (n,) in db.execute("SELECT name FROM sqlite_master")] == ["customers"]
    with pytest.raises(AuditError, match="no decision log store for `mysql://`"):
        DecisionLog("mysql://db/audit", keys=keys)  # made a folder `mysql:` and logged there
    script = tmp_path / "make_log.py"  # a file where the log's folder would be
    script.write_text("print()", encoding="utf-8")
    for where in (script, script / "sub"):
        with pytest.raises(AuditError, match="cannot write there"):
            DecisionLog(where, keys=keys)


@POSIX
@pytest.mark.parametrize("kind", SINKS)
def test_a_second_log_on_a_store_in_use_is_refused_at_once(kind: str, tmp_path: Path) -> None:
    keys = AuditKeys.generate()
    where = target(kind, tmp_path)
    first = DecisionLog(where, keys=keys)
    engine = fp.PolicyEngine(fp.load_bundle(), log=first)
    engine.classify(fp.DataField(name="mobile"))
    with pytest.raises(AuditError, match="already open for writing by another decision "
                                         "log") as refused:
        DecisionLog(where, keys=keys)
    assert "its own folder, SQLite file or PostgreSQL table" in str(refused.value)
    got = _in_child(lambda: _open_and_close(where, keys))  # nor in another process
    assert "already open for writing" in got.get("message", ""), got
    engine.classify(fp.DataField(name="email"))
    first.close()
    with DecisionLog(where, keys=keys) as again:  # free once the first is closed
        fp.PolicyEngine(fp.load_bundle(), log=again).classify(fp.DataField(name="name"))
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 3


def _open_and_close(where: str, keys: AuditKeys) -> dict[str, Any]:
    DecisionLog(where, keys=keys).close()
    return {"opened": True}
