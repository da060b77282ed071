"""The caller's side of a decision log: the call it hands over, the context it attaches
(``DecisionLog.context``), and whether this process may write to a log at all (a log opened
before a fork has no writer in the child)."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from finpolicy.audit.errors import AuditError

__all__ = ["CONTEXT", "Call", "Opener", "current_context"]

CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "finpolicy_audit_context", default=None)

_FORKS = [0]  # forks this process descends from
os.register_at_fork(after_in_child=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))


def current_context() -> dict[str, Any] | None:
    """The caller context set by ``DecisionLog.context`` in this thread or task."""
    return CONTEXT.get()


class Call(NamedTuple):
    """One engine call as the caller hands it over (a tuple: cheap to make)."""

    method: str
    inputs: Mapping[str, Any]
    result: Any
    bundle: Any
    engine: str
    context: dict[str, Any] | None
    at: float


class Opener:
    """The process that opened a log: only it has the log's writer."""

    __slots__ = ("forks", "pid")

    def __init__(self) -> None:
        self.forks, self.pid = _FORKS[0], os.getpid()

    @property
    def here(self) -> bool:
        """Whether this is still that process (not one forked from it)."""
        return self.forks == _FORKS[0]

    def check(self) -> None:
        """Raise when this process was forked from the opener (a check without locks: a
        lock another thread held at the fork stays held in the child)."""
        if self.forks != _FORKS[0]:
            raise AuditError(
                f"this decision log was opened in process {self.pid}, and process "
                f"{os.getpid()} was forked from it: the log has no writer here, so the "
                "decision is refused; open a log in each process after the fork (a web "
                "server's post-fork hook, a process pool's initializer)")
