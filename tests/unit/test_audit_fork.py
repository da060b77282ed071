"""A decision log belongs to the process that opened it. A process forked from it (a web
server's preloading master, a process pool started by fork) has no writer: its decisions
are refused, never left unlogged, and the opener's log stays whole."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, read_entries, verify_log

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")


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
