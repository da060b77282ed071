"""Where a decision log's writer stands: the chain's end and the records not yet stored."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import attrs

from finpolicy.audit.errors import AuditError
from finpolicy.audit.keys import AuditKeys, public_key_bytes
from finpolicy.audit.records import b64
from finpolicy.audit.sinks import Row, Tail, replace_file

__all__ = ["WriterState", "check_settings", "key_fields", "replace_file"]


def key_fields(keys: AuditKeys) -> dict[str, Any]:
    """What a segment's first record says of the keys its entries are signed, sealed and
    hashed with."""
    return {"key": keys.key_id, "public_key": b64(public_key_bytes(keys.public_key)),
            "sealing": keys.secret_id}


def check_settings(**settings: tuple[object, float]) -> None:
    """Refuse a log setting that is no number or below its least value.

    Raises:
        AuditError: naming the setting, its least value and what was given.
    """
    for name, (value, least) in settings.items():
        if not isinstance(value, int | float) or isinstance(value, bool) \
                or not value >= least:  # (NaN too)
            raise AuditError(f"{name} must be at least {least}, got {value!r}")


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


