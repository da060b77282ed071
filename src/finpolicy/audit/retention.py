"""Retention: which closed segments of a log may go.

An entry keeps ``retain_until``, the day its retention ends (the classification policy's
``audit_log_retention_days`` for the most sensitive value in its input, counted from the day
it was written). A closed segment may be deleted once every entry in it is past that day, and
only segments older than every kept one, so the log always starts at a segment boundary
whose predecessor a ``pruned`` record names.
"""

from __future__ import annotations

import datetime as dt

from finpolicy.audit.records import decode, digest
from finpolicy.audit.sinks import Sink


def prunable(sink: Sink, live: int, today: dt.date) -> tuple[list[int], int, str]:
    """The oldest closed segments all of whose entries are past retention on ``today``,
    with the seq and hash of the last record they hold."""
    gone: list[int] = []
    last_seq, last_hash = 0, ""
    expired = _expired(sink, today)
    for segment in sink.segments():
        if segment >= live or not expired.get(segment, False):
            break
        body = sink.last_body(segment)
        if body is None:
            break
        gone.append(segment)
        last_seq, last_hash = int(decode(body)["seq"]), digest(body)
    return gone, last_seq, last_hash


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
