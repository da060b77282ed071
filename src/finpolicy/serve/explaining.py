"""``POST /v1/<domain>/<method>/explain``: the decision of a call explained — why it is not
better and the verified changes that would make it better (``finpolicy.explain``), for the
operations a domain explains. The body is the call's own; nothing is logged (an explanation
takes the decision again, off the normal path), and once the decision log has failed an
explanation is refused as every decision is: it states the decision, which the log could no
longer record."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from finpolicy.audit.errors import AuditError
from finpolicy.domains.base import Call
from finpolicy.errors import InputError
from finpolicy.serve.endpoints import Endpoint, bundle_ref, endpoints, plain
from finpolicy.serve.schemas import DecisionBody
from finpolicy.serve.service import Service

__all__ = ["add_explanations", "explained"]

Failure = Callable[[Exception], tuple[int, dict[str, Any]]]


def explained() -> list[Endpoint]:
    """The served operations some domain explains (``authorize``, ``check_suitability`` …)."""
    from finpolicy.explain import explainer_for_method

    found = []
    for endpoint in endpoints():
        try:
            explainer_for_method(endpoint.method)
        except InputError:  # no domain explains it
            continue
        found.append(endpoint)
    return found


def add_explanations(app: FastAPI, service: Service, *, dependencies: list[Any],
                     responses: dict[int | str, dict[str, Any]], failure: Failure,
                     request_id: inspect.Parameter) -> None:
    """Add an ``/explain`` route beside each explained operation's."""
    for endpoint in explained():
        handler = _handler(service, endpoint, failure)
        handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                               annotation=endpoint.model),
             inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                               annotation=Request),
             inspect.Parameter("detail", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                               default=Query(False, description="Add every rule's clause "
                                                                "trace.")),
             request_id])
        app.post(f"{endpoint.path}/explain",
                 operation_id=f"{endpoint.domain}.{endpoint.method}.explain",
                 summary=f"The decision of {endpoint.method} explained: why not better, "
                         "and verified changes that would make it better",
                 tags=[endpoint.domain], response_model=DecisionBody, responses=responses,
                 dependencies=dependencies)(handler)


def _handler(service: Service, endpoint: Endpoint, failure: Failure) -> Callable[..., Any]:
    from finpolicy.explain import explain_call

    def handle(body: Call, request: Request, *, detail: bool = False,
               given_id: str | None = None) -> Response:
        runtime = service.engine.runtime  # the explanation and its answer name one bundle
        arguments = body.arguments()
        if endpoint.method == "authorize":  # grants count with the server's directory only
            arguments["directory"] = service.engine.directory
        headers = {"X-Finpolicy-Bundle-Digest": runtime.bundle.digest}
        try:
            reason = service.log_failure()
            if reason is not None:  # no decision channel stays open past the log
                raise AuditError(reason)
            explanation = explain_call(runtime, endpoint.method, **arguments)
            content = {"bundle": bundle_ref(runtime.bundle),
                       "result": plain(explanation.to_dict(detail=detail))}
        except Exception as exc:  # as a decision's: a status, a server error denies
            status, error = failure(exc)
            return JSONResponse(error, status_code=status, headers=headers)
        return JSONResponse(content, headers=headers)

    return handle
