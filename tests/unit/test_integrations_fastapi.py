"""The FastAPI dependency, through FastAPI's test client."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.integrations import field_levels, mask_fields
from finpolicy.integrations.fastapi import Authorize
from tests.helpers.serve_bodies import TELLER

RECORD = {"name": "张三", "mobile": "13800138000", "id_number": "11010519491231002X"}


ENGINE = fp.PolicyEngine()
RESOURCE = {"type": "customer_record", "data_level": "ordinary", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}


def record_resource(request: Request) -> dict[str, Any]:
    return {**RESOURCE, "fields": field_levels(ENGINE, RECORD)}


ReadCustomer = Annotated[fp.AccessDecision, Depends(Authorize(
    ENGINE, action="read", resource=RESOURCE, purpose="account_service"))]
ReadProfile = Annotated[fp.AccessDecision, Depends(Authorize(
    ENGINE, action="read", resource=record_resource,
    purpose=lambda r: r.headers.get("x-purpose", "")))]

app = FastAPI()


@app.middleware("http")
async def user_from_header(request: Request, call_next: Any) -> Any:
    # stands in for an authentication middleware: the user is the header's roles
    roles = request.headers.get("x-roles")
    request.scope["user"] = None if roles is None else {**TELLER, "roles": roles.split(",")}
    return await call_next(request)


@app.get("/customers/{customer_id}")
def customer(customer_id: str, decision: ReadCustomer) -> dict[str, Any]:
    return {"id": customer_id, "decision": decision.outcome}


@app.get("/profiles/{customer_id}")
def profile(customer_id: str, decision: ReadProfile) -> dict[str, Any]:
    return mask_fields(ENGINE, RECORD, decision)


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(app)


def test_an_allowed_request_reaches_the_route_with_its_decision(client: TestClient) -> None:
    response = client.get("/customers/c-1", headers={"x-roles": "teller"})
    assert response.status_code == 200
    assert response.json() == {"id": "c-1", "decision": "allow"}


def test_a_denied_request_is_403_with_the_reasons(client: TestClient) -> None:
    response = client.get("/customers/c-1", headers={"x-roles": "visitor"})
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail["outcome"] == "deny" and detail["allowed"] is False
    assert detail["reasons"] and all(r["reason"] for r in detail["reasons"])


def test_a_request_without_a_user_is_denied(client: TestClient) -> None:
    response = client.get("/customers/c-1")
    assert response.status_code == 403
    assert response.json()["detail"]["reasons"][0]["rule_id"] == "no-subject"


def test_the_purpose_comes_from_the_request(client: TestClient) -> None:
    ok = client.get("/profiles/c-1", headers={"x-roles": "teller",
                                              "x-purpose": "account_service"})
    assert ok.status_code == 200
    refused = client.get("/profiles/c-1", headers={"x-roles": "teller",
                                                   "x-purpose": "curiosity"})
    assert refused.status_code == 403


def test_fields_the_subject_may_not_see_are_masked(client: TestClient, bundle: fp.Bundle
                                                   ) -> None:
    body = client.get("/profiles/c-1", headers={"x-roles": "teller",
                                                "x-purpose": "account_service"}).json()
    engine = fp.PolicyEngine(bundle)
    levels = field_levels(engine, RECORD)
    assert levels["id_number"] == "core"
    assert body["id_number"] != RECORD["id_number"]
    assert "*" in body["id_number"]
    shown = [name for name in RECORD if body[name] == RECORD[name]]
    assert all(levels[name] != "core" for name in shown)


def test_mask_fields_hides_what_it_cannot_mask(bundle: fp.Bundle) -> None:
    engine = fp.PolicyEngine(bundle)
    masked = mask_fields(engine, {"id_number": "11010519491231002X", "x": None}, ["id_number",
                                                                                  "x"])
    assert masked["id_number"] != "11010519491231002X" and masked["x"] is None
