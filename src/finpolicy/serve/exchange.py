"""What every response of the service shares, whatever answered it: the request's id in
``X-Request-Id``, ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``, one
count in ``finpolicy_request_errors_total`` per error response, and a denying 500 (never a
traceback) for an exception nothing else answered.

``Exchange`` wraps the whole app (as the outermost middleware), so it sees the answers of the
endpoints, of FastAPI's validation (422), of authentication (401), of the body limit (413) and
of unknown paths (404) alike.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse

from finpolicy.serve.metrics import Metrics

__all__ = ["REQUEST_ID", "REQUEST_ID_PATTERN", "Exchange", "request_id"]

REQUEST_ID = "X-Request-Id"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:\-]{1,128}$"
"""A caller's request id: 1 to 128 letters, digits, ``.``, ``_``, ``:``, ``-``."""
_VALID = re.compile(REQUEST_ID_PATTERN)
_STATE_KEY = "finpolicy.request_id"
_HARDENING = {
    # a decision holds a customer's data: no cache (a proxy's, a browser's) keeps it
    "Cache-Control": "no-store",
    # every body is JSON or text, some echoing what the caller sent (a 404 names the path,
    # `/<script>…`): never read as anything else
    "X-Content-Type-Options": "nosniff",
}

Failure = Callable[[Exception], tuple[int, dict[str, Any]]]
"""The status and body of a request whose handling raised the exception."""


def request_id(scope: Mapping[str, Any]) -> str:
    """The id of the request in ``scope``: the caller's ``X-Request-Id`` when it is a valid
    one, else the one ``Exchange`` made up (32 hex digits)."""
    state = scope.get("state") or {}
    found = state.get(_STATE_KEY)
    return found if isinstance(found, str) else uuid.uuid4().hex


def _given_id(scope: Mapping[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _VALID.match(text) else None
    return None


class Exchange:
    """ASGI middleware: the request id on every response, every error response counted (by
    the domain and operation of its path, and its ``error`` code), and an exception that
    reached it answered 500 with ``failure``'s denying body.

    Args:
        app: the ASGI app it wraps.
        metrics: the service's metrics.
        operations: path → (domain, operation) labels; other paths count under ``""``.
        failure: the status and body of an exception (it logs what needs logging).
    """

    def __init__(self, app: Any, *, metrics: Metrics,
                 operations: Mapping[str, tuple[str, str]], failure: Failure) -> None:
        self.app = app
        self.metrics = metrics
        self.operations = dict(operations)
        self.failure = failure

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _given_id(scope)
        made = given or uuid.uuid4().hex
        scope.setdefault("state", {})[_STATE_KEY] = made
        status, error = 0, bytearray()

        async def answer(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID] = made
                headers.update(_HARDENING)
            elif message["type"] == "http.response.body" and status >= 400:
                error.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    self._count(scope["path"], bytes(error))
            await send(message)

        try:
            await self.app(scope, receive, answer)
        except ClientDisconnect:  # gone before its body arrived: no one to answer, no fault
            self._count(scope["path"], b'{"error": "client_disconnected"}')
        except Exception as exc:  # nothing answered it: a 500 that denies
            if status:  # the response had started: nothing more can be said
                raise
            code, body = self.failure(exc)
            await JSONResponse(body, status_code=code)(scope, receive, answer)

    def _count(self, path: str, body: bytes) -> None:
        domain, method = self.operations.get(path, ("", ""))
        try:
            error = json.loads(body).get("error")
        except (ValueError, AttributeError):
            error = None
        self.metrics.errors.labels(domain, method,
                                   error if isinstance(error, str) else "http_error").inc()
