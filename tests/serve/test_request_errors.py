"""What a careless client is told: a body not sent as JSON is refused saying so, and every
problem of a body that does not fit names a place the caller wrote, in finpolicy's words."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app, endpoints
from tests.helpers.serve_bodies import BODIES

CLASSIFY = b'{"field": {"name": "mobile"}, "as_of": "2026-03-01"}'


@pytest.fixture(scope="module")
def client(bundle: fp.Bundle) -> Iterator[TestClient]:
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)))) as http:
        yield http


@pytest.mark.parametrize(("content_type", "sent"), [
    ("text/plain", "sent as text/plain"),
    ("application/x-www-form-urlencoded", "sent as application/x-www-form-urlencoded"),
    (None, "sent without a Content-Type"),
])
def test_a_body_not_sent_as_json_is_415_saying_what_it_was_sent_as(
        client: TestClient, content_type: str | None, sent: str) -> None:
    """Valid JSON sent as text/plain (or a form: curl -d's default) was a 422 at path ''
    saying 'Input should be a valid dictionary or object to extract fields from'."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    for path in ("/v1/classification/classify", "/v1/classification/classify/batch"):
        raw = CLASSIFY if path.endswith("classify") else b'{"calls": [' + CLASSIFY + b"]}"
        response = client.post(path, content=raw, headers=headers)
        assert response.status_code == 415, response.text
        body = response.json()
        assert body["error"] == "unsupported_media_type"
        assert "application/json" in body["message"] and sent in body["message"]
    metrics = client.get("/metrics").text
    assert 'error="unsupported_media_type",method="classify"' in metrics


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "Application/JSON", "application/problem+json"])
def test_json_by_any_of_its_names_is_read(client: TestClient, content_type: str) -> None:
    response = client.post("/v1/classification/classify", content=CLASSIFY,
                           headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


def _written(path: str, body: Any) -> bool:
    """Whether ``path`` leads through ``body`` (its last part may be a key the body lacks)."""
    node = body
    parts = path.split(".") if path else []
    for number, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return number == len(parts) - 1 and isinstance(node, dict)
    return True


def test_a_union_fields_problems_name_the_field_not_the_members_tried(
        client: TestClient) -> None:
    """pydantic names each member of a union it tried: `field.DataField.name`,
    `field.str`, `value.constrained-str`, `value.function-before[_no_bool(), int]`."""
    response = client.post("/v1/classification/classify", json={"field": {"nam": "x"}})
    assert response.status_code == 422
    problems = {(p["path"], p["code"]) for p in response.json()["problems"]}
    assert problems == {("field.name", "missing"), ("field.nam", "extra_forbidden"),
                        ("field", "string_type")}
    response = client.post("/v1/classification/mask/batch",
                           json={"calls": [{"value": ["13800138000"], "field": "mobile"}]})
    assert {p["path"] for p in response.json()["problems"]} == {"calls.0.value"}
    response = client.post("/v1/classification/classify", json={"field": 7})
    messages = {p["message"] for p in response.json()["problems"]}
    assert "expected a mapping of keys, got a number" in messages, messages


@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: f"{e.domain}.{e.method}")
def test_every_problem_names_a_place_in_the_body(client: TestClient, endpoint: Any) -> None:
    sample = BODIES[f"{endpoint.domain}/{endpoint.method}"]
    for name in sample:
        body = {**sample, name: [{"x": [1]}]}  # the wrong type for any field
        response = client.post(endpoint.path, json=body)
        assert response.status_code == 422, response.text
        for problem in response.json()["problems"]:
            assert _written(problem["path"], body), (name, problem)


@pytest.mark.parametrize(("raw", "paths"), [
    (b'{"field": {"name": "mobile"}, "field": {"name": "id_number"}}', ["field"]),
    (b'{"field": {"name": "mobile", "name": "id_number"}}', ["field.name"]),
    (b'{"calls": [{"field": {"name": "a", "name": "b"}}, {"field": "x", "field": "y"}]}',
     ["calls.0.field.name", "calls.1.field"]),
])
def test_a_key_given_twice_is_refused_naming_it(client: TestClient, raw: bytes,
                                                paths: list[str]) -> None:
    """The last value won silently (a mobile number classified as the ID number a gateway
    never saw), where the CLI's JSON reader refuses the key."""
    path = "/v1/classification/classify" + ("/batch" if raw.startswith(b'{"calls"') else "")
    response = client.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert [(p["path"], p["code"]) for p in problems] == [(p, "duplicate_key") for p in paths]
    assert "given twice" in problems[0]["message"]


def test_a_trailing_slash_is_404_naming_the_path_meant_not_a_redirect(
        client: TestClient) -> None:
    """It was a 307 without a body to http://<the service's own host>/v1/…: behind a TLS
    proxy a client following it left HTTPS for the service's internal address."""
    response = client.post("/v1/access/authorize/", json=BODIES["access/authorize"],
                           follow_redirects=False)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found"
    assert "`/v1/access/authorize`" in body["message"]
    assert client.get("/health/", follow_redirects=False).status_code == 404
    assert client.post("/v1/nowhere", json={}).json()["message"] == "no such path `/v1/nowhere`"


@pytest.mark.parametrize(("path", "meant"), [
    ("/v1/consent/check_consent", "/v1/consent/check_processing"),
    ("/v1/acess/authorize", "/v1/access/authorize"),
    ("/v1/complaints/complaint_sla/batches", "/v1/complaints/complaint_sla/batch"),
])
def test_a_misspelt_path_is_404_naming_the_nearest_path(client: TestClient, path: str,
                                                       meant: str) -> None:
    """It said only `no such path`: a client with a misspelt domain or method had to read
    the OpenAPI document to find the one meant."""
    body = client.post(path, json={}).json()
    assert body["error"] == "not_found"
    assert f"`{meant}`" in body["message"].partition("did you mean")[2], body["message"]


@pytest.mark.parametrize(("operation", "spoil", "path"), [
    # the typed API names the field of the Complaint it checked; the body holds it under
    # `complaint` (the service answered `category`, a key the body does not have)
    ("complaints/complaint_sla", lambda b: b["complaint"].update(category="nonsense"),
     "complaint.category"),
    ("complaints/complaint_sla",
     lambda b: b["complaint"]["events"][0].update(kind="nonsense"), "complaint.events.0.kind"),
    ("access/authorize", lambda b: b["request"].update(action="fly"), "request.action"),
    # one product of many: which one (the service answered `product.kind`)
    ("suitability/suitable_products", lambda b: b["products"][-1].update(kind="insurence"),
     "products.{last}.kind"),
    ("complaints/complaint_sla_batch", lambda b: b["complaints"][0].update(category="zz"),
     "complaints.0.category"),
])
def test_a_value_the_policy_does_not_know_is_named_where_the_body_holds_it(
        client: TestClient, operation: str, spoil: Any, path: str) -> None:
    body = copy.deepcopy(BODIES[operation])
    spoil(body)
    path = path.format(last=len(body.get("products", [])) - 1)
    for url, sent, answer in (
            (f"/v1/{operation}", body, lambda r: r.json()),
            (f"/v1/{operation}/batch", {"calls": [body]},
             lambda r: r.json()["results"][0]["error"])):
        response = client.post(url, json=sent)
        error = answer(response)
        assert [p["path"] for p in error["problems"]] == [path], response.text
        assert f"{path}: " in error["message"]
