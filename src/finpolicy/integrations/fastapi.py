"""A FastAPI dependency that authorizes the current request (the ``integrations`` extra).

    def record(request):  # the record's own department and branch: a resource without
        owner = owners[request.path_params["id"]]  # them is out of every role's scope
        return {"type": "customer_record", "data_level": "important",
                "category": "basic_identity", "department": owner.department,
                "branch": owner.branch}

    read_customer = Authorize(engine, action="read", purpose="account_service",
                              resource=record)

    @app.get("/customers/{id}")
    def customer(id: str, decision: AccessDecision = Depends(read_customer)): ...

The subject is the framework's user (``request.scope["user"]``, set by Starlette's
``AuthenticationMiddleware``), or what ``subject=`` returns for the request. ``subject``,
``action``, ``resource`` and ``purpose`` may be ``async`` functions of the request (one that
reads the body, say): they are awaited, and the decision is taken in the thread pool, as
FastAPI runs a synchronous dependency. A denial is a 403 whose ``detail`` holds the reasons
(``finpolicy.integrations.denial``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from finpolicy.facade import AccessDecision, PolicyEngine
from finpolicy.integrations import AccessDenied, RouteAccess, Source, denial

__all__ = ["Authorize"]


class Authorize:
    """``Depends(Authorize(engine, action=..., resource=..., purpose=...))``: the request's
    ``AccessDecision`` when it allows; a 403 with the reasons otherwise."""

    def __init__(self, engine: PolicyEngine | Callable[[], PolicyEngine], *, action: Source,
                 resource: Source, purpose: Source,
                 subject: Callable[[Request], Any] | None = None) -> None:
        self.route = RouteAccess(engine, action=action, resource=resource, purpose=purpose,
                                 subject=subject)

    async def __call__(self, request: Request) -> AccessDecision:
        route = self.route
        resolved = {name: await _awaited(getattr(route, name), request)
                    for name in ("action", "resource", "purpose", "subject")}
        if any(resolved[name] is not getattr(route, name) for name in resolved):
            route = RouteAccess(route.engine, **resolved)
        try:
            return await run_in_threadpool(route.decide, request, request.scope.get("user"))
        except AccessDenied as denied:
            raise HTTPException(403, detail=denial(denied.decision)) from None


async def _awaited(source: Any, request: Request) -> Any:
    """``source`` itself, unless it is an async function of the request: then a function
    giving what it returned for this one (still a value the request brings, so an invalid
    one is a 403 naming it, as a synchronous function's is)."""
    if not callable(source) or not (inspect.iscoroutinefunction(source)
                                    or inspect.iscoroutinefunction(type(source).__call__)):
        return source  # a value, or a function called in the thread pool with the decision
    value = await source(request)
    return lambda _request: value
