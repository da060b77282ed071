"""What every answer of the service keeps to, whatever answered it: bodies read strictly (a
422 naming what is wrong, never FastAPI's 400 nor a 500 after deciding), dates finpolicy
cannot compute with refused as invalid input, the request's id on every response, every
error response counted, and an OpenAPI document that declares what the service answers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app, endpoints
from finpolicy.serve.openapi import SHIPPED
from tests.helpers.serve_bodies import BODIES, CONSENT, CUSTOMER, PRODUCT

TOKEN = "t0ken"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {**AUTH, "Content-Type": "application/json"}
LATE = "9999-12-31T23:59:59-23:59"
EARLY = "0001-01-01T00:00:00+14:00"


class _Counted(fp.PolicyEngine):
    """An engine that counts the calls it decides."""

    calls = 0

    def call(self, method: str, arguments: Any, /, *, on: Any = None) -> Any:
        type(self).calls += 1
        return super().call(method, arguments, on=on)


@pytest.fixture
def service(bundle: fp.Bundle) -> Service:
    _Counted.calls = 0
    return Service(_Counted(bundle))


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service, token=TOKEN, max_body=1 << 20),
                    raise_server_exceptions=True) as http:
        yield http


def _problems(response: Any) -> list[tuple[str, str]]:
    body = response.json()
    assert body["error"] == "invalid_input" and body["message"], body
    return [(p["path"], p["code"]) for p in body["problems"]]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("suitability/check_suitability", {**BODIES["suitability/check_suitability"],
     "customer": {**CUSTOMER, "assessment_date": LATE}}, "customer.assessment_date"),
    ("suitability/check_suitability", {**BODIES["suitability/check_suitability"],
     "customer": {**CUSTOMER, "assessment_date": EARLY}}, "customer.assessment_date"),
    ("suitability/suitable_products", {"customer": {**CUSTOMER, "assessment_date": LATE},
                                       "products": [PRODUCT]}, "customer.assessment_date"),
    ("consent/plan_campaign", {"customers": [{"id": "cu-1"}], "channels": ["sms"],
                               "as_of": LATE}, "as_of"),
    ("consent/review_consents", {"consents": [CONSENT], "contacts": [
        {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "at": LATE}]},
     "contacts.0.at"),
    ("complaints/complaint_sla", {**BODIES["complaints/complaint_sla"], "as_of": LATE},
     "as_of"),
])
def test_a_date_finpolicy_cannot_compute_with_is_422_naming_the_field(
        client: TestClient, path: str, body: dict[str, Any], field: str) -> None:
    """These were 500s (an OverflowError out of the domain, a traceback in the log)."""
    response = client.post(f"/v1/{path}", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert _problems(response) == [(field, "date_out_of_range")]


def test_consents_at_the_end_of_the_calendar_are_reviewed() -> None:
    """A consent's end past year 9999 is simply later than the review: a report, not a 500."""
    with TestClient(create_app(Service(fp.PolicyEngine()))) as http:
        for body in ({"consents": [{**CONSENT, "given_at": LATE}]},
                     {"consents": [{**CONSENT, "given_at": "9999-12-30T00:00:00+08:00"}],
                      "as_of": "9999-12-30T00:00:00+08:00"}):
            response = http.post("/v1/consent/review_consents", json=body)
            assert response.status_code == 200, response.text


@pytest.mark.parametrize("raw", [
    b'{"customers": [{"id": "cu-1"}], "channels": ["\\ud800"]}',
    b'{"customers": [{"id": "cu-1", "channels": ["sms\\udfff"]}]}',
])
def test_a_lone_surrogate_is_refused_naming_the_field_before_deciding(
        client: TestClient, raw: bytes) -> None:
    """It was decided, then the response could not be written (a 500 UnicodeEncodeError)."""
    response = client.post("/v1/consent/plan_campaign", content=raw, headers=JSON)
    assert response.status_code == 422, response.text
    [(path, code)] = _problems(response)
    assert path in ("channels.0", "customers.0.channels.0") and code == "string_unicode"
    assert _Counted.calls == 0


@pytest.mark.parametrize("endpoint", endpoints(), ids=lambda e: f"{e.domain}.{e.method}")
def test_every_endpoint_refuses_lone_surrogates_in_values_and_keys(
        client: TestClient, endpoint: Any) -> None:
    body = json.dumps({"\ud800": 1, **BODIES[f"{endpoint.domain}/{endpoint.method}"]})
    for path in (endpoint.path, f"{endpoint.path}/batch"):
        sent = body if path == endpoint.path else json.dumps({"calls": [json.loads(body)]})
        response = client.post(path, content=sent.encode("utf-8", "surrogatepass"),
                               headers=JSON)
        assert response.status_code == 422, response.text
        assert ("\\ud800" if path == endpoint.path else "calls.0.\\ud800",
                "string_unicode") in _problems(response)
    assert _Counted.calls == 0


def test_a_surrogate_pair_is_one_character_and_welcome(client: TestClient) -> None:
    raw = b'{"customers": [{"id": "cu-\\ud83d\\ude00"}], "channels": ["sms"]}'
    response = client.post("/v1/consent/plan_campaign", content=raw, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["result"]["entries"][0]["customer"] == "cu-\U0001f600"


@pytest.mark.parametrize(("raw", "path", "code"), [
    (b"[" * 1000 + b"]" * 1000, "", "too_deep"),
    (b'{"customers": ' + b"[" * 70 + b"]" * 70 + b"}", "customers" + ".0" * 63, "too_deep"),
    (b'{"customers": [{"id": "cu-\xff"}], "channels": ["sms"]}', "", "json_invalid"),
    (b'{"customers": [{"id": "cu-1"}], "channels": ["sms"], "n": ' + b"7" * 5000 + b"}",
     "n", "number_out_of_range"),
    (b"{not json", "", "json_invalid"),
])
def test_a_body_that_cannot_be_read_is_422_with_the_documented_body(
        client: TestClient, raw: bytes, path: str, code: str) -> None:
    """These were `400 {"error": "http_error", "message": "There was an error parsing the
    body"}`, which neither the docs nor the OpenAPI document list."""
    for where in ("/v1/consent/plan_campaign", "/v1/consent/plan_campaign/batch"):
        response = client.post(where, content=raw, headers=JSON)
        assert response.status_code == 422, response.text
        assert _problems(response) == [(path, code)]
    assert _Counted.calls == 0


def _broken_result(bundle: fp.Bundle) -> fp.PolicyEngine:
    class Broken(fp.PolicyEngine):
        def call(self, method: str, arguments: Any, /, *, on: Any = None) -> Any:
            answer = super().call(method, arguments, on=on)
            return type(answer)({"text": "\ud800"}, answer.bundle)  # cannot be written

    return Broken(bundle)


def test_every_response_echoes_the_request_id(bundle: fp.Bundle, client: TestClient) -> None:
    """The 422s of the schema, the 401s and the 500s did not carry it."""
    good = BODIES["access/authorize"]
    sent = {
        "schema 422": client.post("/v1/access/authorize", json={"request": {}}, headers=AUTH),
        "401": client.post("/v1/access/authorize", json=good),
        "metrics 401": client.get("/metrics"),
        "413": client.post("/v1/access/authorize", content=b" " * (2 << 20), headers=JSON),
        "404": client.get("/v1/nowhere", headers=AUTH),
        "200": client.post("/v1/access/authorize", json=good, headers=AUTH),
        "health": client.get("/health"),
    }
    with TestClient(create_app(Service(_broken_result(bundle)))) as broken:
        sent["500"] = broken.post("/v1/access/authorize", json=good,
                                  headers={"X-Request-Id": "mine"})
    assert sent["500"].status_code == 500
    assert sent["500"].json()["outcome"] == "deny"
    for name, response in sent.items():
        given = response.request.headers.get("X-Request-Id")
        assert response.headers["X-Request-Id"] == given or re.fullmatch(
            r"[0-9a-f]{32}", response.headers["X-Request-Id"]), name
    for name, status in [("schema 422", 422), ("401", 401), ("413", 413), ("404", 404)]:
        echoed = client.request(sent[name].request.method, str(sent[name].request.url),
                                content=sent[name].request.content,
                                headers={**sent[name].request.headers,
                                         "X-Request-Id": f"req:{status}"})
        assert (echoed.status_code, echoed.headers["X-Request-Id"]) == (status,
                                                                        f"req:{status}")


def test_an_invalid_request_id_is_refused_and_a_new_one_answered(client: TestClient) -> None:
    response = client.post("/v1/access/authorize", json=BODIES["access/authorize"],
                           headers={**AUTH, "X-Request-Id": "two words"})
    assert response.status_code == 422
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


def _errors(client: TestClient) -> dict[tuple[str, str, str], float]:
    found = {}
    for line in client.get("/metrics", headers=AUTH).text.splitlines():
        match = re.match(r'finpolicy_request_errors_total\{domain="(.*?)",error="(.*?)",'
                         r'method="(.*?)"\} (\S+)', line)
        if match:
            found[match[1], match[3], match[2]] = float(match[4])
    return found


def test_a_decision_the_log_cannot_keep_is_counted_once_per_answer(
        tmp_path: Any, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 500 of a single call is counted by the answer, not again by the wait for the log;
    each call of a batch the log could not keep counts."""
    from finpolicy.audit import AuditKeys, DecisionLog

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())

    def full(rows: Any, *, sync: bool) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log.sink, "write", full)
    good = BODIES["access/authorize"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log), log_wait=5),
                               token=TOKEN)) as http:
        assert http.post("/v1/access/authorize", json=good, headers=AUTH).status_code == 500
        batch = http.post("/v1/access/authorize/batch", json={"calls": [good, good]},
                          headers=AUTH)
        assert [r["status"] for r in batch.json()["results"]] == [500, 500]
        assert _errors(http) == {("access", "authorize", "internal_error"): 3}
    with pytest.raises(Exception, match="No space left"):
        log.close()


def test_every_error_response_is_counted(bundle: fp.Bundle, client: TestClient) -> None:
    """Only errors raised while deciding were counted; now every error answered is."""
    good = BODIES["access/authorize"]
    client.post("/v1/access/authorize", json={"request": {}}, headers=AUTH)  # schema: 422
    client.post("/v1/access/authorize", json=good)  # 401
    client.get("/metrics")  # 401
    client.post("/v1/access/authorize", content=b" " * (2 << 20), headers=JSON)  # 413
    client.post("/v1/access/authorize", content=b"{", headers=JSON)  # not JSON: 422
    client.post("/v1/access/authorize", json={"request": {**good["request"],  # domain: 422
                                                          "action": "teleport"}}, headers=AUTH)
    client.post("/v1/access/authorize/batch", headers=AUTH,  # one call of a batch fails
                json={"calls": [good, {"request": {**good["request"], "action": "x"}}]})
    client.get("/v1/nowhere", headers=AUTH)  # 404
    assert _errors(client) == {("access", "authorize", "invalid_input"): 4,
                               ("access", "authorize", "unauthorized"): 1,
                               ("access", "authorize", "body_too_large"): 1,
                               ("service", "metrics", "unauthorized"): 1,
                               ("", "", "not_found"): 1}
    service = Service(_broken_result(bundle))
    with TestClient(create_app(service)) as broken:
        assert broken.post("/v1/access/authorize", json=good).status_code == 500
        assert _errors(broken) == {("access", "authorize", "internal_error"): 1}
    help_line = next(line for line in client.get("/metrics", headers=AUTH).text.splitlines()
                     if line.startswith("# HELP finpolicy_request_errors_total"))
    assert "error status" in help_line and "batch" in help_line


DOCUMENT = json.loads(SHIPPED.read_text(encoding="utf-8"))


def _responses(path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = DOCUMENT["paths"][path][method]["responses"]
    return responses


def test_the_openapi_document_declares_what_the_service_answers() -> None:
    for endpoint in endpoints():
        single = _responses(endpoint.path, "post")
        batch = _responses(f"{endpoint.path}/batch", "post")
        assert set(single) == {"200", "401", "409", "413", "415", "422", "500"}
        assert set(batch) == {"200", "401", "413", "415", "422", "500"}  # each call: its 409
        for status in ("200", "409", "422", "500"):
            assert "X-Finpolicy-Bundle-Digest" in single[status]["headers"], status
        assert "X-Finpolicy-Bundle-Digest" in batch["200"]["headers"]
    assert set(_responses("/v1/bundle", "get")) == {"200", "401", "500"}
    assert set(_responses("/metrics", "get")) == {"200", "401"}
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                assert response["headers"]["X-Request-Id"] == {
                    "$ref": "#/components/headers/X-Request-Id"}, (operation, status)
    assert DOCUMENT["components"]["headers"]["X-Request-Id"]["required"] is True
