"""Every response says it is not to be cached nor read as anything but its type: decisions
hold a customer's data (a proxy or a browser kept them, there being no Cache-Control), and a
404 echoes the path asked (`no such path `/<script>alert(1)</script>``) without
`X-Content-Type-Options: nosniff`."""

from __future__ import annotations

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES

TOKEN = "s3cret-token-of-the-service"


def test_every_response_is_neither_cached_nor_sniffed(bundle: fp.Bundle) -> None:
    told = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)), token=TOKEN,
                               max_body=4096)) as client:
        answers = {
            "decision": client.post("/v1/access/authorize", json=BODIES["access/authorize"],
                                    headers=told),
            "batch": client.post("/v1/access/authorize/batch", headers=told,
                                 json={"calls": [BODIES["access/authorize"]]}),
            "invalid": client.post("/v1/access/authorize", json={}, headers=told),
            "too large": client.post("/v1/access/authorize", content=b"[" * 5000,
                                     headers={**told, "Content-Type": "application/json"}),
            "unauthorized": client.post("/v1/access/authorize", json={}),
            "not found": client.get("/%3Cscript%3Ealert(1)%3C/script%3E"),
            "method": client.delete("/health"),
            "health": client.get("/health"),
            "health by HEAD": client.head("/health"),
            "ready": client.get("/ready"),
            "bundle": client.get("/v1/bundle", headers=told),
            "metrics": client.get("/metrics", headers=told),
            "openapi": client.get("/openapi.json"),
        }
    assert answers["decision"].status_code == 200
    assert answers["not found"].status_code == 404
    for name, answer in answers.items():
        assert answer.headers.get("Cache-Control") == "no-store", name
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", name
