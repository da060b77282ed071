"""The framework integrations when what a request brings cannot be read — a user whose
attributes do not fit a subject, a purpose header missing — and when a Django route is
configured without one of its parts: a 403 naming the field (fail closed, with the reason),
or ``ImproperlyConfigured`` naming the route, never a bare 500 or a ``KeyError``."""

from __future__ import annotations

import types
from typing import Annotated, Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

import finpolicy as fp
import finpolicy.integrations.django as fp_django
from finpolicy.errors import InputError
from finpolicy.integrations import RouteAccess
from finpolicy.integrations.fastapi import Authorize
from tests.helpers.serve_bodies import TELLER

ENGINE = fp.PolicyEngine()
RESOURCE = {"type": "customer_record", "data_level": "ordinary", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}
USERS: dict[str, Any] = {"teller": TELLER, "no-id": {"roles": ["teller"]},
                         "roles-text": {**TELLER, "roles": "teller"}}

Read = Annotated[fp.AccessDecision, Depends(Authorize(
    ENGINE, action="read", resource=RESOURCE,
    purpose=lambda r: r.headers.get("x-purpose", "")))]
app = FastAPI()


@app.middleware("http")
async def user_from_header(request: Request, call_next: Any) -> Any:
    request.scope["user"] = USERS.get(request.headers.get("x-user", ""))
    return await call_next(request)


@app.get("/customers/{customer_id}")
def customer(customer_id: str, decision: Read) -> dict[str, Any]:
    return {"id": customer_id, "decision": decision.outcome}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def _reason(response: Any) -> str:
    assert response.status_code == 403, response.text
    (reason,) = response.json()["detail"]["reasons"]
    assert reason["rule_id"] == "invalid-request"
    return str(reason["reason"])


def test_a_request_without_the_purpose_it_should_bring_is_403_naming_it(
        client: TestClient) -> None:
    ok = client.get("/customers/c-1", headers={"x-user": "teller",
                                               "x-purpose": "account_service"})
    assert ok.status_code == 200
    assert "purpose: string should have at least 1 character" in _reason(
        client.get("/customers/c-1", headers={"x-user": "teller"}))


def test_a_user_that_is_no_valid_subject_is_403_naming_the_field(client: TestClient) -> None:
    headers = {"x-purpose": "account_service"}
    assert "subject.id: field required" in _reason(
        client.get("/customers/c-1", headers={**headers, "x-user": "no-id"}))
    assert "subject.roles" in _reason(
        client.get("/customers/c-1", headers={**headers, "x-user": "roles-text"}))


def test_a_routes_own_invalid_resource_is_still_a_programming_error() -> None:
    route = RouteAccess(ENGINE, action="read", resource={**RESOURCE, "data_level": 5},
                        purpose="account_service")
    with pytest.raises(InputError, match="resource.data_level"):
        route.decide(None, TELLER)


def test_a_django_route_missing_a_part_is_improperly_configured_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fp_django, "settings", types.SimpleNamespace(
        FINPOLICY_ENGINE=ENGINE,
        FINPOLICY_ROUTES={"customer": {"action": "read", "resource": RESOURCE,
                                       "purpos": "account_service"}}))
    with pytest.raises(ImproperlyConfigured, match=r"FINPOLICY_ROUTES\['customer'\] lacks "
                                                   r"`purpose` and has unknown `purpos`"):
        fp_django.FinpolicyAccessMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
