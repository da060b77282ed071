"""The time a request that names none is decided at: now, or the time ``decided_at`` sets.

A request of the access and consent domains carries its own ``as_of``; without one it is
decided at the moment of the call. A domain's ``evaluate_input`` given an ``as_of`` decides
such a request at that time *without changing the request*, so the decision (its input
digest included) is the one a call at that moment made — which is what replaying a decision
log needs.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from finpolicy.errors import InputError, NotInForceError

if TYPE_CHECKING:
    from finpolicy.documents.bundle import PolicyDocument
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind
    from finpolicy.runtime import Runtime

__all__ = ["decided_at", "in_force_beside", "now"]

P = TypeVar("P", bound="CompiledPolicy")

_AT: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "finpolicy_decided_at", default=None)


def now() -> dt.datetime:
    """The time a request without ``as_of`` is decided at (aware)."""
    return _AT.get() or dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def decided_at(when: dt.datetime | None) -> Iterator[None]:
    """Decide requests that name no time at ``when`` in this block; ``None``: now.

    Raises:
        InputError: ``when`` has no time zone offset (``as_of``).
    """
    if when is not None and when.utcoffset() is None:
        raise InputError.one("as_of", "expected a datetime with a time zone offset",
                             "naive_datetime", when)
    token = _AT.set(when)
    try:
        yield
    finally:
        _AT.reset(token)


def in_force_beside(runtime: Runtime, kind: PolicyKind[Any, P], own: dt.date,
                    policy: str | None) -> PolicyDocument[P]:
    """The document of ``kind`` in force on the day after ``own`` or the day before, for an
    instant whose own date has none: its day in the policy's time zone is one of them (offsets
    are under a day), and that document's zone tells which.

    Raises:
        NotInForceError: none is in force on either day (naming ``own``).
    """
    for step in (1, -1):
        with contextlib.suppress(NotInForceError, OverflowError):
            return runtime.policy(kind, own + dt.timedelta(days=step), policy)
    return runtime.policy(kind, own, policy)  # (raises, naming the day given)
