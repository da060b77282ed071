"""Provable decisions: a tamper-evident, masked decision log, its verification and replay.

``DecisionLog`` records every call of a ``PolicyEngine`` given ``log=``; ``verify_log``
checks the hash chain, the signed checkpoints and the head; ``replay_log`` evaluates the
logged inputs again, with the bundle that decided them or with another one; ``find_entries``
finds the entries that hold a value (a customer's id) the log keeps only masked. Needs the
``audit`` extra (``cryptography``, ``orjson``); PostgreSQL storage the ``postgres`` extra.

.. versionadded:: 0.2
"""

from __future__ import annotations

from finpolicy.audit.errors import AuditError, LogFullError
from finpolicy.audit.jsonl import JsonLinesSink
from finpolicy.audit.keys import AuditKeys, generate_keys
from finpolicy.audit.log import DecisionLog, current_context
from finpolicy.audit.replay import Mismatch, ReplayReport, read_entries, replay_log
from finpolicy.audit.search import Found, Place, find_entries
from finpolicy.audit.sinks import Sink, SqliteSink, open_sink
from finpolicy.audit.verify import Break, VerifyReport, verify_log

__all__ = [
    "AuditError",
    "AuditKeys",
    "Break",
    "DecisionLog",
    "Found",
    "JsonLinesSink",
    "LogFullError",
    "Mismatch",
    "Place",
    "ReplayReport",
    "Sink",
    "SqliteSink",
    "VerifyReport",
    "current_context",
    "find_entries",
    "generate_keys",
    "open_sink",
    "read_entries",
    "replay_log",
    "verify_log",
]
