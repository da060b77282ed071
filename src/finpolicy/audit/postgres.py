"""A decision log in PostgreSQL (psycopg 3, the ``postgres`` extra): a bank's shared store.

Tables ``<table>_records`` (seq, segment, hash, body) and ``<table>_head``; each batch is one
transaction. The writer creates the tables when they are missing; when a database
administrator has made them, its role needs no right to create anything: ``SELECT`` and
``INSERT`` on the records table and ``SELECT``, ``INSERT``, ``UPDATE`` on the head, so not
even the application can rewrite what it logged. Readers (verify, replay) only ``SELECT``
and never create a table.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from finpolicy.audit.claim import busy
from finpolicy.audit.errors import AuditError
from finpolicy.audit.sinks import Row, Sink, Stored, Tail

try:
    import psycopg
except ModuleNotFoundError as exc:  # pragma: no cover - the test extra installs it
    raise AuditError("a PostgreSQL decision log needs psycopg: "
                     "pip install 'finpolicy[postgres]'") from exc

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")
_RECORDS = ("seq BIGINT PRIMARY KEY, segment INTEGER NOT NULL, hash TEXT NOT NULL, "
            "body BYTEA NOT NULL")
_HEAD = "id INTEGER PRIMARY KEY CHECK (id = 1), body BYTEA NOT NULL"


class PostgresSink(Sink):
    """A decision log in PostgreSQL.

    Args:
        dsn: a libpq connection string or URL; ``?table=NAME`` at its end (or ``table=``)
            names the tables (default ``finpolicy_audit``).
    """

    def __init__(self, dsn: str, *, table: str | None = None) -> None:
        base, _, query = dsn.partition("?table=")
        name = table or query or "finpolicy_audit"
        if not _NAME.fullmatch(name):
            raise AuditError(f"table name `{name}`: expected lower-case letters, digits and _")
        self.dsn = base
        self.table = name
        self.url = f"{redacted(base)}?table={name}"  # shown in reports: no password
        self._db: Any = None
        self._ready = False  # the tables are known to exist

    def _conn(self) -> Any:
        if self._db is None:
            try:
                self._db = psycopg.connect(self.dsn, autocommit=False, **_bounded(self.dsn))
            except psycopg.errors.ConnectionTimeout:
                wait = _given_timeout(self.dsn) or CONNECT_TIMEOUT
                raise AuditError(
                    f"cannot connect to PostgreSQL at {self.url}: the server did not answer "
                    f"within {wait} s (set connect_timeout in the DSN to wait longer)") from None
            except psycopg.Error as exc:
                raise AuditError(f"cannot connect to PostgreSQL: {_first_line(exc)}") from None
        return self._db

    def _missing(self) -> list[str]:
        names = [f"{self.table}_records", f"{self.table}_head"]
        found = self._query("SELECT to_regclass(%s), to_regclass(%s)", names)[0]
        return [name for name, there in zip(names, found, strict=True) if there is None]

    def _writing(self) -> None:
        """Create the tables, once, unless they exist (so a writer's role needs no right to
        create them when an administrator has)."""
        if self._ready:
            return
        if self._missing():
            try:
                self._query(f"CREATE TABLE IF NOT EXISTS {{t}}_records ({_RECORDS})")
                self._query(f"CREATE TABLE IF NOT EXISTS {{t}}_head ({_HEAD})")
            except AuditError as exc:
                raise AuditError(f"{exc}; create the tables {self.table}_records and "
                                 f"{self.table}_head (see the audit docs) or let this role "
                                 "create them") from None
        self._ready = True

    def _reading(self) -> None:
        """Refuse a log whose tables do not exist (a reader creates nothing)."""
        if self._ready:
            return
        missing = self._missing()
        if missing:
            raise AuditError(f"{self.url}: no such decision log (no table "
                             f"{' or '.join(missing)})")
        self._ready = True

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        db = self._conn()
        try:
            with db.cursor() as cur:
                cur.execute(sql.format(t=self.table), args)
                rows = cur.fetchall() if cur.description is not None else []
            db.commit()
        except psycopg.Error as exc:
            raise self._failed(db, exc) from None
        return rows

    def _failed(self, db: Any, exc: BaseException) -> AuditError:
        """``exc`` as an error naming the log's table, the transaction rolled back."""
        db.rollback()
        return AuditError(f"PostgreSQL, log table {self.table}: {_first_line(exc)}")

    def tail(self) -> Tail | None:
        self._writing()
        last = self._query("SELECT seq, segment, hash, body FROM {t}_records "
                           "ORDER BY seq DESC LIMIT 1")
        if not last:
            return None
        _, segment, h, body = last[0]
        first = self._query("SELECT body FROM {t}_records WHERE segment = %s ORDER BY seq "
                            "LIMIT 1", (segment,))[0][0]
        count = self._query("SELECT count(*) FROM {t}_records WHERE segment = %s",
                            (segment,))[0][0]
        return self._tail_from(str(h), bytes(body), int(segment), int(count), bytes(first))

    def write(self, rows: Sequence[Row], *, sync: bool) -> None:
        self._writing()
        db = self._conn()
        try:
            with db.cursor() as cur, cur.copy(
                    f"COPY {self.table}_records (seq, segment, hash, body) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row((r.seq, r.segment, r.hash, r.body))
            db.commit()
        except psycopg.Error:
            db.rollback()
            raise

    def set_head(self, stored: bytes) -> None:
        self._writing()
        self._query("INSERT INTO {t}_head (id, body) VALUES (1, %s) "
                    "ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body", (stored,))

    def head(self) -> bytes | None:
        self._reading()
        rows = self._query("SELECT body FROM {t}_head WHERE id = 1")
        return bytes(rows[0][0]) if rows else None

    def records(self) -> Iterator[Stored]:
        self._reading()
        db = self._conn()
        try:
            with db.cursor(name="finpolicy_audit_read") as cur:
                cur.itersize = 5000
                cur.execute(f"SELECT seq, segment, hash, body FROM {self.table}_records "
                            "ORDER BY seq")
                for seq, segment, h, body in cur:
                    yield Stored(f"row {seq}", str(h), bytes(body), int(segment))
            db.commit()
        except psycopg.Error as exc:
            raise self._failed(db, exc) from None

    def segments(self) -> list[int]:
        self._reading()
        return [int(s) for (s,) in self._query(
            "SELECT DISTINCT segment FROM {t}_records ORDER BY segment")]

    def last_body(self, segment: int) -> bytes | None:
        self._reading()
        rows = self._query("SELECT body FROM {t}_records WHERE segment = %s ORDER BY seq DESC "
                           "LIMIT 1", (segment,))
        return bytes(rows[0][0]) if rows else None

    def drop(self, segments: Sequence[int]) -> None:
        self._writing()
        for segment in segments:
            self._query("DELETE FROM {t}_records WHERE segment = %s", (segment,))

    def claim(self) -> None:
        # a session-level advisory lock: held while this connection lives
        key = f"finpolicy_audit:{self.table}"
        if not self._query("SELECT pg_try_advisory_lock(hashtext(%s))", (key,))[0][0]:
            raise AuditError(busy(f"the log table {self.table}"))
        self._writing()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db, self._ready = None, False


# seconds to wait for a server to answer a connection: libpq waits for good by default, so a
# server that accepts and never answers (a stalled pooler) froze the log's opening and every
# audit command; a DSN's own connect_timeout (or PGCONNECT_TIMEOUT) is kept
CONNECT_TIMEOUT = 10


def _bounded(dsn: str) -> dict[str, Any]:
    """``connect_timeout``, unless the DSN or the environment sets it."""
    given = _given_timeout(dsn)
    return {} if given is not None else {"connect_timeout": CONNECT_TIMEOUT}


def _given_timeout(dsn: str) -> str | None:
    try:
        given = psycopg.conninfo.conninfo_to_dict(dsn).get("connect_timeout")
    except psycopg.ProgrammingError:  # (psycopg.connect says what is wrong with it)
        return None
    return str(given) if given is not None else os.environ.get("PGCONNECT_TIMEOUT") or None


def redacted(dsn: str) -> str:
    """``dsn`` with its password replaced by ``***``."""
    parts = urlsplit(dsn)
    if parts.scheme and parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    return _PASSWORD.sub(r"\1***", dsn)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
