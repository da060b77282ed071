"""Where a decision log is stored: a folder of JSON-lines segments, SQLite, or PostgreSQL.

A sink stores framed records (see ``records``) in order and gives them back in order; it
knows nothing of chains or signatures. Each keeps the latest checkpoint apart (the *head*),
which ``verify`` compares with the log to notice a cut tail; copy the head somewhere the
log's own host cannot rewrite it (``DecisionLog(anchor=...)``) to make that check strong.
"""

from __future__ import annotations

import abc
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from finpolicy import atomic
from finpolicy.audit.claim import claim_file
from finpolicy.audit.errors import AuditError
from finpolicy.audit.records import decode

__all__ = ["Row", "Sink", "SqliteSink", "Stored", "Tail", "open_sink", "replace_file"]


@attrs.frozen(slots=True)
class Row:
    """A record to store."""

    seq: int
    segment: int
    hash: str
    body: bytes


@attrs.frozen(slots=True)
class Stored:
    """A record as read back.

    Attributes:
        where: where it is stored, for messages (``000001.jsonl line 57``, ``row 57``).
        hash: the hash stored beside the body.
        body: the body bytes (``b""`` when the record could not be read).
        segment: the segment it is stored in.
        problem: why the stored bytes are no record, if they are not.
        torn: the last bytes of the log, cut off in the middle of a write.
    """

    where: str
    hash: str
    body: bytes
    segment: int
    problem: str | None = None
    torn: bool = False


@attrs.frozen(slots=True)
class Tail:
    """What a writer needs to continue a log."""

    seq: int
    hash: str
    segment: int
    segment_records: int
    segment_started: str
    log_id: str
    discarded: int = 0  # torn bytes cut off the end
    key: str | None = None  # the signing key the segment's first record names
    sealing: str | None = None  # the sealing secret it names (``AuditKeys.secret_id``)


class Sink(abc.ABC):
    """Storage of framed records."""

    url: str

    @abc.abstractmethod
    def tail(self) -> Tail | None:
        """Prepare to append (cutting a torn last write); ``None`` for an empty log."""

    @abc.abstractmethod
    def write(self, rows: Sequence[Row], *, sync: bool) -> None:
        """Append rows in order; durable against a crash of this process on return, and
        against power loss too when ``sync``."""

    @abc.abstractmethod
    def set_head(self, stored: bytes) -> None:
        """Keep the latest checkpoint (framed) apart from the records."""

    @abc.abstractmethod
    def head(self) -> bytes | None: ...

    @abc.abstractmethod
    def records(self) -> Iterator[Stored]:
        """Every stored record, in storage order."""

    @abc.abstractmethod
    def segments(self) -> list[int]: ...

    @abc.abstractmethod
    def last_body(self, segment: int) -> bytes | None: ...

    @abc.abstractmethod
    def drop(self, segments: Sequence[int]) -> None:
        """Delete whole segments (retention)."""

    def claim(self) -> None:  # noqa: B027 - optional for stores that cannot be shared
        """Take the store for the one log writing to it (``AuditError`` when another log
        holds it); ``close`` releases it. ``DecisionLog`` claims its sink; readers do not."""

    def close(self) -> None:  # noqa: B027 - optional for sinks without resources
        """Release files and connections."""

    @staticmethod
    def _tail_from(last_hash: str, last_body: bytes, segment: int, count: int,
                   first_body: bytes, discarded: int = 0) -> Tail:
        try:
            data = decode(last_body)
            start = decode(first_body)
            return Tail(int(data["seq"]), last_hash, segment, count, str(start["at"]),
                        str(start["log"]), discarded, _text(start.get("key")),
                        _text(start.get("sealing")))
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"cannot continue the log: its last record is unreadable ({exc}); "
                             "run `finpolicy audit verify` on it") from None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def open_sink(target: str | os.PathLike[str] | Sink) -> Sink:
    """A sink for ``target``: a ``Sink``; ``postgresql://…`` (needs the ``postgres`` extra);
    ``sqlite:PATH`` or a path ending in ``.db``, ``.sqlite``, ``.sqlite3``; ``jsonl:DIR`` or
    any other path, a folder of JSON-lines segments."""
    if isinstance(target, Sink):
        return target
    if not isinstance(target, str | os.PathLike):
        raise AuditError(f"a decision log is a folder, an SQLite file or a postgresql:// URL, "
                         f"got {type(target).__name__} {target!r:.40}")
    text = os.fspath(target)
    if text.startswith(("postgresql://", "postgres://")):
        from finpolicy.audit.postgres import PostgresSink

        return PostgresSink(text)
    if "://" in text and not os.path.exists(text):  # a URL finpolicy has no store for
        raise AuditError(f"{text}: no decision log store for `{text.split('://')[0]}://` "
                         "(a folder, an SQLite file or a postgresql:// URL)")
    if text.startswith("sqlite:"):
        return SqliteSink(text[len("sqlite:"):])
    if Path(text).suffix in (".db", ".sqlite", ".sqlite3") and not text.startswith("jsonl:"):
        return SqliteSink(text)
    from finpolicy.audit.jsonl import JsonLinesSink

    return JsonLinesSink(text.removeprefix("jsonl:"))


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a synced temporary file of a name no one can
    guess (``HEAD.tmp`` was: a link planted under it had the writer overwrite the file it led
    to), then a rename."""
    atomic.replace_file(path, data, sync=True)


# --- SQLite -----------------------------------------------------------------------------------

def _sqlite_row(seq: object, segment: object, stored_hash: object, body: object) -> Stored:
    """A row as stored. SQLite keeps any type in any column, so a row edited in the file may
    hold text where bytes belong: it is read as it is, and its hash or number then fails."""
    where, raw, h = f"row {seq!r}", _cell_bytes(body), _cell_text(stored_hash)
    if not isinstance(segment, int) or isinstance(segment, bool):
        return Stored(where, h, raw, -1, f"its segment is not a number ({segment!r})")
    return Stored(where, h, raw, segment)


def _cell_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogateescape")


def _cell_text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    segment INTEGER NOT NULL,
    hash TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_segment ON records (segment, seq);
CREATE TABLE IF NOT EXISTS head (id INTEGER PRIMARY KEY CHECK (id = 1), body BLOB NOT NULL);
"""


class SqliteSink(Sink):
    """One SQLite file: table ``records`` (seq, segment, hash, body) and ``head``. Each batch
    is one transaction, so a crash never leaves half a record. Readers (``head``,
    ``records``) open the file read-only and create nothing: verifying or replaying a log
    changes nothing in it, and works on a copy kept on read-only storage."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(os.path.abspath(path))  # the same file after a chdir
        self.url = f"sqlite:{Path(path)}"
        self._db: sqlite3.Connection | None = None
        self._writable = False
        self._release: Callable[[], None] = lambda: None

    def claim(self) -> None:
        real = self.path.resolve()  # one lock file however the database is reached
        self._release = claim_file(real.with_name(real.name + ".lock"),
                                   f"the log database {self.path}", self)

    def _conn(self, create: bool = True) -> sqlite3.Connection:
        if self._db is not None and (self._writable or not create):
            return self._db
        if self._db is not None:  # opened to read, now asked to write
            self._db.close()
            self._db = None
        if not create:
            self._db = self._reader()
            return self._db
        try:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            tables = {name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and not {"records", "head"} <= tables:  # another application's
                db.close()
                raise AuditError(f"{self.path}: another application's database (tables "
                                 f"{', '.join(sorted(tables))}): give the log its own file")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SQLITE_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise AuditError(f"{self.path}: not a decision log database: {exc}") from None
        self._db, self._writable = db, True
        return db

    def _reader(self) -> sqlite3.Connection:
        """The file opened read-only. Without a write-ahead file beside it (a closed log) it
        is opened immutable, so nothing is created next to it; with one (a writer at work,
        or one that was killed) the write-ahead file is read too, as it holds records."""
        if not self.path.is_file():
            raise AuditError(f"{self.path}: no such decision log")
        live = self.path.with_name(self.path.name + "-wal").exists()
        uri = self.path.resolve().as_uri() + ("?mode=ro" if live else "?mode=ro&immutable=1")
        try:
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            tables = {name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise AuditError(f"{self.path}: not a decision log database: {exc}") from None
        if not {"records", "head"} <= tables:
            db.close()
            raise AuditError(f"{self.path}: not a decision log database (it has no `records` "
                             "and `head` tables)")
        return db

    def tail(self) -> Tail | None:
        db = self._conn()
        last = db.execute("SELECT seq, segment, hash, body FROM records ORDER BY seq DESC "
                          "LIMIT 1").fetchone()
        if last is None:
            return None
        _, segment, h, body = last
        first = db.execute("SELECT body FROM records WHERE segment = ? ORDER BY seq LIMIT 1",
                           (segment,)).fetchone()[0]
        count = db.execute("SELECT count(*) FROM records WHERE segment = ?",
                           (segment,)).fetchone()[0]
        return self._tail_from(str(h), bytes(body), int(segment), int(count), bytes(first))

    def write(self, rows: Sequence[Row], *, sync: bool) -> None:
        db = self._conn()
        if sync:  # this commit also reaches the disk (the WAL is synced), not only the OS
            db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN")
        try:
            db.executemany("INSERT INTO records (seq, segment, hash, body) VALUES (?, ?, ?, ?)",
                           [(r.seq, r.segment, r.hash, r.body) for r in rows])
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        if sync:
            db.execute("PRAGMA synchronous=NORMAL")

    def set_head(self, stored: bytes) -> None:
        self._conn().execute("INSERT OR REPLACE INTO head (id, body) VALUES (1, ?)", (stored,))

    def head(self) -> bytes | None:
        try:
            row = self._conn(create=False).execute(
                "SELECT body FROM head WHERE id = 1").fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._unreadable(exc) from None
        return None if row is None else bytes(row[0])

    def records(self) -> Iterator[Stored]:
        try:
            cursor = self._conn(create=False).execute(
                "SELECT seq, segment, hash, body FROM records ORDER BY seq")
            for seq, segment, h, body in cursor:
                yield _sqlite_row(seq, segment, h, body)
        except sqlite3.DatabaseError as exc:
            raise self._unreadable(exc) from None

    def _unreadable(self, exc: sqlite3.DatabaseError) -> AuditError:
        return AuditError(f"{self.path}: cannot read the log database: {exc}")

    def segments(self) -> list[int]:
        return [int(s) for (s,) in self._conn().execute(
            "SELECT DISTINCT segment FROM records ORDER BY segment")]

    def last_body(self, segment: int) -> bytes | None:
        row = self._conn().execute("SELECT body FROM records WHERE segment = ? ORDER BY seq "
                                   "DESC LIMIT 1", (segment,)).fetchone()
        return None if row is None else bytes(row[0])

    def drop(self, segments: Sequence[int]) -> None:
        db = self._conn()
        db.execute("BEGIN")
        try:
            db.executemany("DELETE FROM records WHERE segment = ?", [(s,) for s in segments])
        except sqlite3.Error:
            db.execute("ROLLBACK")  # all or nothing: the log goes on as it was
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db, self._writable = None, False
        self._release()
