"""Helpers for decision-log tests: sinks of each kind, a workload of all four domains with
the identifiers a bank must not log in clear, and ways to tamper with a copy of a log."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys
from finpolicy.audit.records import checkpoint_message, decode, digest, encode, unframe
from finpolicy.testing import fakes

PG_ENV = "FINPOLICY_TEST_POSTGRES_DSN"
SINKS = ("jsonl", "sqlite", "postgres")
SH = dt.timezone(dt.timedelta(hours=8))


def postgres_dsn() -> str:
    dsn = os.environ.get(PG_ENV)
    if not dsn:
        pytest.skip(f"no PostgreSQL server: set {PG_ENV} (as .ci/run does) to run these")
    return dsn


def target(kind: str, tmp: Path) -> str:
    """A fresh, empty log of ``kind``."""
    if kind == "jsonl":
        return str(tmp / f"log-{uuid.uuid4().hex[:6]}")
    if kind == "sqlite":
        return str(tmp / f"log-{uuid.uuid4().hex[:6]}.db")
    return f"{postgres_dsn()}?table=t_{uuid.uuid4().hex[:12]}"


def drop(kind: str, where: str) -> None:
    if kind != "postgres":
        return
    import psycopg

    dsn, _, table = where.partition("?table=")
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"DROP TABLE IF EXISTS {table}_records, {table}_head")


# --- a workload of all four domains -----------------------------------------------------------

class Workload:
    """Engine calls of every domain; ``secrets`` holds every identifier they carry."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.secrets: set[str] = set()
        self.on = dt.date(2026, 3, 2)

    def _secret(self, value: str) -> str:
        self.secrets.add(value)
        return value

    def calls(self, n: int) -> Iterator[Callable[[fp.PolicyEngine], Any]]:
        makers = (self._classification, self._access, self._suitability, self._complaint)
        for i in range(n):
            yield makers[i % 4](i)

    def _classification(self, i: int) -> Callable[[fp.PolicyEngine], Any]:
        rng = self.rng
        rid = self._secret(fakes.resident_id(rng))
        if i % 8 == 0:
            record = {"name": fakes.chinese_name(rng), "id_number": rid,
                      "mobile": self._secret(fakes.mobile(rng)),
                      "card_number": self._secret(fakes.bank_card(rng)),
                      "balance": round(rng.uniform(0, 1e6), 2)}
            return lambda e: e.classify_record(record, as_of=self.on)
        field = fp.DataField(name=f"col{i % 5}", sample_values=[rid])
        return lambda e: e.classify(field, as_of=self.on)

    def _access(self, i: int) -> Callable[[fp.PolicyEngine], Any]:
        rng = self.rng
        request = fp.AccessRequest(
            subject=fp.Subject(id=f"u-{i % 50}", roles=[rng.choice(["teller", "customer_manager",
                                                                    "department_head"])],
                               department="retail", branch="BJ01"),
            action="read",
            resource=fp.Resource(type="customer_record",
                                 data_level=rng.choice(["ordinary", "important", "core"]),
                                 category="basic_identity", department="retail",
                                 branch="BJ01"),
            purpose=rng.choice(["account_service", "marketing"]),
            as_of=dt.datetime(2026, 3, 2, 10, tzinfo=SH))
        return lambda e: e.authorize(request)

    def _suitability(self, i: int) -> Callable[[fp.PolicyEngine], Any]:
        rng = self.rng
        customer = fp.Customer(id=self._secret(fakes.resident_id(rng)),
                               risk_level=f"C{rng.randint(1, 5)}",
                               assessment_date=self.on - dt.timedelta(days=rng.randint(0, 400)),
                               birth_date=dt.date(rng.randint(1940, 2005), 6, 1))
        product = fp.Product(id=f"p{i % 30}", kind="wealth_management",
                             risk_level=f"R{rng.randint(1, 5)}")
        return lambda e: e.check_suitability(customer, product, as_of=self.on)

    def _complaint(self, i: int) -> Callable[[fp.PolicyEngine], Any]:
        rng = self.rng
        received = dt.datetime(2026, 2, 2, 9, tzinfo=SH) + dt.timedelta(hours=rng.randint(0,
                                                                                   600))
        complaint = fp.Complaint(
            id=self._secret(fakes.mobile(rng)), received_at=received,
            channel=rng.choice(["phone", "branch"]), category=rng.choice(["product", "service"]),
            events=[fp.ComplaintEvent(kind="contacted",
                                      at=received + dt.timedelta(hours=rng.randint(1, 30)))])
        now = received + dt.timedelta(days=rng.randint(1, 20))
        return lambda e: e.complaint_sla(complaint, as_of=now)


# --- reading and rewriting a log's records -----------------------------------------------------

def rows(kind: str, where: str) -> list[tuple[int, str, bytes]]:
    """Every stored record: (segment, hash, body)."""
    from finpolicy.audit import open_sink

    sink = open_sink(where)
    try:
        return [(s.segment, s.hash, s.body) for s in sink.records()]
    finally:
        sink.close()


def head(kind: str, where: str) -> bytes | None:
    from finpolicy.audit import open_sink

    sink = open_sink(where)
    try:
        return sink.head()
    finally:
        sink.close()


def write_copy(kind: str, where: str, records: list[tuple[int, str, bytes]],
               head_bytes: bytes | None, tmp: Path) -> str:
    """A new log of ``kind`` holding exactly ``records`` (in that storage order) and the head."""
    copy = target(kind, tmp)
    if kind == "jsonl":
        root = Path(copy)
        root.mkdir()
        by_segment: dict[int, list[bytes]] = {}
        for segment, h, body in records:
            by_segment.setdefault(segment, []).append(_framed(h, body))
        for segment, lines in by_segment.items():
            (root / f"{segment:06d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        if head_bytes is not None:
            (root / "HEAD").write_bytes(head_bytes + b"\n")
        return copy
    if kind == "sqlite":
        from finpolicy.audit.sinks import _SQLITE_SCHEMA

        db = sqlite3.connect(copy)
        db.executescript(_SQLITE_SCHEMA)
        db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
                       [(i, s, h, b) for i, (s, h, b) in enumerate(records, 1)])
        if head_bytes is not None:
            db.execute("INSERT INTO head VALUES (1, ?)", (head_bytes,))
        db.commit()
        db.close()
        return copy
    import psycopg

    dsn, _, table = copy.partition("?table=")
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"CREATE TABLE {table}_records (seq BIGINT PRIMARY KEY, segment INTEGER, "
                   "hash TEXT, body BYTEA)")
        db.execute(f"CREATE TABLE {table}_head (id INTEGER PRIMARY KEY, body BYTEA)")
        with db.cursor() as cur:
            cur.executemany(f"INSERT INTO {table}_records VALUES (%s, %s, %s, %s)",
                            [(i, s, h, b) for i, (s, h, b) in enumerate(records, 1)])
            if head_bytes is not None:
                cur.execute(f"INSERT INTO {table}_head VALUES (1, %s)", (head_bytes,))
    return copy


def _framed(h: str, body: bytes) -> bytes:
    from finpolicy.audit.records import framed

    return framed(h, body)


def rechain(records: list[tuple[int, str, bytes]], start: int,
            keys: AuditKeys | None) -> list[tuple[int, str, bytes]]:
    """Recompute every hash and ``prev`` from index ``start`` on (an insider covering an
    edit); re-sign checkpoints when ``keys`` are given."""
    out = list(records[:start])
    prev = out[-1][1] if out else "0" * 64
    for segment, _, body in records[start:]:
        data = decode(body)
        data["prev"] = prev
        if data["type"] == "checkpoint" and keys is not None:
            message = checkpoint_message(data["log"], data["seq"], prev, data["at"],
                                         final=data.get("final") is True)
            import base64

            data["sig"] = base64.b64encode(keys.sign(message)).decode()
        new = encode(data)
        prev = digest(new)
        out.append((segment, prev, new))
    return out


def first_decision(records: list[tuple[int, str, bytes]], after: int = 0) -> int:
    """Index of the first decision record at or after ``after``."""
    for i in range(after, len(records)):
        if b'"type":"decision"' in records[i][2]:
            return i
    raise AssertionError("no decision record")


def unframe_head(data: bytes) -> dict[str, Any]:
    return decode(unframe(data)[1])


def copy_sqlite_files(src: str, tmp: Path) -> Path:
    out = tmp / "stolen"
    out.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(src + suffix).exists():
            shutil.copy(src + suffix, out / (Path(src).name + suffix))
    return out


def postgres_role(role: str) -> str:
    """The test server's DSN as ``role``, one of the roles with no rights of their own that
    ``.ci/run`` creates (``finpolicy_writer``, ``finpolicy_reader``)."""
    import psycopg

    from tests.helpers.tools import require

    parts = urlsplit(postgres_dsn())
    port = f":{parts.port}" if parts.port else ""
    dsn = urlunsplit(parts._replace(netloc=f"{role}:finpolicy@{parts.hostname}{port}"))
    try:
        psycopg.connect(dsn).close()
    except psycopg.OperationalError:
        require(False, f"no PostgreSQL role {role} with password `finpolicy` (.ci/run "
                       "creates it)")
    return dsn


def grant(where: str, sql: str) -> None:
    """Run ``sql`` (``{t}``: the log's table name) as the owner of the log's tables."""
    import psycopg

    dsn, _, table = where.partition("?table=")
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(sql.format(t=table))  # type: ignore[arg-type]
