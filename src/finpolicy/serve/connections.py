"""Connections that do not send a request in time are closed.

uvicorn closes a connection that stays idle ``--keep-alive`` seconds *after an answer*, and
nothing else: a connection that sends nothing, or the start of a request's head and no more
(a "slowloris" client), or keeps sending the body of a request already refused, stayed open
for as long as its client wished. No token is needed for any of it, so anyone who reaches
the port could hold every file descriptor the process may open, and the service accepted no
more connections.

``HeadDeadline`` (uvicorn's HTTP/1.1 protocol) closes a new connection that sends nothing
within ``--keep-alive`` seconds, as uvicorn closes one idle after an answer (a load balancer
that opens connections ahead of its requests holds them idle up to its own idle timeout,
which ``--keep-alive`` is set above), and gives every request's head, from its first byte,
``HEAD_SECONDS`` to arrive whole, and the body of a request whose head arrived
``BODY_SECONDS`` from then (a caller with the token, trickling a byte at a time, held its
connection as long: 1,000 of them 1,000 descriptors); otherwise the connection is closed (a
body cut off counts as ``client_disconnected``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["BODY_SECONDS", "HEAD_SECONDS", "HeadDeadline"]

HEAD_SECONDS = 10.0
"""Seconds a client has to send a request's whole head (the request line and headers)."""
BODY_SECONDS = 60.0
"""Seconds a client has to send a request's whole body once its head arrived (16 MiB, the
largest body read, at 2.3 Mbit/s)."""


class HeadDeadline(H11Protocol):
    """uvicorn's h11 protocol, closing a connection that sends nothing within the keep-alive
    timeout, whose request head does not arrive whole within ``seconds`` (``HEAD_SECONDS``)
    of its first byte, or whose request body does not within ``body_seconds``
    (``BODY_SECONDS``) of its head."""

    seconds = HEAD_SECONDS
    body_seconds = BODY_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._head_started = False
        self._body_started = False

    def _waiting(self) -> bool:
        """Whether no request is under way: the next bytes are a request's head."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        late = self._waiting() or self.cycle.more_body  # a head, or a body, not all here
        if late and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.timeout_keep_alive)  # idle before its first request, as after one

    def data_received(self, data: bytes) -> None:
        if self._waiting():
            self._body_started = False
            if not self._head_started:
                self._head_started = True
                self._arm(self.seconds)
        super().data_received(data)
        if self._waiting():
            return
        self._head_started = False  # the head arrived: a request is under way
        if not self.cycle.more_body:  # and its body
            self._body_started = False
            self._disarm()
        elif not self._body_started:
            self._body_started = True
            self._arm(self.body_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
