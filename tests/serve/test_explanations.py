"""Explanations over HTTP: the decision of a call explained, as the typed API explains it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app, endpoints
from finpolicy.serve.explaining import explained
from tests.helpers.serve_bodies import BODIES, CORE_READ

EXPLAINED = ["access/authorize", "classification/classify", "complaints/complaint_sla",
             "consent/check_processing", "suitability/check_suitability"]


@pytest.fixture(scope="module")
def client(bundle: fp.Bundle) -> Iterator[TestClient]:
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)))) as http:
        yield http


def _timeless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "evaluated_at"}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def test_every_domain_explains_its_decision_over_http() -> None:
    """explain_json was written 'for an HTTP service', but finpolicy serve served no
    explanation: an application in another language could not ask why it was denied."""
    assert sorted(f"{e.domain}/{e.method}" for e in explained()) == EXPLAINED


@pytest.mark.parametrize("path", EXPLAINED)
def test_an_explanation_is_the_typed_apis(client: TestClient, bundle: fp.Bundle,
                                           path: str) -> None:
    body = {"request": CORE_READ} if path == "access/authorize" else BODIES[path]
    endpoint = next(e for e in endpoints() if f"{e.domain}/{e.method}" == path)
    local = fp.PolicyEngine(bundle).explain(
        endpoint.method, **endpoint.model.model_validate(body).arguments())
    response = client.post(f"/v1/{path}/explain", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["X-Finpolicy-Bundle-Digest"] == bundle.digest
    answer = response.json()
    assert answer["bundle"]["digest"] == bundle.digest
    assert _timeless(answer["result"]) == _timeless(local.to_dict())
    detailed = client.post(f"/v1/{path}/explain?detail=true", json=body).json()["result"]
    assert _timeless(detailed) == _timeless(local.to_dict(detail=True))


def test_a_denied_request_is_explained_with_what_would_allow_it(client: TestClient) -> None:
    result = client.post("/v1/access/authorize/explain", json={"request": CORE_READ}).json()
    assert result["result"]["outcome"] == "deny" and result["result"]["why_not"]


def test_an_explanation_refuses_what_the_call_refuses(client: TestClient) -> None:
    bad = {"request": {**CORE_READ, "action": "teleport"}}
    response = client.post("/v1/access/authorize/explain", json=bad)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert client.post("/v1/consent/plan_campaign/explain",
                       json=BODIES["consent/plan_campaign"]).status_code == 404
