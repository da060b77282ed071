"""A FastAPI dependency that authorizes the current request (the ``integrations`` extra).

    read_customer = Authorize(engine, action="read", purpose="account_service",
                              resource={"type": "customer_record", "data_level": "important",
                                        "category": "basic_identity"})

    @app.get("/customers/{id}")
    def customer(id: str, decision: AccessDecision = Depends(read_customer)): ...

The subject is the framework's user (``request.scope["user"]``, set by Starlette's
``AuthenticationMiddleware``), or what ``subject=`` returns for the request. A denial is a
403 whose ``detail`` holds the reasons (``finpolicy.integrations.denial``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

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

    def __call__(self, request: Request) -> AccessDecision:
        try:
            return self.route.decide(request, request.scope.get("user"))
        except AccessDenied as denied:
            raise HTTPException(403, detail=denial(denied.decision)) from None
