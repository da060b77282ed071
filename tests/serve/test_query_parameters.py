"""A decision endpoint's arguments are its JSON body, sent as it is: a query parameter it
does not take, one given twice, or a compressed body is refused naming it, never ignored or
misread."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES

BODY = BODIES["access/authorize"]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Service(fp.PolicyEngine())))


@pytest.mark.parametrize(("path", "body", "name", "code"), [
    ("/v1/access/authorize?as_of=2020-01-01T00:00:00%2B08:00", BODY, "as_of",
     "extra_forbidden"),
    ("/v1/access/authorize/batch?item=0", {"calls": [BODY]}, "item", "extra_forbidden"),
    ("/v1/access/authorize/explain?details=true", BODY, "details", "extra_forbidden"),
    ("/v1/access/authorize/explain?detail=true&detail=false", BODY, "detail",
     "duplicate_key")])
def test_a_query_parameter_the_endpoint_does_not_read_is_422_naming_it(
        client: TestClient, path: str, body: object, name: str, code: str) -> None:
    """`?as_of=2020-…` on /v1/access/authorize was ignored: the decision was taken at the
    body's time and answered 200, the caller none the wiser; `?details=true` (misspelt)
    explained without the detail asked for; of `?detail=true&detail=false` the last won."""
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["problems"]
    assert problem["path"] == f"query.{name}" and problem["code"] == code
    assert f"`{name}`" in problem["message"]


def test_a_compressed_body_is_415_naming_its_encoding(client: TestClient) -> None:
    """A client that compresses its requests (Content-Encoding: gzip) was told "the body is
    not UTF-8 text (byte 1)", a 422 that named neither the header nor the fix."""
    import gzip
    import json

    answer = client.post("/v1/access/authorize", content=gzip.compress(
        json.dumps(BODY).encode()), headers={"Content-Type": "application/json",
                                             "Content-Encoding": "gzip"})
    assert answer.status_code == 415, answer.text
    assert answer.json()["error"] == "unsupported_media_type"
    assert "Content-Encoding: gzip" in answer.json()["message"]
