"""Where a decision log's writer stands: the chain's end and the records not yet stored."""

from __future__ import annotations

import datetime as dt
import time

import attrs

from finpolicy.audit.errors import AuditError
from finpolicy.audit.keys import AuditKeys
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
    def resume(cls, tail: Tail, keys: AuditKeys, where: str) -> WriterState:
        """Continue the log whose end is ``tail`` with ``keys``, which must be its own:
        checkpoints signed by another key would read as forged, and values sealed or hashed
        under another secret could not be found or replayed with the log's.

        Raises:
            AuditError: the log (at ``where``) names another signing key or sealing secret.
        """
        other = [(what, named, ours) for what, named, ours in (
            ("signing key", tail.key, keys.key_id),
            ("sealing secret", tail.sealing, keys.secret_id)) if named and named != ours]
        if other:
            said = "; ".join(f"its {what} is {named}, these keys' is {ours}"
                             for what, named, ours in other)
            raise AuditError(f"{where}: cannot continue this log with other keys ({said}). A "
                             "log keeps the keys it was opened with: to rotate keys, start a "
                             "new log with the new keys, and keep the old public key and "
                             "sealing secret for the old log")
        started = dt.datetime.fromisoformat(tail.segment_started.replace("Z", "+00:00"))
        return cls(tail.log_id, tail.seq, tail.hash, tail.segment, tail.segment_records,
                   started.timestamp())


