"""The decision log: every sink records, verifies and replays; inputs are masked; the queue
and writer never lose a decision silently; a crashed writer's log verifies and continues."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.audit import (
    AuditError,
    AuditKeys,
    DecisionLog,
    LogFullError,
    SqliteSink,
    read_entries,
    replay_log,
    retention,
    verify_log,
)
from finpolicy.audit import log as audit_log
from finpolicy.audit.sinks import Row
from tests.helpers.audit import SINKS, Workload, drop, head, rows, target, write_copy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys() -> AuditKeys:
    return AuditKeys.generate()


@pytest.fixture(params=SINKS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def where(kind: str, tmp_path: Path) -> Iterator[str]:
    place = target(kind, tmp_path)
    yield place
    drop(kind, place)


def write(where: str, keys: AuditKeys, n: int, **options: object) -> Workload:
    work = Workload()
    with DecisionLog(where, keys=keys, **options) as log:  # type: ignore[arg-type]
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for call in work.calls(n):
            call(engine)
    return work


def stored_bytes(kind: str, where: str) -> bytes:
    if kind == "jsonl":
        return b"".join(p.read_bytes() for p in sorted(Path(where).iterdir()))
    if kind == "sqlite":
        return b"".join(Path(where + s).read_bytes() for s in ("", "-wal")
                        if Path(where + s).exists())
    return b"\n".join(body for _, _, body in rows(kind, where)) + (head(kind, where) or b"")


def test_every_sink_records_verifies_and_replays(kind: str, where: str,
                                                 keys: AuditKeys) -> None:
    write(where, keys, 400, checkpoint_every=50)
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 400
    assert report.checkpoints >= 400 // 50
    assert report.signed_through == report.last  # closed: the last record is a checkpoint
    assert report.warnings == ()
    domains = {e.domain for e in read_entries(where)}
    assert domains == {"classification", "access", "suitability", "complaints"}
    replay = replay_log(where, keys)
    assert replay.reproduced, replay.mismatches[:3]
    assert replay.entries == 400


def test_no_identifier_is_stored_in_clear(kind: str, where: str, keys: AuditKeys) -> None:
    work = write(where, keys, 200)
    data = stored_bytes(kind, where)
    assert len(work.secrets) > 100
    leaked = sorted(s for s in work.secrets if s.encode() in data)
    assert leaked == []
    # the masked forms are there, so a reader sees what kind of value it was
    entry = next(e for e in read_entries(where) if e.method == "classify_record")
    assert entry.masked["record.id_number"][0] == "core"
    assert entry.input["record"]["id_number"].startswith(entry.input["record"]["id_number"][:3])
    assert "*" in entry.input["record"]["card_number"]


def test_a_decision_echoing_a_masked_value_is_masked_too(tmp_path: Path,
                                                         keys: AuditKeys) -> None:
    where = str(tmp_path / "log")
    rid = "11010519491231002X"
    with DecisionLog(where, keys=keys) as log:
        fp.PolicyEngine(log=log).check_suitability(
            fp.Customer(id=rid, risk_level="C3", assessment_date=dt.date(2026, 1, 5)),
            fp.Product(id="p1", kind="fund", risk_level="R2"), as_of=dt.date(2026, 3, 2))
    entry = next(read_entries(where))
    assert rid not in json.dumps(entry.decisions, ensure_ascii=False)
    assert entry.masked["customer.id"][0] == "core"
    assert entry.masked["customer.risk_level"][0] == "important"  # encrypted at rest
    assert entry.unseal(keys)[0]["customer"]["id"] == rid
    assert entry.masked["customer.id"][1] == keys.keyed_hash(rid)


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for a 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def test_an_access_entry_is_kept_for_the_retention_of_the_level_it_would_reach(
        tmp_path: Path, keys: AuditKeys) -> None:
    """An access decision about core data is kept five years, important three, ordinary one
    (docs/guides/access.rst): it holds no core value itself, so it was kept one year."""
    at = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    where = tmp_path / "log"
    levels = ("core", "important", "ordinary")
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        for level in levels:
            request = {"subject": {"id": "u-1", "roles": ["teller"], "department": "retail",
                                   "branch": "BJ01"}, "action": "read",
                       "purpose": "account_service", "as_of": at.isoformat(),
                       "resource": {"type": "customer_record", "data_level": level,
                                    "category": "basic_identity", "department": "retail",
                                    "branch": "BJ01"}}
            engine.authorize(fp.AccessRequest.parse(request))
            engine.call("authorize", {"request": request})  # as the HTTP service calls
    entries = list(read_entries(where))
    written = entries[0].day
    kept = [dt.date.fromisoformat(_retain_until(where, e.seq)) for e in entries]
    assert kept == [_years_after(written, years) for years in (5, 5, 3, 3, 1, 1)]


def _retain_until(where: Path, seq: int) -> str:
    for line in (where / "000001.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)["record"]
        if record["seq"] == seq:
            return str(record["retain_until"])
    raise AssertionError(seq)


def test_entries_carry_context_env_and_retention(tmp_path: Path, keys: AuditKeys) -> None:
    where = str(tmp_path / "log")
    with DecisionLog(where, keys=keys, application="branch-app") as log:
        engine = fp.PolicyEngine(log=log)
        with log.context(request_id="r-42", user="u-7"):
            engine.classify(fp.DataField(name="id_number", sample_values=["11010519491231002X"]),
                            as_of=dt.date(2026, 3, 2))
        engine.classify(fp.DataField(name="remark", sample_values=["call back"]),
                        as_of=dt.date(2026, 3, 2))
    first, second = read_entries(where)
    assert first.context == {"application": "branch-app", "request_id": "r-42", "user": "u-7"}
    assert second.context == {"application": "branch-app"}
    assert first.env["bundle"]["digest"] == fp.load_bundle().digest
    assert first.env["calendar"].startswith("holidays ")
    assert first.env["engine"] == "compiled" and first.env["finpolicy"] == fp.__version__
    lines = (Path(where) / "000001.jsonl").read_text("utf-8").splitlines()
    raw = [json.loads(line)["record"] for line in lines]
    decisions = [r for r in raw if r["type"] == "decision"]
    written = dt.date.fromisoformat(decisions[0]["at"][:10])
    # an ID number is core, its audit trail kept five years; a remark is ordinary: one year
    assert decisions[0]["retain_until"] == _years_after(written, 5).isoformat()
    assert decisions[1]["retain_until"] == _years_after(written, 1).isoformat()


def test_a_caller_context_that_is_no_json_or_holds_an_identifier_is_refused_where_given(
        tmp_path: Path, keys: AuditKeys) -> None:
    """It stopped the writer, and with it every later decision of the application."""
    where = str(tmp_path / "log")
    field = fp.DataField(name="remark", sample_values=["call back"])
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        with pytest.raises(AuditError, match=r"caller context `user`: expected JSON data .* "
                                             r"got object"), log.context(user=object()):
            pass
        with pytest.raises(AuditError, match=r"caller context: a field's name must be text"):
            log.record(engine.runtime, "classify", {"field": field},
                       fp.PolicyEngine().classify(field), context={1: "x"})
        # kept in clear: a customer's identifiers are refused (staff e-mail addresses are not)
        with pytest.raises(AuditError, match=r"caller context `customer`: holds a resident ID "
                                             r"number; the context is kept in clear"), \
                log.context(customer={"ids": [" 11010519491231002X "]}):
            pass
        with pytest.raises(AuditError, match=r"`card`: holds a bank card number"):
            log.record(engine.runtime, "classify", {"field": field},
                       fp.PolicyEngine().classify(field), context={"card": 6212264177763177})
        for note in ({"note": "customer 11010519491231002X called"},  # in words, or a key
                     {"by_customer": {"11010519491231002X": "called"}}):
            with pytest.raises(AuditError, match=r"holds a resident ID number"), \
                    log.context(**note):
                pass
        roles = ["teller"]
        with log.context(request_id="r-1", at=dt.datetime(2026, 3, 2, 9, 30), roles=roles,
                         user="zhang.wei@bank.example"):
            engine.classify(field)
            roles.append("manager")  # after the decision: the log keeps what was given
        engine.classify(field)
    entries = list(read_entries(where))
    assert [e.context for e in entries] == [
        {"request_id": "r-1", "at": "2026-03-02T09:30:00", "roles": ["teller"],
         "user": "zhang.wei@bank.example"}, None]


def test_whole_tables_are_refused_on_a_logged_engine_not_left_out_of_its_log(
        tmp_path: Path, keys: AuditKeys) -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"id": ["c1"], "risk_level": ["C3"],
                      "assessment_date": [dt.date(2026, 1, 5)]})
    offer = [fp.Product(id="p1", kind="fund", risk_level="R2")]
    where = str(tmp_path / "log")
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        for method in (engine.evaluate_table, engine.iter_tables):
            with pytest.raises(AuditError, match=f"`{method.__name__}` decides a whole table "
                                                 "at once.* an engine that has no log"):
                method("suitability", table, as_of=dt.date(2026, 3, 2), products=offer)
    assert list(read_entries(where)) == []
    decided = fp.PolicyEngine().evaluate_table("suitability", table, as_of=dt.date(2026, 3, 2),
                                               products=offer)
    assert decided.num_rows == 1


def test_an_unlogged_engine_and_mask_log_nothing(tmp_path: Path, keys: AuditKeys) -> None:
    where = str(tmp_path / "log")
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(log=log)
        engine.mask("13812345678", field="mobile")
        fp.PolicyEngine().classify(fp.DataField(name="id_number"))
    assert list(read_entries(where)) == []


class _Stuck(SqliteSink):
    """A sink whose writes wait for a signal (or fail), to fill the queue."""

    def __init__(self, path: Path, fail: bool = False) -> None:
        super().__init__(path)
        self.go = threading.Event()
        self.fail = fail
        self.calls = 0

    def write(self, rows: Sequence[Row], *, sync: bool) -> None:
        self.calls += 1
        if self.calls > 1:  # the first write is the log's own opening
            if self.fail:
                raise OSError(28, "No space left on device")
            self.go.wait()
        super().write(rows, sync=sync)


def test_a_full_queue_refuses_the_decision_never_drops_it(tmp_path: Path,
                                                           keys: AuditKeys) -> None:
    sink = _Stuck(tmp_path / "log.db")
    log = DecisionLog(sink, keys=keys, queue_size=2, batch_size=1, block_timeout=0.2)
    engine = fp.PolicyEngine(log=log)
    field = fp.DataField(name="remark")
    made = 0
    with pytest.raises(LogFullError, match="stayed full for 0.2 s"):
        for _ in range(10):
            engine.classify(field)
            made += 1
    sink.go.set()
    log.close()
    assert sum(1 for _ in read_entries(tmp_path / "log.db")) == made


def test_fail_policy_refuses_at_once(tmp_path: Path, keys: AuditKeys) -> None:
    sink = _Stuck(tmp_path / "log.db")
    log = DecisionLog(sink, keys=keys, queue_size=1, batch_size=1, on_full="fail")
    engine = fp.PolicyEngine(log=log)
    with pytest.raises(LogFullError, match="queue is full"):
        for _ in range(5):
            engine.classify(fp.DataField(name="remark"))
    sink.go.set()
    log.close()


def test_a_decision_waiting_for_room_when_the_log_closes_is_refused(tmp_path: Path,
                                                                     keys: AuditKeys) -> None:
    """It was queued after the writer had emptied the queue and stopped: never written, yet
    the caller had its decision."""
    sink = _Stuck(tmp_path / "log.db")
    log = DecisionLog(sink, keys=keys, queue_size=1, batch_size=1, batch_wait=0.0,
                      block_timeout=30)
    engine = fp.PolicyEngine(log=log)
    field = fp.DataField(name="remark")
    engine.classify(field)  # the writer takes it and waits on the stuck store
    while sink.calls < 2:
        time.sleep(0.001)
    engine.classify(field)  # fills the queue
    outcome: list[object] = []

    def waiting() -> None:
        try:
            outcome.append(engine.classify(field))
        except AuditError as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=waiting)
    waiter.start()
    time.sleep(0.1)  # it waits for room
    closing = threading.Thread(target=log.close)
    closing.start()
    while not log._closing:  # close() has begun: it waits for the writer
        time.sleep(0.001)
    sink.go.set()
    closing.join()
    waiter.join()
    written = verify_log(tmp_path / "log.db", public_key=keys.public_key).decisions
    assert written == 2 + sum(1 for o in outcome if not isinstance(o, AuditError))
    assert isinstance(outcome[0], AuditError) and "closed" in str(outcome[0])


def test_a_failed_writer_fails_every_later_decision(tmp_path: Path, keys: AuditKeys) -> None:
    log = DecisionLog(_Stuck(tmp_path / "log.db", fail=True), keys=keys)
    engine = fp.PolicyEngine(log=log)
    engine.classify(fp.DataField(name="remark"))
    with pytest.raises(AuditError, match="No space left on device"):
        log.flush(timeout=5)
    with pytest.raises(AuditError, match=r"writer failed .* 1 recorded call\(s\) were not "):
        engine.classify(fp.DataField(name="remark"))
    for _ in range(2):  # a second close says it again (a caller's cleanup closes twice)
        with pytest.raises(AuditError, match="No space left on device"):
            log.close()


def test_an_anchor_without_a_folder_and_a_folder_named_like_a_segment(
        tmp_path: Path, keys: AuditKeys) -> None:
    with pytest.raises(AuditError, match="anchor .*: no folder .* to keep it in"):
        DecisionLog(tmp_path / "log", keys=keys, anchor=tmp_path / "nowhere" / "anchor")
    assert not (tmp_path / "log").exists()
    write(str(tmp_path / "log"), keys, 3)
    (tmp_path / "log" / "000002.jsonl").mkdir()  # not a segment: verify reads past it
    report = verify_log(tmp_path / "log", public_key=keys.public_key)
    assert report.ok and report.decisions == 3


@pytest.mark.parametrize("setting, value", [
    ("queue_size", 0), ("batch_size", 0), ("checkpoint_every", 0), ("segment_records", 1),
    ("batch_wait", -1.0), ("block_timeout", float("nan"))])
def test_settings_out_of_range_are_refused_not_changed(tmp_path: Path, keys: AuditKeys,
                                                       setting: str, value: Any) -> None:
    with pytest.raises(AuditError, match=f"{setting} must be at least"):
        DecisionLog(tmp_path / "log", keys=keys, **{setting: value})
    assert not (tmp_path / "log").exists()  # nothing was created


def test_waiting_for_written_entries_forces_no_checkpoint_and_no_batch_wait(
        tmp_path: Path, keys: AuditKeys) -> None:
    """What the service waits for before answering: the entries in the store (readable, in
    the chain) without a checkpoint each time, and without the writer lingering for a
    fuller batch (here a minute)."""
    log = DecisionLog(tmp_path / "log.db", keys=keys, batch_wait=60.0)
    engine = fp.PolicyEngine(log=log)
    started = time.monotonic()
    for number in range(5):
        engine.classify(fp.DataField(name="remark", sample_values=[f"call back {number}"]))
        log.wait_written(timeout=30)
        assert len(list(read_entries(tmp_path / "log.db"))) == number + 1
    assert time.monotonic() - started < 30
    log.close()
    report = verify_log(tmp_path / "log.db", public_key=keys.public_key)
    assert report.ok and report.decisions == 5
    assert report.checkpoints == 2  # the first (the log opened) and close's: none per wait
    failing = DecisionLog(_Stuck(tmp_path / "failing.db", fail=True), keys=keys)
    fp.PolicyEngine(log=failing).classify(fp.DataField(name="remark"))
    with pytest.raises(AuditError, match="No space left on device"):
        failing.wait_written(timeout=5)


def test_a_reopened_log_continues_the_chain(kind: str, where: str, keys: AuditKeys) -> None:
    write(where, keys, 20)
    write(where, keys, 20)
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 40
    types = [json.loads(body)["type"] for _, _, body in rows(kind, where)]
    assert types.count("open") == 1 and types.count("resume") == 1


def test_a_log_is_continued_only_with_its_own_keys(kind: str, where: str,
                                                   keys: AuditKeys) -> None:
    """Checkpoints signed by another key would read as forged, and values sealed under
    another secret could not be found or replayed: reopening with other keys is refused."""
    write(where, keys, 5)
    other = AuditKeys.generate()
    refused = {
        "signing key": AuditKeys(other.public_key, other.signing_key, keys.sealing_secret),
        "sealing secret": AuditKeys(keys.public_key, keys.signing_key, other.sealing_secret),
        "signing key .*; its sealing secret": other}
    for named, wrong in refused.items():
        with pytest.raises(AuditError, match=f"cannot continue this log with other keys "
                                             f"\\(its {named} is "):
            DecisionLog(where, keys=wrong)
    write(where, keys, 5)  # nothing was written meanwhile, and the log is free again
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 10
    opened = next(json.loads(body) for _, _, body in rows(kind, where))
    assert opened["type"] == "open" and opened["sealing"] == keys.secret_id


def test_a_torn_last_line_is_ignored_then_cut_on_reopen(tmp_path: Path,
                                                         keys: AuditKeys) -> None:
    where = str(tmp_path / "log")
    write(where, keys, 10)
    segment = Path(where) / "000001.jsonl"
    with segment.open("ab") as fh:
        fh.write(b'{"hash":"abc","record":{"seq":')
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok and "incomplete last record" in report.warnings[0]
    write(where, keys, 5)
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok and report.decisions == 15
    resume = [json.loads(line)["record"] for line in segment.read_text("utf-8").splitlines()
              if '"type":"resume"' in line]
    assert resume[0]["discarded_bytes"] == len(b'{"hash":"abc","record":{"seq":')


def clock_at(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """Today (UTC) is ``day`` for retention: entries are kept for years."""
    monkeypatch.setattr(retention, "today_utc", lambda: day)


def test_rotation_and_retention_keep_the_log_verifiable(tmp_path: Path, keys: AuditKeys,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clock_at(monkeypatch, _years_after(dt.date.today(), 5) + dt.timedelta(days=1))
    where = str(tmp_path / "log")
    log = DecisionLog(where, keys=keys, segment_records=30)
    engine = fp.PolicyEngine(log=log)
    for call in Workload().calls(100):
        call(engine)
    log.flush()
    segments = sorted(p.name for p in Path(where).glob("*.jsonl"))
    assert len(segments) >= 4
    assert log.prune(dt.date.today() + dt.timedelta(days=300)) == []  # core data: five years
    gone = log.prune()
    log.close()
    assert gone == list(range(1, len(segments)))  # all but the live segment
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.first > 1
    # (the clock was moved for the test: verify sees a prune dated after it was done)
    assert any("before their retention ended" in w for w in report.warnings)


def test_pruning_early_is_refused(tmp_path: Path, keys: AuditKeys) -> None:
    """Retention is counted from today: a later day would delete entries before their
    retention ends (a bank's audit trail, gone early and quietly)."""
    log = DecisionLog(tmp_path / "log", keys=keys, segment_records=10)
    engine = fp.PolicyEngine(log=log)
    for call in Workload().calls(40):
        call(engine)
    later = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    with pytest.raises(AuditError, match=f"cannot prune as of {later}, after today"):
        log.prune(later)
    assert log.prune() == []
    log.close()
    report = verify_log(tmp_path / "log", public_key=keys.public_key)
    assert report.ok and report.first == 1 and report.decisions == 40


@pytest.mark.parametrize("store, refusal", [
    ("log", OSError(13, "Permission denied")),
    ("log.db", sqlite3.OperationalError("attempt to write a readonly database"))])
@pytest.mark.parametrize("partly", [False, True])
def test_a_store_that_refuses_to_delete_stops_no_decision(
        tmp_path: Path, keys: AuditKeys, monkeypatch: pytest.MonkeyPatch, store: str,
        refusal: Exception, partly: bool) -> None:
    """A role without the right to delete (the least-privilege grants of the docs): the
    prune fails, saying so; the log goes on deciding, and records any segment that did go.
    (A failed prune used to stop the writer: every later decision was refused.)"""
    clock_at(monkeypatch, _years_after(dt.date.today(), 5) + dt.timedelta(days=1))
    log = DecisionLog(tmp_path / store, keys=keys, segment_records=10)
    engine = fp.PolicyEngine(log=log)
    calls = Workload().calls(10**6)
    for _ in range(50):
        next(calls)(engine)
    log.flush()
    drop = log.sink.drop

    def refuse(segments: list[int]) -> None:
        if partly:
            drop(segments[:1])
        raise refusal

    monkeypatch.setattr(log.sink, "drop", refuse)
    went = "stopped after segment 1" if partly else "deleted nothing"
    with pytest.raises(AuditError, match=f"pruning {went}: the store refused .*goes on"):
        log.prune()
    for _ in range(20):
        next(calls)(engine)
    log.close()
    assert log.failure is None
    report = verify_log(tmp_path / store, public_key=keys.public_key)
    assert report.ok, report.problem  # what went is accounted for by a `pruned` record
    assert (report.first > 1) == partly


def test_pruning_while_decisions_are_made_keeps_the_writer_and_the_chain(
        kind: str, where: str, keys: AuditKeys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A service prunes while it decides: done by the calling thread, pruning raced the writer
    for the chain and the store (HEAD written twice at once, a transaction inside another),
    and the failed writer then refused every later decision."""
    later = _years_after(dt.date.today(), 5) + dt.timedelta(days=1)
    clock_at(monkeypatch, later)
    log = DecisionLog(where, keys=keys, segment_records=15, batch_size=3, batch_wait=0.0,
                      queue_size=200)
    engine = fp.PolicyEngine(log=log)
    calls = Workload(seed=2).calls(10**9)
    for _ in range(60):
        next(calls)(engine)
    stop = threading.Event()

    def decide() -> None:
        while not stop.is_set():
            next(calls)(engine)
            time.sleep(0.0005)

    deciding = threading.Thread(target=decide)
    deciding.start()
    gone: list[int] = []
    try:
        for _ in range(25):
            gone += log.prune(later)
            time.sleep(0.005)
    finally:
        stop.set()
        deciding.join()
        log.close()
    assert len(gone) >= 4 and gone == sorted(set(gone))
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.first > 1


def test_deleting_old_segments_without_a_pruned_record_is_found(tmp_path: Path,
                                                                keys: AuditKeys) -> None:
    where = str(tmp_path / "log")
    write(where, keys, 100, segment_records=30)
    (Path(where) / "000001.jsonl").unlink()
    report = verify_log(where, public_key=keys.public_key)
    assert report.problem is not None and report.problem.kind == "missing"
    assert "no `pruned` record" in report.problem.message


def test_another_key_is_refused(kind: str, where: str, keys: AuditKeys) -> None:
    write(where, keys, 5)
    other = AuditKeys.generate()
    report = verify_log(where, public_key=other.public_key)
    assert report.problem is not None and report.problem.kind == "signature"
    assert other.key_id in report.problem.message
    unpinned = verify_log(where)
    assert unpinned.ok and "pin" in unpinned.warnings[-1]


def test_a_segment_under_another_key_breaks_the_log(tmp_path: Path, keys: AuditKeys,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A segment whose first record names another key breaks the chain of trust, pinned or
    not: the log cannot be carried on under another key."""
    where = str(tmp_path / "log")
    other = AuditKeys.generate()
    with DecisionLog(where, keys=keys, segment_records=10) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        calls = list(Workload().calls(30))
        for call in calls[:5]:
            call(engine)
        log.flush()
        named = {"key": other.key_id, "sealing": other.secret_id,  # in the next segment
                 "public_key": base64.b64encode(other.public_key.public_bytes_raw()).decode()}
        monkeypatch.setattr(audit_log, "key_fields", lambda keys: named)
        for call in calls[5:]:
            call(engine)
    for pin, said in ((None, f"earlier records name key {keys.key_id} (a log keeps one key)"),
                      (keys.public_key, f"the pinned key is {keys.key_id}")):
        problem = verify_log(where, public_key=pin).problem
        assert problem is not None and problem.kind == "signature", problem
        assert f"names key {other.key_id}, but " in problem.message and said in problem.message


_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import finpolicy as fp
    from finpolicy.audit import AuditKeys, DecisionLog
    from tests.helpers.audit import Workload
    keys = AuditKeys.load({keys!r})
    log = DecisionLog({where!r}, keys=keys, batch_size=7, checkpoint_every=25)
    engine = fp.PolicyEngine(log=log)
    for i, call in enumerate(Workload(seed=3).calls(10**9)):
        call(engine)
        if i == 200:
            log.flush()
            print("ready", flush=True)
""")


@pytest.mark.parametrize("sink", ["jsonl", "sqlite"])
def test_a_writer_killed_with_sigkill_leaves_a_log_that_verifies_and_continues(
        sink: str, tmp_path: Path, keys: AuditKeys) -> None:
    where = target(sink, tmp_path)
    keys.save(tmp_path / "keys")
    script = _WRITER.format(root=str(ROOT), keys=str(tmp_path / "keys"), where=where)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(0.3)  # let it write on, mid-batch
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions > 200
    write(where, keys, 10)
    after = verify_log(where, public_key=keys.public_key)
    assert after.ok, after.problem
    assert after.decisions == report.decisions + 10
    assert after.signed_through == after.last


_FORGETFUL = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import finpolicy as fp
    from finpolicy.audit import AuditKeys, DecisionLog
    from tests.helpers.audit import Workload
    log = DecisionLog({where!r}, keys=AuditKeys.load({keys!r}), batch_wait=1.0)
    engine = fp.PolicyEngine(log=log)
    for call in Workload(seed=5).calls(3000):
        call(engine)
    {end}
""")


@pytest.mark.parametrize("end", ["pass", "raise SystemExit(4)", "raise RuntimeError('boom')"])
def test_a_program_that_ends_without_closing_its_log_loses_no_decision(
        end: str, tmp_path: Path, keys: AuditKeys) -> None:
    """The writer is a daemon thread: without the log closed at exit, the decisions still
    queued (most of them here) died with it, though the program had them."""
    where = str(tmp_path / "log")
    keys.save(tmp_path / "keys")
    script = _FORGETFUL.format(root=str(ROOT), keys=str(tmp_path / "keys"), where=where,
                               end=end)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode != 0 if end != "pass" else done.returncode == 0, done.stderr
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 3000
    assert report.signed_through == report.last and report.warnings == ()


@pytest.mark.slow
def test_a_hundred_thousand_decisions_per_sink_verify_and_replay(
        kind: str, where: str, keys: AuditKeys) -> None:
    # volume, not the full-queue policy: a busy machine may starve the writer for a while
    write(where, keys, 100_000, block_timeout=600)
    report = verify_log(where, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 100_000
    replay = replay_log(where, keys)
    assert replay.reproduced, replay.mismatches[:3]
    assert replay.decisions >= 100_000


def test_write_copy_round_trips(kind: str, where: str, keys: AuditKeys,
                                tmp_path: Path) -> None:
    write(where, keys, 12)
    copy = write_copy(kind, where, rows(kind, where), head(kind, where), tmp_path)
    try:
        assert verify_log(copy, public_key=keys.public_key).ok
    finally:
        drop(kind, copy)


def test_logged_decisions_are_exactly_their_to_dict() -> None:
    from finpolicy.audit.encode import decision_json

    made: list[object] = []

    class Keep:
        def record(self, engine: object, method: str, inputs: object, result: object) -> None:
            made.append(result)

    engine = fp.PolicyEngine()
    engine.log = Keep()  # type: ignore[assignment]
    for call in Workload(seed=11).calls(200):
        call(engine)
    engine.suitable_products(fp.Customer(id="c", risk_level="C3"),
                             [fp.Product(id="p", kind="fund", risk_level="R2")],
                             as_of=dt.date(2026, 3, 1))
    decisions = [d for r in made for d in (r if isinstance(r, list) else
                                            getattr(r, "fields", {}).values() or [r])]
    assert len(decisions) > 200
    for d in decisions:
        assert json.loads(decision_json(d)) == json.loads(json.dumps(d.to_dict(), default=str))


def test_an_anchor_receives_every_checkpoint(tmp_path: Path, keys: AuditKeys) -> None:
    where, anchor = tmp_path / "log", tmp_path / "elsewhere" / "anchor"
    anchor.parent.mkdir()
    write(str(where), keys, 30, anchor=anchor, checkpoint_every=10)
    assert anchor.read_bytes() == (where / "HEAD").read_bytes()
    assert verify_log(where, public_key=keys.public_key, anchor=anchor).ok
