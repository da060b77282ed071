"""The real decision service over HTTP: every endpoint, errors, authentication, metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import finpolicy as fp
from finpolicy.serve import endpoints
from tests.helpers.serve_bodies import BODIES
from tests.helpers.server import running_server

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    token_file = tmp_path_factory.mktemp("serve") / "token"
    token_file.write_text(TOKEN + "\n")
    with running_server("--token-file", str(token_file), "--no-watch") as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def digest() -> str:
    return fp.load_bundle().digest


def test_every_served_operation_has_a_sample_body() -> None:
    served = {f"{e.domain}/{e.method}" for e in endpoints()}
    assert served == set(BODIES)


@pytest.mark.parametrize("path", sorted(BODIES))
def test_each_operation_answers_with_its_result_and_bundle(client: httpx.Client, path: str,
                                                           digest: str) -> None:
    response = client.post(f"/v1/{path}", json=BODIES[path])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bundle"]["digest"] == digest
    assert response.headers["X-Finpolicy-Bundle-Digest"] == digest
    results = body["result"] if isinstance(body["result"], list) else [body["result"]]
    for result in results:
        if isinstance(result, dict) and "policy" in result:
            assert result["policy"]["bundle_digest"] == digest  # the decision names its bundle


def _timeless(value: Any) -> Any:
    """``value`` without the times at which it was computed."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if k != "evaluated_at"}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


@pytest.mark.parametrize("path", sorted(BODIES))
def test_each_batch_endpoint_answers_every_call_on_one_bundle(client: httpx.Client, path: str,
                                                              digest: str) -> None:
    response = client.post(f"/v1/{path}/batch", json={"calls": [BODIES[path], BODIES[path]]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bundle"]["digest"] == digest
    assert [r["status"] for r in body["results"]] == [200, 200]
    first, second = (_timeless(r["result"]) for r in body["results"])
    assert first == second


def test_the_same_decision_as_in_process(client: httpx.Client) -> None:
    engine = fp.PolicyEngine()
    body = BODIES["suitability/check_suitability"]
    local = engine.check_suitability(body["customer"], body["product"], amount=body["amount"],
                                     as_of=body["as_of"])
    remote = client.post("/v1/suitability/check_suitability", json=body).json()["result"]
    assert remote["outcome"] == local.outcome
    assert remote["input_digest"] == local.input_digest
    assert [h["rule_id"] for h in remote["hits"]] == list(local.rule_ids)


def test_a_batch_reports_each_failing_call_apart(client: httpx.Client) -> None:
    good = BODIES["access/authorize"]
    bad = {"request": {**good["request"], "action": "teleport"}}  # the domain refuses it
    body = client.post("/v1/access/authorize/batch", json={"calls": [good, bad]}).json()
    assert [r["status"] for r in body["results"]] == [200, 422]
    assert body["results"][1]["error"]["error"] == "invalid_input"
    assert body["results"][1]["result"] is None


def test_a_batch_whose_body_is_malformed_is_refused_whole(client: httpx.Client) -> None:
    good = BODIES["access/authorize"]
    naive = {"request": {**good["request"], "as_of": "2026-03-02T10:00:00"}}
    response = client.post("/v1/access/authorize/batch", json={"calls": [good, naive]})
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"].startswith("calls.1.request")


def test_an_invalid_body_is_422_naming_each_field(client: httpx.Client) -> None:
    response = client.post("/v1/access/authorize",
                           json={"request": {"subject": {"id": "u-1"}, "action": "read"}})
    assert response.status_code == 422
    body = response.json()
    paths = {p["path"] for p in body["problems"]}
    assert {"request.resource", "request.purpose"} <= paths
    assert body.get("outcome") != "allow"


def test_an_input_error_of_the_domain_is_422(client: httpx.Client) -> None:
    body = BODIES["access/authorize"]
    response = client.post("/v1/access/authorize",
                           json={"request": {**body["request"], "action": "teleport"}})
    assert response.status_code == 422, response.text
    assert any("action" in p["path"] for p in response.json()["problems"])


def test_no_policy_in_force_is_409(client: httpx.Client) -> None:
    body = {**BODIES["suitability/check_suitability"], "as_of": "1990-01-01"}
    response = client.post("/v1/suitability/check_suitability", json=body)
    assert response.status_code == 409
    assert response.json()["error"] == "not_in_force"


def test_malformed_json_and_unknown_fields_are_422(client: httpx.Client) -> None:
    response = client.post("/v1/access/authorize", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    extra = {**BODIES["access/authorize"], "directory": [{"subject_id": "x", "role": "y"}]}
    response = client.post("/v1/access/authorize", json=extra)
    assert response.status_code == 422
    assert response.json()["problems"][0]["path"] == "directory"


def test_an_empty_or_oversized_batch_is_422(client: httpx.Client) -> None:
    assert client.post("/v1/access/authorize/batch", json={"calls": []}).status_code == 422


def test_bundle_metadata(client: httpx.Client, digest: str) -> None:
    body = client.get("/v1/bundle").json()
    bundle = fp.load_bundle()
    assert (body["name"], body["version"], body["digest"]) == (bundle.name, bundle.version,
                                                              digest)
    assert {d["id"] for d in body["documents"]} == {d.id for d in bundle.documents}


def test_health_and_readiness_need_no_token(server: str, client: httpx.Client,
                                            digest: str) -> None:
    """Without the token a probe reads the status alone; with it, the details."""
    assert httpx.get(f"{server}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{server}/ready")
    assert ready.status_code == 200 and ready.json() == {"ready": True}
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["bundle"]["digest"] == digest
    assert client.get("/ready").json()["bundle"]["digest"] == digest


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_decisions_and_metrics_need_the_token(server: str, headers: dict[str, str]) -> None:
    for method, path in (("POST", "/v1/access/authorize"), ("GET", "/v1/bundle"),
                         ("GET", "/metrics")):
        response = httpx.request(method, f"{server}{path}", headers=headers,
                                 json=BODIES["access/authorize"])
        assert response.status_code == 401, path
        assert response.json().get("outcome") != "allow"


def test_metrics_count_decisions_by_domain_and_outcome(client: httpx.Client) -> None:
    client.post("/v1/access/authorize", json=BODIES["access/authorize"])
    text = client.get("/metrics").text
    line = next(x for x in text.splitlines() if x.startswith(
        'finpolicy_decisions_total{domain="access",method="authorize",outcome="allow"}'))
    assert float(line.rsplit(" ", 1)[1]) >= 1
    assert 'finpolicy_request_seconds_count{domain="access",method="authorize"}' in text
    assert "finpolicy_bundle_info{" in text


def test_unknown_paths_are_404(client: httpx.Client) -> None:
    response = client.post("/v1/classification/scan", json={"source": "/etc/passwd"})
    assert response.status_code == 404  # reads the server's files: never served


def test_the_shipped_openapi_document_is_up_to_date(client: httpx.Client) -> None:
    from finpolicy.serve.openapi import SHIPPED

    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    served = client.get("/openapi.json").json()
    assert served == shipped, ("src/finpolicy/serve/openapi.json is stale: run "
                               "`finpolicy serve --openapi src/finpolicy/serve/openapi.json`")
    assert Path(SHIPPED).name == "openapi.json"
