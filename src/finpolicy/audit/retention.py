"""Retention: which closed segments of a log may go.

An entry keeps ``retain_until``, the day its retention ends (the classification policy's
``audit_log_retention_days`` for the most sensitive value in its input, counted from the day
it was written). A closed segment may be deleted once every entry in it is past that day, and
only segments older than every kept one, so the log always starts at a segment boundary
whose predecessor a ``pruned`` record names.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

from finpolicy.audit.errors import AuditError
from finpolicy.audit.records import decode, digest
from finpolicy.audit.sinks import Sink


def today_utc() -> dt.date:
    """Today in UTC, the calendar of the entries' ``retain_until``."""
    return dt.datetime.now(dt.UTC).date()


def as_day(value: Any, name: str) -> dt.date:
    """``value`` as a day: a date, an aware datetime (its UTC day) or ISO text.

    Raises:
        AuditError: naming ``name``, when ``value`` is none of them.
    """
    day = value
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            day = None
    elif isinstance(value, dt.datetime):
        day = value.astimezone(dt.UTC).date() if value.tzinfo is not None else None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise AuditError(f"{name} must be a date, a datetime with a time zone or ISO text "
                         f"(YYYY-MM-DD), got {type(value).__name__} {value!r:.40}")
    return day


def prune_day(today: Any) -> dt.date:
    """The day a prune counts retention on: ``today`` (``as_day``) or, when ``None``, today
    (UTC).

    Raises:
        AuditError: ``today`` is no day, or after today (entries would go before their
            retention ends).
    """
    real = today_utc()
    if today is None:
        return real
    day = as_day(today, "prune: today")
    if day > real:
        raise AuditError(f"cannot prune as of {day}, after today ({real}): entries would be "
                         "deleted before their retention ends")
    return day


class PruneTask:
    """A prune asked of the writer thread, and its outcome."""

    __slots__ = ("day", "done", "error", "result")

    def __init__(self, day: dt.date) -> None:
        self.day = day
        self.done = threading.Event()
        self.result: list[int] = []
        self.error: AuditError | None = None


def prune_segments(sink: Sink, live: int, task: PruneTask) -> dict[str, Any] | None:
    """Delete the segments due on ``task.day`` (``prunable``); the fields of the ``pruned``
    record for what went (``None``: nothing did). A store that refuses a deletion (no right
    to delete) stops no decision: ``task.error`` says so, and the record names what went
    before it refused."""
    due = prunable(sink, live, task.day)
    if not due:
        return None
    try:
        sink.drop([segment for segment, _, _ in due])
    except Exception as exc:  # the store's own error, whatever its kind
        left = set(sink.segments())
        due = list(itertools.takewhile(lambda item: item[0] not in left, due))
        went = f"stopped after segment {due[-1][0]}" if due else "deleted nothing"
        task.error = AuditError(f"pruning {went}: the store refused ({type(exc).__name__}: "
                                f"{exc}); the log goes on")
        if not due:
            return None
    task.result = [segment for segment, _, _ in due]
    _, last_seq, last_hash = due[-1]
    return {"segments": task.result, "through": last_seq, "head": last_hash,
            "as_of": task.day.isoformat(),
            "reason": f"retention: every entry retained until before {task.day}"}


def prunable(sink: Sink, live: int, today: dt.date) -> list[tuple[int, int, str]]:
    """The oldest closed segments all of whose entries are past retention on ``today``,
    oldest first, each with the seq and hash of the last record it holds."""
    gone: list[tuple[int, int, str]] = []
    expired = _expired(sink, today)
    for segment in sink.segments():
        if segment >= live or not expired.get(segment, False):
            break
        body = sink.last_body(segment)
        if body is None:
            break
        gone.append((segment, int(decode(body)["seq"]), digest(body)))
    return gone


def _expired(sink: Sink, today: dt.date) -> dict[int, bool]:
    """Per segment: whether every decision in it is past its ``retain_until``."""
    out: dict[int, bool] = {}
    day = today.isoformat()
    for stored in sink.records():
        if stored.problem or stored.torn:
            out[stored.segment] = False
            continue
        expired = out.setdefault(stored.segment, True)
        if not expired or b'"type":"decision"' not in stored.body:
            continue
        retain = decode(stored.body).get("retain_until")
        if retain is None or str(retain) >= day:
            out[stored.segment] = False
    return out
