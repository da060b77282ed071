"""A framework's user object (Starlette's ``BaseUser``, a Django user) that cannot be read as
a subject is a 403 naming the field under ``invalid-request``, as docs/serve.rst says, not a
denial whose reason says something else."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
)
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection

import finpolicy as fp
from finpolicy.integrations.fastapi import Authorize

ENGINE = fp.PolicyEngine()
RESOURCE = {"type": "customer_record", "data_level": "ordinary", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}


class _User(BaseUser):
    """An authenticated user as an application's authentication backend makes it."""

    def __init__(self, id: Any, roles: Any) -> None:
        self.id = id
        self.roles = roles
        self.department = "retail"
        self.branch = "BJ01"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return str(self.id)


USERS = {"teller": _User("u-teller-1", ["teller"]), "no-id": _User(None, ["teller"]),
         "roles-text": _User("u-teller-1", "teller")}


class _Backend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials,
                                                                 BaseUser] | None:
        user = USERS.get(conn.headers.get("x-user", ""))
        return None if user is None else (AuthCredentials(["authenticated"]), user)


Read = Annotated[fp.AccessDecision, Depends(Authorize(
    ENGINE, action="read", resource=RESOURCE, purpose="account_service"))]
app = FastAPI()
app.add_middleware(AuthenticationMiddleware, backend=_Backend())


@app.get("/customers/{customer_id}")
def customer(customer_id: str, decision: Read) -> dict[str, Any]:
    return {"id": customer_id, "decision": decision.outcome}


@pytest.mark.parametrize(("user", "field", "expected"), [
    ("no-id", "subject.id", "field required"),
    ("roles-text", "subject.roles", "a valid list")])
def test_a_user_object_that_is_no_subject_is_403_naming_the_field(
        user: str, field: str, expected: str) -> None:
    """A user without an id was denied as `no-subject`, "the request has no authenticated
    user" (it had one); roles given as the text `teller` were read as the roles `t`, `e`,
    `l` … and denied as `unknown-role`: neither said what to fix in the application."""
    with TestClient(app) as client:
        assert client.get("/customers/c-1", headers={"x-user": "teller"}).status_code == 200
        response = client.get("/customers/c-1", headers={"x-user": user})
    assert response.status_code == 403
    (reason,) = response.json()["detail"]["reasons"]
    assert reason["rule_id"] == "invalid-request"
    assert f"{field}: " in reason["reason"] and expected in reason["reason"]
