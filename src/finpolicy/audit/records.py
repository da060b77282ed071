"""The record format of a decision log: framed, hash-chained JSON.

Every record is one JSON object, its **body**, written in a frame that names its hash::

    {"hash":"<sha256 of the body bytes, hex>","record":<body>}

The hash covers the body's exact bytes, so any change to a stored record — one byte is
enough — no longer matches. Each body carries ``seq`` (1, 2, 3 …, one number per record of the
log, across segments) and ``prev``, the hash of the record before it (64 zeros for the first),
so deleting, inserting or reordering records breaks the chain at that place. Every body also
has ``type`` and ``at`` (UTC time of writing); the types are:

``open``        the first record: log id, format, the public key that signs checkpoints.
``segment``     the first record of each later segment (rotation).
``decision``    one call of the engine: domain, method, masked input, sealed input, decisions.
``checkpoint``  an Ed25519 signature over the log id, its own ``seq`` and ``prev``.
``resume``      a writer reopened the log (and how many torn bytes of a crashed write it cut).
``pruned``      segments removed by retention, and the hash the kept log starts from.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import orjson

from finpolicy.audit.encode import exact_loads
from finpolicy.audit.errors import AuditError

FORMAT = "finpolicy-audit/1"
GENESIS = "0" * 64
_PREFIX = b'{"hash":"'
_MID = b'","record":'
_SUFFIX = b"}"
_HEAD = len(_PREFIX) + 64 + len(_MID)

RECORD_TYPES = ("open", "segment", "decision", "checkpoint", "resume", "pruned")


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def frame(body: bytes) -> tuple[bytes, str]:
    """The stored form of ``body`` and its hash."""
    h = digest(body)
    return framed(h, body), h


def framed(h: str, body: bytes) -> bytes:
    """The stored form of ``body`` whose hash is ``h``."""
    return b"".join((_PREFIX, h.encode(), _MID, body, _SUFFIX))


def unframe(stored: bytes) -> tuple[str, bytes]:
    """``(stored hash, body bytes)`` of a framed record.

    Raises:
        ValueError: the bytes are not a framed record.
    """
    if len(stored) < _HEAD + 2 or not stored.startswith(_PREFIX) \
            or stored[_HEAD - len(_MID):_HEAD] != _MID or not stored.endswith(_SUFFIX):
        raise ValueError("not a framed record")
    return stored[len(_PREFIX):len(_PREFIX) + 64].decode("ascii", "replace"), \
        stored[_HEAD:-len(_SUFFIX)]


def utc_text(when: dt.datetime) -> str:
    """A record's time as it is written (``2026-03-02T02:00:01.5Z``)."""
    return when.isoformat().replace("+00:00", "Z")


def encode(body: dict[str, Any]) -> bytes:
    """The body's bytes (keys in the order given; ``orjson.Fragment`` values inlined)."""
    return orjson.dumps(body)


def decode(body: bytes) -> dict[str, Any]:
    data = exact_loads(body)
    if not isinstance(data, dict):
        raise ValueError("a record body must be a JSON object")
    return data


def checkpoint_message(log_id: str, seq: int, prev: str, at: str, *,
                       final: bool = False) -> bytes:
    """What a checkpoint signs: the log, its place in the chain, when, and whether its
    writer closed the log with it."""
    return (f"{FORMAT} checkpoint\n{log_id}\n{seq}\n{prev}\n{at}"
            + ("\nfinal" if final else "")).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise AuditError(f"{what}: expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise AuditError(f"{what}: expected base64 text") from None
