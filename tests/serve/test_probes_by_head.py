"""Health and readiness answer HEAD as GET, without a body: monitors and `curl -I` ask so."""

from __future__ import annotations

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app


def test_health_and_ready_answer_head() -> None:
    """`curl -I http://127.0.0.1:8181/health` (and a load balancer's HEAD check) got 405
    method_not_allowed, so the probe took a healthy service for a broken one."""
    with TestClient(create_app(Service(fp.PolicyEngine()), token="s3cret")) as client:
        for path in ("/health", "/ready"):
            answer = client.head(path)
            assert answer.status_code == client.get(path).status_code == 200, answer.text
            assert answer.content == b""
            assert answer.headers["X-Request-Id"]
        assert "head" not in client.get("/openapi.json").json()["paths"]["/health"]
