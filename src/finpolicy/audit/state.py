"""Where a decision log's writer stands: the chain's end and the records not yet stored."""

from __future__ import annotations

import datetime as dt
import time

import attrs

from finpolicy.audit.sinks import Row, Tail, replace_file

__all__ = ["WriterState", "replace_file"]


@attrs.define
class WriterState:
    """Where the chain stands (writer thread only)."""

    log_id: str
    seq: int
    prev: str
    segment: int
    segment_records: int
    segment_started: float
    out: list[Row] = attrs.Factory(list)  # made, not yet written
    checkpoint: Row | None = None  # the newest checkpoint among them
    unsigned: int = 0
    signed_at: float = attrs.Factory(time.monotonic)

    @classmethod
    def resume(cls, tail: Tail) -> WriterState:
        started = dt.datetime.fromisoformat(tail.segment_started.replace("Z", "+00:00"))
        return cls(tail.log_id, tail.seq, tail.hash, tail.segment, tail.segment_records,
                   started.timestamp())


