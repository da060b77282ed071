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

from finpolicy.errors import InputError

__all__ = ["decided_at", "now"]

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
