"""The service's own routes: ``/v1/bundle``, ``/health``, ``/ready`` and ``/metrics``.

``/health`` and ``/ready`` need no token: a liveness or readiness probe (a kubelet, a load
balancer) reads their status and nothing else. What they say beyond it — the bundle serving,
the folder watched, why a reload or the decision log failed (file paths, signers, a store's
address) — is for callers that hold a token of ``--token-file``: without one the body is the
status alone (``{"status": "degraded"}``, ``{"ready": false}``) under the same HTTP status.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from finpolicy.serve.endpoints import bundle_ref
from finpolicy.serve.schemas import BundleMetadata, ErrorBody, HealthBody, ReadyBody
from finpolicy.serve.service import Service
from finpolicy.serve.tokens import bearer_token, known

__all__ = ["UNAUTHORIZED", "add_service_routes"]

_Responses = dict[int | str, dict[str, Any]]
UNAUTHORIZED: _Responses = {
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token"}}
_INTERNAL: _Responses = {
    500: {"model": ErrorBody, "description": "Internal error: the body denies"}}
_PROBE = ("; the status alone (no bundle, folder or failure) to a caller without a token, "
          "when the service has one")


def _trusted(request: Request, expected: tuple[bytes, ...] | None) -> bool:
    """Whether the caller may read the details: it holds a token, or the service has none."""
    if expected is None:
        return True
    given = bearer_token(request.scope)
    return given is not None and known(given, expected)


def add_service_routes(app: FastAPI, service: Service, auth: Any,
                       expected: tuple[bytes, ...] | None) -> None:
    """Add the service's own routes; ``expected``: the digests of the tokens (``None``: no
    token is asked for)."""
    # coroutines, run on the event loop: never queued behind decisions that hold every
    # worker thread (waiting for a stalled decision log), so probes answer at once
    @app.get("/v1/bundle", tags=["service"], dependencies=[auth],
             responses={200: {"model": BundleMetadata}, **UNAUTHORIZED, **_INTERNAL})
    async def bundle() -> JSONResponse:
        """The bundle decisions are taken on: name, version, digest, documents."""
        return JSONResponse(service.bundle_metadata())

    @app.get("/health", tags=["service"], responses={
        200: {"model": HealthBody, "description": "Serving" + _PROBE},
        503: {"model": HealthBody, "description": "Failing: the decision log has failed, and "
                                                  "only a restart brings it back" + _PROBE}})
    async def health(request: Request) -> JSONResponse:
        """Serving; ``degraded`` (with the reason) when the last reload failed, ``failing``
        (503, so that a liveness probe restarts the process) when the decision log has.
        Without the token (when the service has one), the status alone."""
        body = service.health()
        status = 503 if body["status"] == "failing" else 200
        if not _trusted(request, expected):
            body = {"status": body["status"]}
        return JSONResponse(body, status_code=status)

    @app.get("/ready", tags=["service"], responses={
        200: {"model": ReadyBody, "description": "Ready" + _PROBE},
        503: {"model": ReadyBody, "description": "Not ready: the decision log has failed"
                                                 + _PROBE}})
    async def ready(request: Request) -> JSONResponse:
        """Ready to decide: a bundle is loaded and compiled, and the decision log (if any)
        takes decisions; 503 when it has failed (every decision would be refused). Without
        the token (when the service has one), ``ready`` alone."""
        failure = service.log_failure()
        body: dict[str, Any] = {"ready": failure is None}
        if _trusted(request, expected):
            body |= {"bundle": bundle_ref(service.engine.bundle),
                     **({"reason": failure} if failure else {})}
        return JSONResponse(body, status_code=200 if failure is None else 503)

    for path, probe in (("/health", health), ("/ready", ready)):  # monitors asking by HEAD
        app.add_api_route(path, probe, methods=["HEAD"], include_in_schema=False)

    @app.get("/metrics", tags=["service"], dependencies=[auth], response_class=Response,
             responses={200: {"content": {"text/plain": {}}}, **UNAUTHORIZED})
    async def metrics() -> Response:
        """Prometheus metrics (text exposition format)."""
        return Response(service.metrics.render(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")
