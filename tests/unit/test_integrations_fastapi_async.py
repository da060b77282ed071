"""The FastAPI dependency with async functions of the request: awaited, as a route's own
async dependencies are (their coroutine was taken for the subject, and the request refused)."""

from __future__ import annotations

import warnings
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.integrations.fastapi import Authorize
from tests.helpers.serve_bodies import TELLER

ENGINE = fp.PolicyEngine()
RESOURCE = {"type": "customer_record", "data_level": "ordinary", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}


async def subject(request: Request) -> dict[str, Any] | None:
    roles = request.headers.get("x-roles")
    return None if roles is None else {**TELLER, "roles": roles.split(",")}


class Purpose:
    async def __call__(self, request: Request) -> str:
        return request.headers.get("x-purpose", "")


ReadCustomer = Annotated[fp.AccessDecision, Depends(Authorize(
    ENGINE, action="read", resource=RESOURCE, purpose=Purpose(), subject=subject))]
app = FastAPI()


@app.get("/customers/{customer_id}")
async def customer(customer_id: str, decision: ReadCustomer) -> dict[str, Any]:
    return {"id": customer_id, "decision": decision.outcome}


@pytest.fixture(scope="module")
def client() -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return TestClient(app)


def test_async_functions_of_the_request_are_awaited(client: TestClient) -> None:
    allowed = client.get("/customers/c-1", headers={"x-roles": "teller",
                                                    "x-purpose": "account_service"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"id": "c-1", "decision": "allow"}


def test_what_an_async_function_gives_is_decided_as_a_value_the_request_brings(
        client: TestClient) -> None:
    denied = client.get("/customers/c-1", headers={"x-roles": "teller", "x-purpose": "audit"})
    assert denied.status_code == 403
    assert denied.json()["detail"]["reasons"][0]["rule_id"] == "purpose-not-served"
    anonymous = client.get("/customers/c-1", headers={"x-purpose": "account_service"})
    assert anonymous.status_code == 403
    assert anonymous.json()["detail"]["reasons"][0]["rule_id"] == "no-subject"
    empty = client.get("/customers/c-1", headers={"x-roles": "teller"})
    assert empty.status_code == 403
    assert empty.json()["detail"]["reasons"][0]["rule_id"] == "invalid-request"
