"""Health, readiness and metrics answer while decisions wait, and every answer's body (the
service's routes, decisions, batches) is the one the OpenAPI document declares."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from finpolicy.serve.openapi import SHIPPED
from tests.helpers.serve_bodies import BODIES
from tests.helpers.server import releases

DOCUMENT = json.loads(SHIPPED.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_health_and_readiness_answer_while_every_worker_waits_for_the_log(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that stalls (a PostgreSQL behind a lost network) holds each decision up to
    30 s, and the decisions took every worker thread: /health and /ready, run on the same
    threads, waited as long, so a probe with a timeout took the service for dead."""
    from finpolicy.audit import AuditKeys, DecisionLog

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    stalled = threading.Event()

    def wait_written(timeout: float | None = None) -> None:
        stalled.wait(timeout)

    monkeypatch.setattr(log, "wait_written", wait_written)
    app = create_app(Service(fp.PolicyEngine(bundle, log=log)))
    answers: dict[str, float] = {}
    with TestClient(app) as client:
        waiting = [threading.Thread(target=client.post, args=("/v1/access/authorize",),
                                    kwargs={"json": BODIES["access/authorize"]})
                   for _ in range(60)]
        for thread in waiting:
            thread.start()
        time.sleep(1.0)  # every worker thread now waits for the log

        def probe(path: str) -> None:
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            answers[path] = time.perf_counter() - started

        probes = [threading.Thread(target=probe, args=(p,)) for p in
                  ("/health", "/ready", "/metrics", "/v1/bundle")]
        for thread in probes:
            thread.start()
        for thread in probes:
            thread.join(timeout=5)
        stalled.set()
        for thread in waiting:
            thread.join()
    log.close()
    assert sorted(answers) == ["/health", "/metrics", "/ready", "/v1/bundle"], answers
    assert max(answers.values()) < 2.0, answers


def _conforms(response: Any, path: str, method: str = "get") -> None:
    """``response``'s body is what the shipped OpenAPI document declares for its status."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    declared = DOCUMENT["paths"][path][method]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    assert schema.get("additionalProperties") is not True and schema, (path, schema)
    registry = Registry().with_resource("urn:doc", Resource.from_contents(
        DOCUMENT, default_specification=DRAFT202012))
    if "$ref" in schema:
        schema = {"$ref": "urn:doc" + schema["$ref"]}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(response.json())


def test_the_service_routes_answer_what_the_openapi_document_declares(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """/health, /ready and /v1/bundle were declared as any object (or nothing, for the 503
    of /ready): a client generated from the document could read none of their fields."""
    from finpolicy.audit import AuditKeys, DecisionLog

    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack)
    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    service = Service(fp.PolicyEngine(fp.load_bundle(pack), log=log), watch=pack)
    with TestClient(create_app(service)) as client:
        for path in ("/health", "/ready", "/v1/bundle"):
            _conforms(client.get(path), path)
        (pack / "access.yaml").write_text("kind: [", encoding="utf-8")
        assert service.watcher is not None and service.watcher.check(force=True)
        degraded = client.get("/health")
        assert degraded.json()["status"] == "degraded"
        _conforms(degraded, "/health")
        monkeypatch.setattr(type(log), "failure", property(lambda _: OSError("disk full")))
        failing, unready = client.get("/health"), client.get("/ready")
        assert failing.json()["status"] == "failing" and unready.status_code == 503
        _conforms(failing, "/health")
        _conforms(unready, "/ready")
        monkeypatch.undo()
    log.close()


def test_health_names_the_release_a_failed_reload_tried(tmp_path: Path,
                                                        bundle: fp.Bundle) -> None:
    """Deployed by moving a link (docs/serve.rst), a failed version's error named only the
    link's path (`current/access.yaml:1: …`): once the link moved on, nothing said which
    release had failed."""
    _, bad, current = releases(tmp_path, bundle.root)
    service = Service(fp.PolicyEngine(fp.load_bundle(current)), watch=current)
    with TestClient(create_app(service)) as client:
        current.unlink()
        current.symlink_to(bad)
        assert service.watcher is not None and service.watcher.check(force=True)
        health = client.get("/health")
    last = health.json()["last_reload"]
    assert last["outcome"] == "failed" and f"{bad}/access.yaml" in last["error"]
    assert last["folder"] == str(bad)
    _conforms(health, "/health")


def test_every_decision_answer_is_what_the_openapi_document_declares(
        bundle: fp.Bundle) -> None:
    """Every operation's result was declared as anything (`result: {}`), so a client
    generated from the document could not read a decision's outcome, rules or policy."""
    from finpolicy.serve import endpoints

    with TestClient(create_app(Service(fp.PolicyEngine(bundle)))) as client:
        for endpoint in endpoints():
            body = BODIES[f"{endpoint.domain}/{endpoint.method}"]
            single = client.post(endpoint.path, json=body)
            failing = {**body, "policy": "no-such-policy"}  # that call answers 409
            batch = client.post(f"{endpoint.path}/batch", json={"calls": [body, failing]})
            assert single.status_code == 200 and batch.status_code == 200, endpoint
            assert [r["status"] for r in batch.json()["results"]] == [200, 409]
            _conforms(single, endpoint.path, "post")
            _conforms(batch, f"{endpoint.path}/batch", "post")
    declared = DOCUMENT["components"]["schemas"]
    assert declared["AuthorizeAnswer"]["properties"]["result"] == {
        "$ref": "#/components/schemas/DecisionResult"}
    assert {"outcome", "hits", "policy", "input_digest"} <= set(
        declared["DecisionResult"]["required"])
