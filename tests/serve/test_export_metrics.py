"""The service's metrics count an export (consent/authorize_export) by its outcome."""

from __future__ import annotations

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES


def test_an_export_is_counted_by_its_outcome(bundle: fp.Bundle) -> None:
    """finpolicy_decisions_total counted every export under the outcome `done`, whether it
    was allowed or denied: an alert on refused exports had nothing to read."""
    body = BODIES["consent/authorize_export"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)))) as client:
        answer = client.post("/v1/consent/authorize_export", json=body)
        assert answer.status_code == 200, answer.text
        allowed = answer.json()["result"]["allowed"]
        metrics = client.get("/metrics").text
    outcome = "allow" if allowed else "deny"
    assert (f'finpolicy_decisions_total{{domain="consent",method="authorize_export",'
            f'outcome="{outcome}"}} 1.0') in metrics, metrics
    assert 'outcome="done"' not in metrics
