"""The HTTP app: ``POST /v1/<domain>/<method>`` for every served operation, batches, the
bundle's metadata, health, readiness and metrics (FastAPI).

Errors map to statuses: an invalid body or ``InputError`` → 422 with the field problems; no
policy in force → 409; anything else → 500 whose body denies (``outcome: deny``,
``allowed: false``), so a caller that reads the outcome of a failed request never allows.
Bodies are read strictly (``bodies``); every response carries the request's id and every
error response is counted (``exchange``).
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import attrs
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from finpolicy import __version__
from finpolicy.audit.errors import AuditError
from finpolicy.domains.base import Call
from finpolicy.errors import CalendarError, InputError, NotInForceError
from finpolicy.runtime import BundleRuntime
from finpolicy.serve.bodies import JSONRoute, body_problems
from finpolicy.serve.endpoints import Endpoint, bundle_ref, endpoints, outcomes, plain
from finpolicy.serve.exchange import REQUEST_ID, REQUEST_ID_PATTERN, Exchange, request_id
from finpolicy.serve.explaining import add_explanations
from finpolicy.serve.openapi import declare_headers
from finpolicy.serve.probes import UNAUTHORIZED, add_service_routes
from finpolicy.serve.schemas import ErrorBody, answer_models
from finpolicy.serve.service import Service
from finpolicy.serve.tokens import bearer_token, known, tokens

__all__ = ["create_app"]

_LOG = logging.getLogger("finpolicy.serve")
_BUNDLE_HEADER = "X-Finpolicy-Bundle-Digest"
_REQUEST_ID_PARAMETER = inspect.Parameter(
    "given_id", inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
    default=Header(None, alias=REQUEST_ID, pattern=REQUEST_ID_PATTERN,
                   description="The caller's id of this request (1 to 128 letters, digits, "
                               "`.`, `_`, `:`, `-`): the decision log records it with every "
                               "decision of the request, and the response echoes it. One is "
                               "made up when none is given."))


_Responses = dict[int | str, dict[str, Any]]
_UNAUTHORIZED: _Responses = UNAUTHORIZED
_INTERNAL: _Responses = {
    500: {"model": ErrorBody, "description": "Internal error: the body denies"}}
_ERRORS: _Responses = {
    **_UNAUTHORIZED,
    409: {"model": ErrorBody, "description": "No policy in force at the evaluation time"},
    413: {"model": ErrorBody, "description": "The body is larger than the service reads"},
    415: {"model": ErrorBody, "description": "The body was not sent as JSON (Content-Type: "
                                            "application/json)"},
    422: {"model": ErrorBody, "description": "Invalid input: the problems name each field "
                                            "(a body that is not JSON included)"},
    **_INTERNAL,
}


def _error(status: int, error: str, message: str,
           problems: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error, "message": message, "problems": list(problems)}
    if status >= 500:
        body |= {"outcome": "deny", "allowed": False}
    return body


def _failure(exc: Exception) -> tuple[int, dict[str, Any]]:
    """The status and body of a call that raised ``exc``."""
    if isinstance(exc, InputError):
        problems = [{"path": p.path, "message": p.message, "code": p.code}
                    for p in exc.problems]
        return 422, _error(422, "invalid_input", str(exc), problems)
    if isinstance(exc, NotInForceError | CalendarError):
        return 409, _error(409, "not_in_force", str(exc))
    if isinstance(exc, AuditError):  # a known state, which /ready reports: one line each
        _LOG.error("decision refused, the decision log cannot record it: %s", exc)
        return 500, _error(500, "internal_error",
                           "the decision log cannot record the decision; the request is "
                           "denied (GET /ready says why)")
    _LOG.error("internal error", exc_info=exc)
    return 500, _error(500, "internal_error",
                       f"internal error ({type(exc).__name__}); the request is denied")


def _in_body(exc: Exception, call: Call) -> Exception:
    """``exc`` with each problem placed in the request body: the typed API names a field of
    the model it checked (``category`` of a ``Complaint``), the body holds that model under a
    name of its own (``complaint.category``)."""
    if not isinstance(exc, InputError) or exc.model is None:
        return exc
    holders = [name for name in type(call).model_fields
               if type(getattr(call, name, None)).__name__ == exc.model]
    if len(holders) != 1:
        return exc
    fields = type(call).model_fields
    problems = [p if p.path.split(".", 1)[0] in fields else
                attrs.evolve(p, path=f"{holders[0]}.{p.path}" if p.path else holders[0])
                for p in exc.problems]
    return InputError(problems, model=exc.model)


MAX_BODY_BYTES = 16 * 1024 * 1024
"""The largest request body the service reads (a larger one is refused with 413)."""


class _BodyLimit:
    """ASGI middleware refusing a request whose body exceeds ``limit`` bytes, counted as it
    arrives (a chunked body has no length to check up front)."""

    def __init__(self, app: Any, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # the app's HTTP error handler answers 413
                raise HTTPException(413, _too_large_message(self.limit))
            return message

        await self.app(scope, counted, send)


class _Authenticated:
    """ASGI middleware refusing a ``/v1`` or ``/metrics`` request without the bearer token
    before its body is read: the routes' own check runs after the body is parsed, so anyone
    could make the service read and walk 16 MiB of JSON (seconds, gigabytes) unasked."""

    def __init__(self, app: Any, token: str | Sequence[str]) -> None:
        self.app = app
        self.expected = tokens(token)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        path = path.removeprefix(scope.get("root_path", ""))  # (an app mounted under a prefix)
        if path.startswith("/v1/") or path == "/metrics":
            given = bearer_token(scope)
            if given is None or not known(given, self.expected):
                await JSONResponse(_error(401, "unauthorized", _UNAUTHORIZED_MESSAGE),
                                   status_code=401, headers={"WWW-Authenticate": "Bearer"})(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


_UNAUTHORIZED_MESSAGE = "missing or wrong bearer token"


def _too_large_message(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(_error(413, "body_too_large", _too_large_message(limit)),
                        status_code=413)


def create_app(service: Service, *, token: str | Sequence[str] | None = None,
               max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """The FastAPI app serving ``service``; with ``token``, every ``/v1`` request and
    ``/metrics`` must carry ``Authorization: Bearer <token>`` (any one of several given, as
    while callers move to a new token); a body over ``max_body`` bytes is refused (413)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="finpolicy decision service", version=__version__,
                  description="Policy decisions over HTTP: one endpoint per domain operation, "
                              "its body the operation's arguments as JSON.",
                  lifespan=lifespan, redirect_slashes=False,
                  # (Swagger UI and ReDoc pages load their scripts from a public CDN, at a
                  # floating version, unauthenticated: /openapi.json serves any local viewer)
                  docs_url=None, redoc_url=None)
    app.router.route_class = JSONRoute
    auth = Depends(_authenticator(token))
    _add_error_handlers(app)
    for endpoint in endpoints():
        single, batch = answer_models(endpoint.model.__name__.removesuffix("Call"),
                                      endpoint.returns)
        app.post(endpoint.path, operation_id=f"{endpoint.domain}.{endpoint.method}",
                 summary=endpoint.summary, tags=[endpoint.domain], response_model=single,
                 responses=_ERRORS, dependencies=[auth])(_single(service, endpoint))
        app.post(f"{endpoint.path}/batch",
                 operation_id=f"{endpoint.domain}.{endpoint.method}.batch",
                 summary=f"Many calls of {endpoint.method}, decided on one bundle",
                 tags=[endpoint.domain], response_model=batch,
                 responses={k: v for k, v in _ERRORS.items() if k != 409},
                 dependencies=[auth])(_batch(service, endpoint))
    add_explanations(app, service, dependencies=[auth], responses=_ERRORS, failure=_failure,
                     request_id=_REQUEST_ID_PARAMETER)
    add_service_routes(app, service, auth, None if token is None else tokens(token))
    app.add_middleware(_BodyLimit, limit=max_body)
    if token is not None:
        app.add_middleware(_Authenticated, token=token)  # before the body is read
    app.add_middleware(Exchange, metrics=service.metrics, operations=_operations(app),
                       failure=_failure)  # outermost: it sees every answer
    declare_headers(app)
    return app


def _operations(app: FastAPI) -> dict[str, tuple[str, str]]:
    """Path → (domain, operation), the labels of its error count (``service`` and the
    route's name for the service's own routes)."""
    found: dict[str, tuple[str, str]] = {}
    for route in app.routes:
        path = str(getattr(route, "path", ""))
        operation = str(getattr(route, "operation_id", None) or getattr(route, "name", ""))
        domain, _, method = operation.partition(".")
        found[path] = (domain, method.removesuffix(".batch")) if method else \
            ("service", operation)
    return found


def _authenticator(token: str | Sequence[str] | None) -> Callable[..., Awaitable[None]]:
    bearer = HTTPBearer(auto_error=False, description="A token of `--token-file`")
    expected = None if token is None else tokens(token)

    async def authenticate(credentials: HTTPAuthorizationCredentials | None) -> None:
        if expected is None:
            return
        given = b"" if credentials is None else credentials.credentials.encode()
        if not known(given, expected):  # constant time: no guessing by timing
            raise HTTPException(401, _UNAUTHORIZED_MESSAGE,
                                headers={"WWW-Authenticate": "Bearer"})

    # the scheme object is made here, so the signature is given as objects, not as text
    authenticate.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("credentials", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                           annotation=HTTPAuthorizationCredentials | None,
                           default=Depends(bearer))])
    return authenticate


def _not_found(app: FastAPI, path: str) -> str:
    """What a 404 says: the path, and the one meant when only a trailing slash differs
    (answered 404, not redirected: behind a TLS proxy the redirect would name the service's
    own address and scheme)."""
    meant = path.rstrip("/")
    paths = [p for p in (getattr(r, "path", None) for r in app.routes) if isinstance(p, str)]
    if meant != path and meant in paths:
        return f"no such path `{path}`; did you mean `{meant}`?"
    # a misspelt domain or method (`/v1/consent/check_consent`): the service's nearest paths
    close = difflib.get_close_matches(path, [p for p in paths if p.startswith("/v1/")], n=3,
                                      cutoff=0.75)
    if close:
        return f"no such path `{path}`; did you mean " + \
            " or ".join(f"`{c}`" for c in close) + "?"
    return f"no such path `{path}`"


def _add_error_handlers(app: FastAPI) -> None:
    async def invalid_body(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = body_problems(exc)
        message = "; ".join(f"{p['path'] or 'body'}: {p['message']}" for p in problems[:5])
        return JSONResponse(_error(422, "invalid_input", message, problems), status_code=422)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        error = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
                 413: "body_too_large", 415: "unsupported_media_type"}.get(
            exc.status_code, "http_error")
        message = str(exc.detail)
        if exc.status_code == 404:
            message = _not_found(app, request.url.path)
        return JSONResponse(_error(exc.status_code, error, message),
                            status_code=exc.status_code, headers=exc.headers)

    async def invalid_input(request: Request, exc: Exception) -> JSONResponse:
        status, body = _failure(exc)  # (a body ``read_json`` refuses)
        return JSONResponse(body, status_code=status)

    app.add_exception_handler(RequestValidationError, invalid_body)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(InputError, invalid_input)
    # any other exception: ``Exchange`` answers a denying 500


def _decide(service: Service, endpoint: Endpoint, call: Call, runtime: BundleRuntime,
            context: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Take one decision on ``runtime``, with ``context`` for the decision log; its status
    and body (result or error)."""
    metrics = service.metrics
    log = service.engine.log
    try:
        with contextlib.nullcontext() if log is None else log.context(**context):
            answer = service.engine.call(endpoint.method, call.arguments(), on=runtime)
        body = {"result": plain(answer.result)}
    except Exception as exc:  # every failure becomes a status; a server error denies
        return _failure(_in_body(exc, call))  # (counted by ``Exchange``, or by the batch)
    for outcome in outcomes(answer.result):
        metrics.decisions.labels(endpoint.domain, endpoint.method, outcome).inc()
    return 200, body


def _unloggable_id(service: Service, made: str) -> JSONResponse | None:
    """A 422 for a request id the decision log may not keep (it keeps the caller context in
    clear, and refuses a card or resident ID number there); the request is not decided."""
    if service.engine.log is None:
        return None
    from finpolicy.audit.caller import checked_context

    try:
        checked_context({"request_id": made})
    except AuditError:
        message = (f"{REQUEST_ID} looks like a card or resident ID number; the decision log "
                   "keeps request ids in clear, so send an id that holds no customer's data")
        return JSONResponse(_error(422, "invalid_input", message, [
            {"path": f"header.{REQUEST_ID}", "message": message, "code": "bad_request_id"}]),
            status_code=422)
    return None


def _stored(service: Service, endpoint: Endpoint) -> tuple[int, dict[str, Any]] | None:
    """Wait until the decision log has written the decisions taken so far to its store (a
    decision is never answered that the log may not keep); the error that denies them when
    it cannot. Concurrent requests share the writer's batches."""
    wait = getattr(service.engine.log, "wait_written", None)
    if wait is None:
        return None
    try:
        wait(timeout=service.log_wait)
    except Exception as exc:  # the log failed or fell behind: the decision is denied
        return _failure(exc)  # (counted by ``Exchange``, or by the batch for its calls)
    return None


def _with_body(handler: Callable[..., Response], model: type[BaseModel]) -> Callable[..., Any]:
    # FastAPI reads the body's model from the signature; the model is only known at run time
    # (the header is declared for validation and the docs; ``Exchange`` reads and echoes it)
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=model),
         inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                           annotation=Request),
         _REQUEST_ID_PARAMETER])
    return handler


def _headers(runtime: BundleRuntime) -> dict[str, str]:
    return {_BUNDLE_HEADER: runtime.bundle.digest}


def _single(service: Service, endpoint: Endpoint) -> Callable[..., Any]:
    def handle(body: Call, request: Request, *, given_id: str | None = None) -> Response:
        runtime = service.engine.runtime
        made = request_id(request.scope)
        refused = _unloggable_id(service, made)
        if refused is not None:
            return refused
        started = time.perf_counter()
        status, content = _decide(service, endpoint, body, runtime, {"request_id": made})
        if status == 200:  # (the wait for the decision log is part of the answer's time)
            status, content = _stored(service, endpoint) or (status, content)
        service.metrics.latency.labels(endpoint.domain, endpoint.method).observe(
            time.perf_counter() - started)
        if status == 200:
            content = {"bundle": bundle_ref(runtime.bundle), **content}
        return JSONResponse(content, status_code=status, headers=_headers(runtime))

    handle.__doc__ = endpoint.model.__doc__
    return _with_body(handle, endpoint.model)


def _batch(service: Service, endpoint: Endpoint) -> Callable[..., Any]:
    def handle(body: Any, request: Request, *, given_id: str | None = None) -> Response:
        runtime = service.engine.runtime  # one bundle for the whole batch
        made = request_id(request.scope)
        refused = _unloggable_id(service, made)
        if refused is not None:
            return refused
        results, took = [], []
        for item, call in enumerate(body.calls):
            started = time.perf_counter()
            status, content = _decide(service, endpoint, call, runtime,
                                      {"request_id": made, "item": item})
            took.append(time.perf_counter() - started)
            results.append({"status": status, "result": content.get("result"),
                            "error": None if status == 200 else content})
        started = time.perf_counter()
        unstored = _stored(service, endpoint) if any(r["status"] == 200 for r in results) \
            else None
        waited = time.perf_counter() - started  # (each call's answer waited for the log)
        for seconds in took:
            service.metrics.latency.labels(endpoint.domain, endpoint.method).observe(
                seconds + waited)
        if unstored is not None:  # none of them is known to be logged: all are denied
            results = [r if r["status"] != 200 else
                       {"status": unstored[0], "result": None, "error": unstored[1]}
                       for r in results]
        for result in results:  # each call that failed (the batch itself answers 200)
            error = result["error"]
            if isinstance(error, dict):
                service.metrics.errors.labels(endpoint.domain, endpoint.method,
                                              error["error"]).inc()
        return JSONResponse({"bundle": bundle_ref(runtime.bundle), "results": results},
                            headers=_headers(runtime))

    return _with_body(handle, endpoint.batch)
