"""The service's OpenAPI document, generated from the same pydantic models as the Python API
and shipped beside this module (``openapi.json``), so that teams in other languages can
generate a client without running the service. ``finpolicy serve --openapi PATH`` writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finpolicy.serve.exchange import REQUEST_ID_PATTERN

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["SHIPPED", "declare_headers", "document", "render"]

SHIPPED = Path(__file__).with_name("openapi.json")
"""The shipped document (a test checks it is the one ``document()`` generates)."""


def document() -> dict[str, Any]:
    """The OpenAPI document of the service over the registered domains (it depends on the
    domains and their call models, not on the bundle served)."""
    from finpolicy.facade import PolicyEngine
    from finpolicy.serve.app import create_app
    from finpolicy.serve.service import Service

    return create_app(Service(PolicyEngine())).openapi()


_HEADERS = {
    "X-Request-Id": {
        "description": "The request's id: the caller's `X-Request-Id` when it gave a valid "
                       "one, else one the service made up (32 hex digits); the decision log "
                       "records it with every decision of the request.",
        "required": True, "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN}},
    "X-Finpolicy-Bundle-Digest": {
        "description": "The digest of the bundle the request was decided on (absent when it "
                       "was refused before a decision: a body that does not fit the schema).",
        "schema": {"type": "string"}},
}


def _declared(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the response headers the service sends: ``X-Request-Id`` on every
    response, the bundle's digest on the answers of the decision operations (whose
    operation ids are ``domain.method``)."""
    doc.setdefault("components", {})["headers"] = _HEADERS
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            deciding = "." in operation.get("operationId", "")
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers["X-Request-Id"] = {"$ref": "#/components/headers/X-Request-Id"}
                if deciding and status in ("200", "409", "422", "500"):
                    headers["X-Finpolicy-Bundle-Digest"] = {
                        "$ref": "#/components/headers/X-Finpolicy-Bundle-Digest"}
    return doc


def declare_headers(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document declare the response headers the service sends."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _declared(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(doc: dict[str, Any]) -> str:
    """The document as the shipped file holds it: sorted keys, two-space indents."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
