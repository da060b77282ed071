"""Reading a decision log changes nothing: verify and replay create no table and no file,
work on a copy kept on read-only storage, and need no more than ``SELECT`` in PostgreSQL; a
writer needs no right to create tables an administrator made."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, replay_log, verify_log
from finpolicy.audit.postgres import PostgresSink
from tests.helpers.audit import Workload, drop, grant, postgres_role, target


@pytest.fixture(scope="module")
def keys() -> AuditKeys:
    return AuditKeys.generate()


def write(where: str, keys: AuditKeys, n: int = 40) -> None:
    with DecisionLog(where, keys=keys, checkpoint_every=10) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for call in Workload().calls(n):
            call(engine)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by name, with a digest of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_verify_and_replay_leave_a_closed_log_as_it_was(kind: str, tmp_path: Path,
                                                         keys: AuditKeys) -> None:
    where = target(kind, tmp_path)
    write(where, keys)
    before = snapshot(tmp_path)
    assert verify_log(where, public_key=keys.public_key).ok
    assert replay_log(where, keys).reproduced
    assert snapshot(tmp_path) == before


def test_a_sqlite_file_that_is_not_a_log_is_refused_and_left_alone(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE customers (id TEXT)")
        db.commit()
    before = snapshot(tmp_path)
    for path in (empty, other):
        with pytest.raises(AuditError, match="not a decision log database"):
            verify_log(str(path))
    assert snapshot(tmp_path) == before  # no table was created in either


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and its files made read-only, for root too (``chattr +i``); skips where the
    file system or the user cannot."""
    paths = [folder, *folder.rglob("*")]
    if os.geteuid() != 0:
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        undo = [["chmod", "-R", "u+w", str(folder)]]
    else:
        done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True,
                              check=False)
        undo = [["chattr", "-i", *map(str, paths)]]
        if done.returncode != 0:
            subprocess.run(undo[0], capture_output=True, check=False)
            pytest.skip("cannot make storage read-only for root here: chattr +i failed "
                        f"({done.stderr.decode().strip()[:120]})")
    try:
        yield
    finally:
        for command in undo:
            subprocess.run(command, capture_output=True, check=True)


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_a_copy_on_read_only_storage_verifies_and_replays(kind: str, tmp_path: Path,
                                                          keys: AuditKeys) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    where = target(kind, folder)
    write(where, keys)
    with read_only(folder):
        with pytest.raises(OSError):
            (folder / "probe").touch()  # the storage really is read-only
        report = verify_log(where, public_key=keys.public_key)
        assert report.ok, report.problem
        assert report.decisions == 40
        replay = replay_log(where, keys)
        assert replay.reproduced and replay.entries == 40


@pytest.fixture
def pg_log(tmp_path: Path) -> Iterator[str]:
    where = target("postgres", tmp_path)
    yield where
    drop("postgres", where)


def test_a_read_only_role_verifies_and_replays_a_postgres_log(pg_log: str,
                                                              keys: AuditKeys) -> None:
    write(pg_log, keys)
    grant(pg_log, "GRANT SELECT ON {t}_records, {t}_head TO finpolicy_reader")
    _, _, table = pg_log.partition("?table=")
    as_reader = f"{postgres_role('finpolicy_reader')}?table={table}"
    report = verify_log(as_reader, public_key=keys.public_key)
    assert report.ok, report.problem
    assert "finpolicy_reader:***@" in report.target  # the password is not shown
    assert report.decisions == 40
    replay = replay_log(as_reader, keys)
    assert replay.reproduced and replay.entries == 40


def test_verifying_a_table_that_does_not_exist_creates_nothing(pg_log: str) -> None:
    with pytest.raises(AuditError, match="no such decision log"):
        verify_log(pg_log)
    import psycopg

    dsn, _, table = pg_log.partition("?table=")
    with psycopg.connect(dsn) as db:
        found = db.execute("SELECT to_regclass(%s), to_regclass(%s)",
                           (f"{table}_records", f"{table}_head")).fetchone()
    assert found == (None, None)


def test_a_writer_role_that_cannot_create_tables_logs_into_prepared_ones(
        pg_log: str, keys: AuditKeys) -> None:
    sink = PostgresSink(pg_log)  # the administrator's run: creates the tables
    sink.claim()
    sink.close()
    grant(pg_log, "GRANT SELECT, INSERT ON {t}_records TO finpolicy_writer; "
                  "GRANT SELECT, INSERT, UPDATE ON {t}_head TO finpolicy_writer")
    _, _, table = pg_log.partition("?table=")
    write(f"{postgres_role('finpolicy_writer')}?table={table}", keys)
    report = verify_log(pg_log, public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.decisions == 40


def test_a_writer_role_that_cannot_create_missing_tables_says_so(pg_log: str,
                                                                 keys: AuditKeys) -> None:
    _, _, table = pg_log.partition("?table=")
    with pytest.raises(AuditError, match=f"create the tables {table}_records and "
                                         f"{table}_head"):
        DecisionLog(f"{postgres_role('finpolicy_writer')}?table={table}", keys=keys)


@pytest.mark.parametrize("dsn", [
    "postgresql://app:s3cret-pw@db.bank:5432/audit",
    "postgres://app:s3cret-pw@db.bank/audit?sslmode=require",
    "host=db.bank user=app password=s3cret-pw dbname=audit",
    "host=db.bank user=app password='s3cret-pw' dbname=audit",
])
def test_a_log_target_never_shows_the_database_password(dsn: str) -> None:
    sink = PostgresSink(f"{dsn}?table=decisions")  # (connects only when used)
    assert "s3cret-pw" not in sink.url
    assert "***" in sink.url and "db.bank" in sink.url and sink.url.endswith("?table=decisions")
