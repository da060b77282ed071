"""The Django decorator and middleware, through Django's test client."""

from __future__ import annotations

import json
from typing import Any

import django
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client
from django.urls import path

import finpolicy as fp
from finpolicy.integrations.django import authorize
from tests.helpers.serve_bodies import TELLER

ENGINE = fp.PolicyEngine()
RESOURCE = {"type": "customer_record", "data_level": "ordinary", "category": "basic_identity",
            "department": "retail", "branch": "BJ01"}


class _User:
    """A user of the application, as an authentication middleware would set it."""

    is_anonymous = False

    def __init__(self, roles: list[str]) -> None:
        self.username = TELLER["id"]
        self.roles = roles
        self.department = TELLER["department"]
        self.branch = TELLER["branch"]


class UserFromHeader:
    """Stands in for the authentication middleware: the user's roles are a header."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        roles = request.headers.get("x-roles")
        request.user = None if roles is None else _User(roles.split(","))
        return self.get_response(request)


@authorize(ENGINE, action="read", resource=RESOURCE, purpose="account_service")
def decorated(request: HttpRequest, customer_id: str) -> HttpResponse:
    return JsonResponse({"id": customer_id, "decision": request.access_decision.outcome})


@authorize(ENGINE, action="read", resource=RESOURCE, purpose="account_service")
async def decorated_async(request: HttpRequest, customer_id: str) -> HttpResponse:
    return JsonResponse({"id": customer_id, "decision": request.access_decision.outcome})


def guarded(request: HttpRequest, customer_id: str) -> HttpResponse:
    return JsonResponse({"id": customer_id, "decision": request.access_decision.outcome})


def open_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"open": True})


urlpatterns = [
    path("decorated/<str:customer_id>", decorated, name="decorated"),
    path("guarded/<str:customer_id>", guarded, name="guarded"),
    path("decorated_async/<str:customer_id>", decorated_async, name="decorated_async"),
    path("open", open_view, name="open"),
]

if not settings.configured:
    settings.configure(
        DEBUG=False, SECRET_KEY="tests-only", ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__, INSTALLED_APPS=[],
        MIDDLEWARE=[f"{__name__}.UserFromHeader",
                    "finpolicy.integrations.django.FinpolicyAccessMiddleware"],
        FINPOLICY_ENGINE=ENGINE,
        FINPOLICY_ROUTES={"guarded": {"action": "read", "resource": RESOURCE,
                                      "purpose": "account_service"}})
    django.setup()


@pytest.fixture
def client() -> Client:
    if __name__ != settings.ROOT_URLCONF:
        pytest.skip("Django is configured by another module in this process")
    return Client()


@pytest.mark.parametrize("view", ["decorated", "guarded", "decorated_async"])
def test_an_allowed_request_reaches_the_view(client: Client, view: str) -> None:
    response = client.get(f"/{view}/c-1", headers={"x-roles": "teller"})
    assert response.status_code == 200
    assert json.loads(response.content) == {"id": "c-1", "decision": "allow"}


@pytest.mark.parametrize("view", ["decorated", "guarded", "decorated_async"])
def test_a_denied_request_is_403_with_the_reasons(client: Client, view: str) -> None:
    response = client.get(f"/{view}/c-1", headers={"x-roles": "visitor"})
    assert response.status_code == 403
    body = json.loads(response.content)
    assert body["outcome"] == "deny" and body["reasons"]


@pytest.mark.parametrize("view", ["decorated", "guarded", "decorated_async"])
def test_an_anonymous_request_is_denied(client: Client, view: str) -> None:
    response = client.get(f"/{view}/c-1")
    assert response.status_code == 403
    assert json.loads(response.content)["reasons"][0]["rule_id"] == "no-subject"


def test_views_not_named_in_the_routes_are_not_checked(client: Client) -> None:
    assert client.get("/open").status_code == 200
