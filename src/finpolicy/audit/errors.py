"""Errors of the decision log and of bundle signatures."""

from __future__ import annotations

from finpolicy.errors import FinpolicyError


class AuditError(FinpolicyError, RuntimeError):
    """The decision log cannot do what was asked: missing keys, an unreadable log, a writer
    that failed, a queue that stayed full (the decision is then refused, never left unlogged).
    """


class LogFullError(AuditError):
    """The log's queue stayed full past its timeout; the decision was not returned."""
