"""The app in process (FastAPI's test client): server errors deny, the OpenAPI file and
command, the CLI's refusals."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains.registry import domains
from finpolicy.serve import Service, create_app
from finpolicy.serve.openapi import SHIPPED, document, render
from tests.helpers.serve_bodies import BODIES


class _Broken(fp.PolicyEngine):
    """An engine whose every decision fails unexpectedly."""

    def call(self, method: str, arguments: Any, /, *, on: Any = None) -> Any:
        raise RuntimeError("the disk caught fire")


@pytest.fixture
def broken_client(bundle: fp.Bundle) -> Iterator[TestClient]:
    with TestClient(create_app(Service(_Broken(bundle))),
                    raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", ["access/authorize", "suitability/check_suitability"])
def test_an_internal_error_is_500_and_denies(broken_client: TestClient, path: str) -> None:
    response = broken_client.post(f"/v1/{path}", json=BODIES[path])
    assert response.status_code == 500
    body = response.json()
    assert body["outcome"] == "deny" and body["allowed"] is False
    assert "fire" not in body["message"]  # no internals leak to the caller


def test_an_internal_error_in_a_batch_denies_that_call(broken_client: TestClient) -> None:
    body = broken_client.post("/v1/access/authorize/batch",
                              json={"calls": [BODIES["access/authorize"]]}).json()
    assert body["results"][0]["status"] == 500
    assert body["results"][0]["error"]["outcome"] == "deny"


def test_the_shipped_openapi_file_is_what_the_models_generate() -> None:
    assert SHIPPED.read_text(encoding="utf-8") == render(document()), (
        "run `finpolicy serve --openapi src/finpolicy/serve/openapi.json`")


def test_the_openapi_document_has_every_operation_with_its_body_model() -> None:
    doc = json.loads(SHIPPED.read_text(encoding="utf-8"))
    for domain in domains():
        for method, model in domain.calls.items():
            post = doc["paths"][f"/v1/{domain.name}/{method}"]["post"]
            schema = post["requestBody"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{model.__name__}"}
            assert {"409", "422", "500"} <= set(post["responses"])


def test_serve_openapi_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    result = CliRunner().invoke(main, ["serve", "--openapi", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")


def test_serve_refuses_an_empty_token_file(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("\n")
    result = CliRunner().invoke(main, ["serve", "--token-file", str(token)])
    assert result.exit_code == 3
    assert "must hold one token" in result.output


def test_serve_refuses_a_log_without_keys(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--log", str(tmp_path / "log.db")])
    assert result.exit_code == 3
    assert "--log-keys" in result.output


def test_decisions_are_logged_when_a_log_is_configured(tmp_path: Path, bundle: fp.Bundle
                                                        ) -> None:
    from finpolicy.audit import AuditKeys, DecisionLog, generate_keys

    generate_keys(tmp_path / "keys")
    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.load(tmp_path / "keys"))
    engine = fp.PolicyEngine(bundle, log=log)
    with TestClient(create_app(Service(engine))) as client:
        assert client.post("/v1/access/authorize",
                           json=BODIES["access/authorize"]).status_code == 200
    log.close()
    from finpolicy.audit import verify_log

    report = verify_log(tmp_path / "log.db", public_key=AuditKeys.load(tmp_path /
                                                                       "keys").public_key)
    assert report.ok and report.entries >= 1


def test_a_request_id_shaped_as_a_card_number_is_refused_not_a_server_error(
        tmp_path: Path, bundle: fp.Bundle) -> None:
    """The log keeps the request id in clear and refuses a card or ID number there: the
    service answered 500 (an AuditError traceback in its log) and decided nothing."""
    from finpolicy.audit import AuditKeys, DecisionLog, generate_keys

    generate_keys(tmp_path / "keys")
    with DecisionLog(tmp_path / "log.db", keys=AuditKeys.load(tmp_path / "keys")) as log, \
            TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log)))) as client:
        for path, body in (("access/authorize", BODIES["access/authorize"]),
                           ("access/authorize/batch", {"calls": [BODIES["access/authorize"]]})):
            answer = client.post(f"/v1/{path}", json=body,
                                 headers={"X-Request-Id": "6214839791907488"})
            assert answer.status_code == 422, answer.text
            assert answer.json()["problems"][0]["path"] == "header.X-Request-Id"
            assert answer.json()["problems"][0]["code"] == "bad_request_id"
        fine = client.post("/v1/access/authorize", json=BODIES["access/authorize"],
                           headers={"X-Request-Id": "5512-20260302-000126"})
        assert fine.status_code == 200, fine.text


@pytest.mark.parametrize("batch", [False, True])
def test_a_decision_the_log_did_not_store_is_never_answered(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch,
        batch: bool) -> None:
    """The store fails (a full disk) after some decisions: each one answered 200 is in the
    log, the rest are denied (500), and /ready and /health say the log failed. (Answered
    before the writer got to them, 39 of 63 allowed decisions were not logged.)"""
    from finpolicy.audit import AuditKeys, DecisionLog, read_entries

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    write, rows = log.sink.write, [0]

    def fill_up(batch_rows: Any, *, sync: bool) -> None:
        rows[0] += len(batch_rows)
        if rows[0] > 15:
            raise OSError(28, "No space left on device")
        write(batch_rows, sync=sync)

    monkeypatch.setattr(log.sink, "write", fill_up)
    body = BODIES["access/authorize"]
    statuses: list[int] = []
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log))),
                    raise_server_exceptions=False) as client:
        assert client.get("/ready").status_code == 200
        for _ in range(25):
            if batch:
                answer = client.post("/v1/access/authorize/batch",
                                     json={"calls": [body, body]})
                statuses += [r["status"] for r in answer.json()["results"]]
            else:
                statuses.append(client.post("/v1/access/authorize", json=body).status_code)
        ready, health = client.get("/ready"), client.get("/health").json()
    with pytest.raises(Exception, match="No space left"):
        log.close()
    answered = statuses.count(200)
    assert 0 < answered < len(statuses) and set(statuses) == {200, 500}
    assert len(list(read_entries(tmp_path / "log.db"))) == answered
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert "No space left" in ready.json()["reason"]
    assert health["status"] == "failing" and "No space left" in health["log_failure"]


def test_the_log_records_the_callers_request_id_and_the_response_echoes_it(
        tmp_path: Path, bundle: fp.Bundle) -> None:
    """The id ties a caller's request to its decisions in the log (`audit find -v ID`)."""
    from finpolicy.audit import AuditKeys, DecisionLog, read_entries

    keys = AuditKeys.generate()
    log = DecisionLog(tmp_path / "log.db", keys=keys, application="branch-api")
    body = BODIES["access/authorize"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log)))) as client:
        given = client.post("/v1/access/authorize", json=body,
                            headers={"X-Request-Id": "req-2026-03-02.0042"})
        made = client.post("/v1/access/authorize", json=body)
        batch = client.post("/v1/access/authorize/batch", json={"calls": [body, body]},
                            headers={"X-Request-Id": "batch:7"})
        bad = client.post("/v1/access/authorize", json=body,
                          headers={"X-Request-Id": "no spaces; or semicolons"})
    log.close()
    assert given.headers["X-Request-Id"] == "req-2026-03-02.0042"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-Id"])
    assert batch.headers["X-Request-Id"] == "batch:7"
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["path"] == "header.X-Request-Id"
    assert [e.context for e in read_entries(tmp_path / "log.db")] == [
        {"application": "branch-api", "request_id": "req-2026-03-02.0042"},
        {"application": "branch-api", "request_id": made.headers["X-Request-Id"]},
        {"application": "branch-api", "request_id": "batch:7", "item": 0},
        {"application": "branch-api", "request_id": "batch:7", "item": 1}]


def test_the_service_applies_the_logs_retention_while_it_serves(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody else prunes a served log: without it, entries outlived their retention."""
    from finpolicy.audit import AuditKeys, DecisionLog, retention, verify_log

    keys = AuditKeys.generate()
    log = DecisionLog(tmp_path / "log.db", keys=keys, segment_records=15, batch_wait=0.0)
    later = dt.date.today() + dt.timedelta(days=6 * 366)  # past every entry's retention
    monkeypatch.setattr(retention, "today_utc", lambda: later)
    pruned: list[list[int]] = []
    prune = log.prune

    def prune_later(today: dt.date | None = None) -> list[int]:
        pruned.append(prune(later))
        return pruned[-1]

    log.prune = prune_later  # type: ignore[method-assign]
    service = Service(fp.PolicyEngine(bundle, log=log), prune_every=0.02)
    with TestClient(create_app(service)) as client:
        for _ in range(40):
            assert client.post("/v1/access/authorize",
                               json=BODIES["access/authorize"]).status_code == 200
        deadline = time.monotonic() + 30
        while not any(pruned) and time.monotonic() < deadline:
            time.sleep(0.01)
    log.close()
    assert any(pruned), "no segment was pruned while serving"
    report = verify_log(tmp_path / "log.db", public_key=keys.public_key)
    assert report.ok, report.problem
    assert report.first > 1


def test_grants_count_only_with_the_servers_role_directory(bundle: fp.Bundle) -> None:
    from tests.helpers.directory import DIRECTORY
    from tests.helpers.serve_bodies import CORE_READ, GRANT

    body = {"request": {**CORE_READ, "grants": [GRANT]}}
    outcomes = []
    for engine in (fp.PolicyEngine(bundle), fp.PolicyEngine(bundle, directory=DIRECTORY)):
        with TestClient(create_app(Service(engine))) as client:
            outcomes.append(client.post("/v1/access/authorize", json=body).json()["result"])
    assert outcomes[0]["outcome"] == "deny"
    assert outcomes[1]["outcome"] == "allow" and outcomes[1]["grant_id"] == GRANT["id"]


def test_a_body_over_the_limit_is_413_however_it_is_sent(bundle: fp.Bundle) -> None:
    def chunks() -> Iterator[bytes]:
        yield from [b" " * 500] * 10

    with TestClient(create_app(Service(fp.PolicyEngine(bundle)), max_body=1000)) as client:
        declared = client.post("/v1/classification/classify", json={"field": "x" * 5000})
        chunked = client.post("/v1/classification/classify", content=chunks(),
                              headers={"Content-Type": "application/json"})
        small = client.post("/v1/classification/classify",
                            json=BODIES["classification/classify"])
    assert declared.status_code == chunked.status_code == 413
    assert chunked.json()["error"] == "body_too_large"
    assert small.status_code == 200


def test_a_token_file_of_two_tokens_takes_either_while_callers_move(tmp_path: Path,
                                                                    bundle: fp.Bundle) -> None:
    """The token file held one token, read once at start: changing it refused every caller
    not yet given the new one. Each line of the file is now a token the service takes."""
    from finpolicy.cli.serve import _read_token

    token = tmp_path / "token"
    token.write_text("old-token-of-the-service\n\nnew-token-of-the-service\n", encoding="utf-8")
    tokens = _read_token(str(token))
    assert tokens == ("old-token-of-the-service", "new-token-of-the-service")
    body = BODIES["access/authorize"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)), token=tokens)) as client:
        for given, status in (("old-token-of-the-service", 200),
                              ("new-token-of-the-service", 200), ("other", 401),
                              ("old-token-of-the-servicenew-token-of-the-service", 401),
                              ("", 401)):
            answer = client.post("/v1/access/authorize", json=body,
                                 headers={"Authorization": f"Bearer {given}"})
            assert answer.status_code == status, (given, answer.text)
            metrics = client.get("/metrics", headers={"Authorization": f"Bearer {given}"})
            assert metrics.status_code == status, given
    token.write_text("old-token-of-the-service\nnew token of the service\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--token-file", str(token)])
    assert result.exit_code == 3
    assert "one token a line, without spaces" in result.output
