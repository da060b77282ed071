"""Once the decision log's store fails, every decision is refused: the caller's 500 says the
decision log is why, and the service's own log says it in one line per refusal, not a
traceback."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES


def test_a_decision_refused_for_a_failed_log_says_so_in_one_line(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """With the log's folder made read-only, each request was answered "internal error
    (AuditError); the request is denied" (naming a class, not the decision log) and wrote
    a 40-line traceback to the service's log: at a thousand requests a second, the log
    drowned everything else."""
    from finpolicy.audit import AuditKeys, DecisionLog

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())

    def read_only(rows: Any, *, sync: bool) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(log.sink, "write", read_only)
    body = BODIES["access/authorize"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log))),
                    raise_server_exceptions=False) as client:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="finpolicy.serve"):
            answers = [client.post("/v1/access/authorize", json=body) for _ in range(3)]
            batch = client.post("/v1/access/authorize/batch", json={"calls": [body]})
        records = [r for r in caplog.records if r.name == "finpolicy.serve"]
    with pytest.raises(Exception, match="not permitted"):
        log.close()
    errors = [*(a.json() for a in answers), batch.json()["results"][0]["error"]]
    assert [a.status_code for a in answers] == [500, 500, 500]
    for error in errors:
        assert error["outcome"] == "deny" and error["allowed"] is False
        assert "decision log" in error["message"], error
    assert len(records) == 4
    assert all(r.exc_info is None and "decision log" in r.getMessage() for r in records)


def test_metrics_say_when_the_decision_log_has_failed(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only /ready said the log had failed: a Prometheus alert had nothing to read but
    `internal_error` counts, which any other fault raises too."""
    from finpolicy.audit import AuditKeys, DecisionLog

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log))),
                    raise_server_exceptions=False) as client:
        before = client.get("/metrics").text

        def full(rows: Any, *, sync: bool) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(log.sink, "write", full)
        assert client.post("/v1/access/authorize",
                           json=BODIES["access/authorize"]).status_code == 500
        after = client.get("/metrics").text
    with pytest.raises(Exception, match="No space left"):
        log.close()
    assert "finpolicy_decision_log_failing 0.0" in before
    assert "finpolicy_decision_log_failing 1.0" in after


def test_a_failed_log_fails_liveness_and_refuses_explanations(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the log had failed, /health still answered 200 (so a liveness probe never
    restarted the process, though only a restart brings the log back), and /explain went on
    answering with the decision every decision endpoint refused."""
    from finpolicy.audit import AuditKeys, DecisionLog

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    body = BODIES["suitability/check_suitability"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log))),
                    raise_server_exceptions=False) as client:
        assert client.get("/health").status_code == 200
        explained = client.post("/v1/suitability/check_suitability/explain", json=body)
        assert explained.status_code == 200, explained.text

        def full(rows: Any, *, sync: bool) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(log.sink, "write", full)
        assert client.post("/v1/suitability/check_suitability", json=body).status_code == 500
        health = client.get("/health")
        head = client.head("/health")
        refused = client.post("/v1/suitability/check_suitability/explain", json=body)
    with pytest.raises(Exception, match="No space left"):
        log.close()
    assert health.status_code == 503 and head.status_code == 503
    assert health.json()["status"] == "failing"
    assert "No space left" in health.json()["log_failure"]
    assert refused.status_code == 500, refused.text
    assert "decision log" in refused.json()["message"]
    assert "result" not in refused.json()

