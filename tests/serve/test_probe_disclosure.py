"""What /health and /ready tell a caller without the token: the status alone.

A liveness or readiness probe needs the status (and the HTTP status); the folder watched, the
release a failed reload tried, its error (every file's path, the signer's key and name) and
why the decision log failed (a store's address) are for callers that hold the token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.server import releases
from tests.serve.test_health import _conforms

TOKEN = "s3cret-token-of-the-service"


def _degraded(tmp_path: Path, bundle: fp.Bundle) -> tuple[Service, Path]:
    """A service watching ``current``, whose link now leads to a release that fails."""
    _, bad, current = releases(tmp_path, bundle.root)
    service = Service(fp.PolicyEngine(fp.load_bundle(current)), watch=current)
    current.unlink()
    current.symlink_to(bad)
    return service, current


def test_health_tells_a_caller_without_the_token_the_status_alone(
        tmp_path: Path, bundle: fp.Bundle) -> None:
    """/health answered anyone the folder watched, the release a failed reload tried and
    its error, every path absolute (`/srv/policies/releases/v42/access.yaml:1: …`)."""
    service, current = _degraded(tmp_path, bundle)
    with TestClient(create_app(service, token=TOKEN)) as client:
        assert service.watcher is not None and service.watcher.check(force=True)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            probe = client.get("/health", headers=headers)
            assert probe.status_code == 200
            assert probe.json() == {"status": "degraded"}, (headers, probe.text)
            assert str(tmp_path) not in probe.text
            _conforms(probe, "/health")
        full = client.get("/health", headers={"Authorization": f"Bearer {TOKEN}"})
    body = full.json()
    assert body["status"] == "degraded" and body["watching"] == str(current)
    assert body["last_reload"]["outcome"] == "failed"
    assert body["bundle"]["digest"] == bundle.digest
    _conforms(full, "/health")
    # a service with no token (localhost, a caller check elsewhere) tells every caller the
    # details, as it answers /v1/bundle to anyone
    with TestClient(create_app(service)) as client:
        assert client.get("/health").json()["watching"] == str(current)
        assert client.get("/ready").json()["bundle"]["digest"] == bundle.digest


def test_a_failed_decision_log_is_told_only_to_a_caller_with_the_token(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the decision log failed (a PostgreSQL address, a user name, a folder) was in the
    body of /health and /ready for anyone."""
    from finpolicy.audit import AuditKeys, DecisionLog

    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    failure = OSError("connection to server at db-7.bank.internal (10.2.3.4) failed")
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log)),
                               token=[TOKEN, "another"])) as client:
        monkeypatch.setattr(type(log), "failure", property(lambda _: failure))
        health, ready = client.get("/health"), client.get("/ready")
        assert (health.status_code, health.json()) == (503, {"status": "failing"})
        assert (ready.status_code, ready.json()) == (503, {"ready": False})
        _conforms(health, "/health")
        _conforms(ready, "/ready")
        assert client.head("/health").status_code == client.head("/ready").status_code == 503
        told = {"Authorization": "Bearer another"}
        health, ready = client.get("/health", headers=told), client.get("/ready", headers=told)
        monkeypatch.undo()
    log.close()
    assert "db-7.bank.internal" in health.json()["log_failure"]
    assert "db-7.bank.internal" in ready.json()["reason"]
    assert ready.json()["bundle"]["digest"] == bundle.digest
