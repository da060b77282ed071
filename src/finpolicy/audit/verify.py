"""Verifying a decision log: the chain, the checkpoints' signatures, and the head.

The walk stops at the first broken link and says exactly what is wrong there: an entry whose
content no longer matches its hash (edited), a missing number (deleted), a number met again
(inserted), an entry stored elsewhere in the log (reordered), a chain link that does not hold
(replaced), a checkpoint whose signature fails (rewritten and re-hashed), or a log that ends
before the checkpoint its head names (truncated). A torn last line (a writer killed mid-write) is
reported as a warning: everything before it still verifies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import attrs

from finpolicy.audit.errors import AuditError
from finpolicy.audit.keys import AuditKeys, key_id, load_public_key
from finpolicy.audit.records import (
    FORMAT,
    GENESIS,
    checkpoint_message,
    decode,
    digest,
    unb64,
    unframe,
)
from finpolicy.audit.sinks import Sink, Stored, open_sink

__all__ = ["Break", "VerifyReport", "verify_log"]


@attrs.frozen(slots=True)
class Break:
    """The first broken link.

    Attributes:
        entry: the entry number where the log stops being trustworthy.
        where: where that entry is stored (``000001.jsonl line 57``, ``row 57``).
        kind: ``altered``, ``unreadable``, ``missing``, ``inserted``, ``reordered``,
            ``chain``, ``segment``, ``signature``, ``truncated``, ``start``, ``foreign`` (a
            head or anchor of another log), ``appended`` (after the final checkpoint).
        message: what differs, in words.
    """

    entry: int
    where: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"entry {self.entry} ({self.where}): {self.kind}: {self.message}"


@attrs.frozen(slots=True)
class VerifyReport:
    """The result of ``verify_log``."""

    target: str
    log_id: str | None
    entries: int
    decisions: int
    checkpoints: int
    first: int
    last: int
    signed_through: int
    key: str | None
    key_pinned: bool
    problem: Break | None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "ok": self.ok, "log": self.log_id,
                "entries": self.entries, "decisions": self.decisions,
                "checkpoints": self.checkpoints, "first": self.first, "last": self.last,
                "signed_through": self.signed_through, "key": self.key,
                "key_pinned": self.key_pinned, "warnings": list(self.warnings),
                "notes": list(self.notes),
                "problem": None if self.problem is None else attrs.asdict(self.problem)}


class _Failed(Exception):
    def __init__(self, problem: Break) -> None:
        self.problem = problem


@attrs.define
class _Walk:
    """State of one verification walk."""

    keys: AuditKeys | None
    pinned: bool
    expected: int | None = None
    prev: str | None = None
    log_id: str | None = None
    entries: int = 0
    decisions: int = 0
    checkpoints: dict[int, str] = attrs.Factory(dict)
    first: int = 0
    start_prev: str | None = None
    pruned: set[tuple[int, str]] = attrs.Factory(set)
    warnings: list[str] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)  # what retention deleted, where the log says so
    segment: int | None = None  # the segment the chain's records put the next entry in
    closed: int | None = None  # the final checkpoint last seen, and (0) a writer reopening
    closed_before: bool = False  # the log was closed before the record being read


def verify_log(target: str | os.PathLike[str] | Sink, *,
               public_key: Any = None, anchor: str | os.PathLike[str] | None = None
               ) -> VerifyReport:
    """Verify a decision log.

    Args:
        target: the log (a folder, an SQLite file, a ``postgresql://`` URL, or a ``Sink``).
        public_key: the key checkpoints must verify with (a PEM path, PEM bytes or a key).
            Without it the key the log names is used, and the report says it was not pinned.
        anchor: a copy of the latest checkpoint kept apart from the log; defaults to the
            head the log's own storage keeps.

    Raises:
        AuditError: the log cannot be read at all, or the key cannot be loaded.
    """
    sink = open_sink(target)
    keys = None if public_key is None else AuditKeys(load_public_key(public_key))
    walk = _Walk(keys, keys is not None)
    problem = None
    try:
        # the head before the records: a writer still running adds to both, and a head read
        # after them may name entries written since (a cut tail that is none)
        head = _read_anchor(sink, anchor)
        _walk(sink, walk)
        _check_start(walk)
        _check_head(walk, head,
                    "the head checkpoint" if anchor is None else f"the anchor {anchor}")
    except _Failed as failed:
        problem = failed.problem
    finally:
        sink.close()
    last = (walk.expected or 1) - 1
    signed = max((s for s in walk.checkpoints if s <= last), default=0)
    if problem is None and signed < last:
        walk.warnings.append(f"entries {signed + 1}–{last} follow the last checkpoint: chained "
                             "but not yet signed (the writer did not close the log, or is "
                             "still writing)")
    if not walk.pinned:
        walk.warnings.append("checkpoints were checked with the key the log names; pass the "
                             "bank's public key to pin it")
    return VerifyReport(sink.url, walk.log_id, walk.entries, walk.decisions,
                        len(walk.checkpoints), walk.first, last, signed,
                        None if walk.keys is None else walk.keys.key_id, walk.pinned, problem,
                        tuple(walk.warnings), tuple(walk.notes))


def _walk(sink: Sink, walk: _Walk) -> None:
    ahead = _Lookahead(sink.records())
    for stored in ahead:
        if stored.torn:
            if ahead.peek() is None:
                walk.warnings.append(f"{stored.where}: incomplete last record (a write was "
                                     "interrupted); ignored")
                return
            _broken(walk, stored, "unreadable", "an incomplete record in the middle of the log")
        data = _open(walk, stored)
        seq = data.get("seq")
        if not isinstance(seq, int):
            _broken(walk, stored, "unreadable", "the record has no entry number")
        if walk.expected is None:
            walk.expected, walk.first = seq, seq
        if seq != walk.expected:
            _misplaced(walk, stored, seq, ahead)
        if data.get("type") != "decision" and walk.log_id is not None \
                and data.get("log") != walk.log_id:  # (a segment of another log, say)
            _broken(walk, stored, "inserted", f"the record belongs to log {data.get('log')}, "
                    f"not {walk.log_id}: it was copied from another log")
        if walk.prev is not None and data.get("prev") != walk.prev:
            named, actual = _apart(str(data.get("prev")), walk.prev)
            _broken(walk, stored, "chain", f"entry {seq} does not follow entry {seq - 1}: it "
                  f"names {named} as the previous hash, but entry {seq - 1} hashes to "
                  f"{actual} (an entry was replaced)")
        if walk.prev is None:
            walk.start_prev = str(data.get("prev"))
        _record(walk, stored, seq, data)
        _check_segment(walk, stored, seq, data)
        walk.prev = stored.hash
        walk.expected = seq + 1
        walk.entries += 1


def _open(walk: _Walk, stored: Stored) -> dict[str, Any]:
    if stored.problem:
        _broken(walk, stored, "unreadable", stored.problem)
    computed = digest(stored.body)
    if computed != stored.hash:
        shown, actual = _apart(stored.hash, computed)
        _broken(walk, stored, "altered", f"its stored hash is {shown} but its content hashes "
              f"to {actual}: the entry was changed after writing")
    try:
        return decode(stored.body)
    except ValueError as exc:
        _broken(walk, stored, "unreadable", f"not a JSON object ({exc})")


def _misplaced(walk: _Walk, stored: Stored, seq: int, ahead: _Lookahead) -> NoReturn:
    expected = walk.expected or 0
    if seq == expected + 1 and _seq_of(ahead.peek()) == expected:
        _broken(walk, stored, "reordered", f"entry {seq} is stored before entry {expected}")
    if seq > expected:
        # an entry stored later was moved, not deleted (a segment swapped with the next one,
        # an entry taken out and put back elsewhere): the walk stops here, so read on for it
        later = next((s for s in ahead if _seq_of(s) == expected), None)
        if later is not None:
            _broken(walk, stored, "reordered", f"entry {seq} is stored where entry "
                  f"{expected} belongs, and entry {expected} is stored later, at "
                  f"{later.where}: entries were moved, not deleted")
        gone = f"entry {expected} is" if seq == expected + 1 else \
            f"entries {expected}–{seq - 1} are"
        _broken(walk, stored, "missing", f"{gone} missing: entry {seq} follows entry "
              f"{expected - 1} (deleted)")
    _broken(walk, stored, "inserted", f"entry {seq} appears again where entry {expected} "
          "belongs (an entry was inserted or copied)")


def _entries(first: int, last: int) -> str:
    return f"entry {first} was" if first == last else f"entries {first}–{last} were"


def _seq_of(stored: Stored | None) -> int | None:
    if stored is None or stored.problem or stored.torn:
        return None
    try:
        seq = decode(stored.body).get("seq")
    except ValueError:
        return None
    return seq if isinstance(seq, int) else None


def _after_close(walk: _Walk, stored: Stored, seq: int, kind: Any) -> None:
    """A log its writer closed is continued only by a writer reopening it: a ``resume``
    record, then a signed checkpoint."""
    if walk.closed is None or kind == "resume" or (walk.closed == 0 and kind == "checkpoint"):
        walk.closed = 0 if kind == "resume" else None if kind == "checkpoint" else walk.closed
        return
    _broken(walk, stored, "appended", f"entry {seq} follows the final checkpoint its writer "
          "closed the log with, and no writer reopened the log: it was added after")


def _record(walk: _Walk, stored: Stored, seq: int, data: dict[str, Any]) -> None:
    kind = data.get("type")
    walk.closed_before = bool(walk.closed)  # (a final checkpoint, no writer since)
    _after_close(walk, stored, seq, kind)
    if kind in ("open", "segment"):
        _start(walk, stored, seq, data)
    elif kind == "decision":
        walk.decisions += 1
    elif kind == "checkpoint":
        _checkpoint(walk, stored, seq, data)
    elif kind == "pruned":
        walk.pruned.add((int(data.get("through", -1)), str(data.get("head"))))
        listed = data.get("segments")
        segments: list[Any] = listed if isinstance(listed, list) else []
        walk.notes.append(f"entry {seq}: retention deleted segment"
                          f"{'s' if len(segments) > 1 else ''} "
                          f"{', '.join(map(str, segments))} as of {data.get('as_of')}, "
                          f"the entries through entry {data.get('through')}")
        if str(data.get("as_of", "")) > str(data.get("at", ""))[:10]:
            walk.warnings.append(f"entry {seq}: segments were pruned as of {data['as_of']}, "
                                 f"after the day it was done ({str(data.get('at'))[:10]}): "
                                 "their entries went before their retention ended")
    elif kind == "resume":
        _resumed(walk, seq, data)
    else:
        _broken(walk, stored, "unreadable", f"unknown record type `{kind}`")


def _resumed(walk: _Walk, seq: int, data: dict[str, Any]) -> None:
    """A writer reopened a log its writer before had not closed (killed, crashed), or cut
    bytes off it: the auditor is told, with what was signed late and what was cut."""
    after, cut = data.get("after"), data.get("discarded_bytes")
    torn = f"{cut:,} bytes of an interrupted write were cut off" \
        if isinstance(cut, int) and cut > 0 else ""
    if walk.closed_before:  # a log closed, then reopened: the ordinary course
        if torn:
            walk.warnings.append(f"entry {seq}: a writer reopened the log after entry "
                                 f"{after}, its final checkpoint, and {torn}")
        return
    signed = max(walk.checkpoints, default=0)
    late = f"Entries {signed + 1}–{after} were signed only by the next writer's checkpoint, " \
        "and d" if isinstance(after, int) and after > signed else "D"
    walk.warnings.append(f"entry {seq}: a writer reopened the log after entry {after}, which "
                         "the writer before had not closed (killed or crashed). "
                         f"{late}ecisions it had not yet written are not in the log"
                         + (f"; {torn}" if torn else ""))


def _check_segment(walk: _Walk, stored: Stored, seq: int, data: dict[str, Any]) -> None:
    """An entry must be stored in the segment the chain puts it in: the first, or the one
    the last ``segment`` record opened. (Retention deletes whole segments: an entry stored
    under another one would go with the wrong ones.)"""
    kind = data.get("type")
    if kind == "open":
        walk.segment = 1
    elif kind == "segment" or walk.segment is None:
        number = data.get("segment") if kind == "segment" else stored.segment
        walk.segment = number if isinstance(number, int) else -1
    if stored.segment != walk.segment:
        _broken(walk, stored, "segment", f"entry {seq} is stored in segment {stored.segment}, "
              f"but the log's records put it in segment {walk.segment} (moved, or its "
              "segment relabelled)")


def _start(walk: _Walk, stored: Stored, seq: int, data: dict[str, Any]) -> None:
    if data.get("type") == "open" and (seq != 1 or data.get("prev") != GENESIS
                                       or data.get("format") != FORMAT):
        _broken(walk, stored, "inserted", f"an `open` record must be entry 1 of a {FORMAT} log")
    walk.log_id = walk.log_id or str(data.get("log"))
    named = load_public_key_raw(data.get("public_key"), walk, stored)
    if walk.keys is None:
        walk.keys = AuditKeys(named)
    elif key_id(named) != walk.keys.key_id:
        expected = f"the pinned key is {walk.keys.key_id}" if walk.pinned else \
            f"the log's earlier records name key {walk.keys.key_id} (a log keeps one key)"
        _broken(walk, stored, "signature", f"the record names key {key_id(named)}, but "
              f"{expected}")


def load_public_key_raw(text: Any, walk: _Walk, stored: Stored) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        return Ed25519PublicKey.from_public_bytes(unb64(text, "public_key"))
    except (AuditError, ValueError):
        _broken(walk, stored, "unreadable", "the record's public key is not an Ed25519 key")


def _checkpoint(walk: _Walk, stored: Stored, seq: int, data: dict[str, Any]) -> None:
    if walk.keys is None:
        _broken(walk, stored, "start", "a checkpoint before any record naming the log's key")
    assert walk.keys is not None
    final = data.get("final") is True
    message = checkpoint_message(str(data.get("log")), seq, str(data.get("prev")),
                                 str(data.get("at")), final=final)
    try:
        signature = unb64(data.get("sig"), "sig")
    except AuditError:
        signature = b""
    if not walk.keys.verify(signature, message):
        _broken(walk, stored, "signature", f"the checkpoint's signature does not verify with "
              f"key {walk.keys.key_id}: the entries before it were rewritten (hashes "
              "recomputed) or the checkpoint was forged")
    walk.checkpoints[seq] = stored.hash
    if final:
        walk.closed = seq


def _check_start(walk: _Walk) -> None:
    if walk.expected is None:
        raise _Failed(Break(1, "start", "start", "the log holds no records"))
    if walk.first == 1:
        return
    if (walk.first - 1, walk.start_prev) not in walk.pruned:
        raise _Failed(Break(walk.first, "start", "missing",
                            f"the log starts at entry {walk.first} and no `pruned` record "
                            f"accounts for entries 1–{walk.first - 1} (deleted from the "
                            "start)"))


def _check_head(walk: _Walk, head: bytes | None, what: str) -> None:
    """The log must reach the signed checkpoint ``head`` (``what``: the log's own head, or an
    anchor kept elsewhere)."""
    if head is None:
        walk.warnings.append("no head checkpoint kept beside the log: a cut tail cannot be "
                             "told from an unfinished one")
        return
    try:
        h, body = unframe(head)
        data = decode(body)
        seq = int(data["seq"])
        signature = unb64(data.get("sig"), "sig")
    except (ValueError, KeyError, TypeError, AuditError):
        raise _Failed(Break(0, "head", "unreadable", f"{what} is not a signed checkpoint")
                      ) from None
    last = (walk.expected or 1) - 1
    assert walk.keys is not None
    message = checkpoint_message(str(data.get("log")), seq, str(data.get("prev")),
                                 str(data.get("at")), final=data.get("final") is True)
    if digest(body) != h or not walk.keys.verify(signature, message):
        raise _Failed(Break(seq, "head", "signature", f"the signature of {what} does not "
                            f"verify with key {walk.keys.key_id}"))
    if walk.log_id is not None and data.get("log") != walk.log_id:
        raise _Failed(Break(0, "head", "foreign", f"{what} is a checkpoint of log "
                            f"{data.get('log')}, not of this log ({walk.log_id}): give this "
                            "log's own"))
    if seq > last:
        raise _Failed(Break(last + 1, "end", "truncated",
                            f"the log ends at entry {last} but {what} (signed) is "
                            f"entry {seq}: {_entries(last + 1, seq)} cut off"))
    if walk.checkpoints.get(seq) != h:
        raise _Failed(Break(seq, "head", "chain", f"entry {seq} is not the checkpoint "
                            f"{what} names (the log was rewritten after it)"))


def _read_anchor(sink: Sink, anchor: str | os.PathLike[str] | None) -> bytes | None:
    if anchor is None:
        return sink.head()
    if not isinstance(anchor, str | os.PathLike):  # (an int would open a file descriptor)
        raise AuditError(f"anchor: expected a file's path, got {type(anchor).__name__}")
    try:
        with open(anchor, "rb") as fh:
            return fh.read().rstrip(b"\n")
    except OSError as exc:
        raise AuditError(f"{anchor}: cannot read the anchor: {exc.strerror}") from None


def _broken(walk: _Walk, stored: Stored, kind: str, message: str) -> NoReturn:
    entry = walk.expected if walk.expected is not None else 1
    raise _Failed(Break(entry, stored.where, kind, message))


def _apart(first: str, second: str) -> tuple[str, str]:
    """Two hashes cut short, each long enough to show where they differ."""
    at = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
              min(len(first), len(second)))
    keep = max(12, at + 4)

    def cut(text: str) -> str:
        return text if len(text) <= keep else f"{text[:keep]}…"

    return cut(first), cut(second)


class _Lookahead:
    """An iterator that can peek one record ahead."""

    def __init__(self, items: Iterator[Stored]) -> None:
        self._items = items
        self._next: Stored | None = None
        self._has = False

    def __iter__(self) -> _Lookahead:
        return self

    def __next__(self) -> Stored:
        if self._has:
            self._has = False
            assert self._next is not None
            return self._next
        return next(self._items)

    def peek(self) -> Stored | None:
        if not self._has:
            self._next = next(self._items, None)
            self._has = self._next is not None
        return self._next
