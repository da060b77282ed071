"""``finpolicy_request_seconds`` is the time to answer, the wait for the decision log
included: a stalled log shows in the latency an operator watches."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
import finpolicy.serve.app as app_module
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES

WAIT = 20.0  # seconds the log takes to hold the decisions, on the clock below


def _sum(metrics: str) -> float:
    found = re.search(r'^finpolicy_request_seconds_sum\{domain="access",method="authorize"\} '
                      r"(\S+)$", metrics, re.MULTILINE)
    assert found, metrics
    return float(found.group(1))


@pytest.mark.parametrize("batch", [False, True])
def test_the_latency_histogram_counts_the_wait_for_the_decision_log(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch,
        batch: bool) -> None:
    """Only the decision itself was timed (microseconds): with the store stalled and every
    answer waiting up to 30 s for it, the histogram still read microseconds, and a latency
    alert never fired while the callers timed out."""
    from finpolicy.audit import AuditKeys, DecisionLog

    clock = [1000.0]
    monkeypatch.setattr(app_module, "time", types.SimpleNamespace(
        perf_counter=lambda: clock[0]))
    log = DecisionLog(tmp_path / "log.db", keys=AuditKeys.generate())
    written = log.wait_written

    def slow_store(timeout: float | None = None) -> None:
        written(timeout)
        clock[0] += WAIT

    monkeypatch.setattr(log, "wait_written", slow_store)
    body = BODIES["access/authorize"]
    with TestClient(create_app(Service(fp.PolicyEngine(bundle, log=log)))) as client:
        if batch:
            answer = client.post("/v1/access/authorize/batch", json={"calls": [body, body]})
        else:
            answer = client.post("/v1/access/authorize", json=body)
        assert answer.status_code == 200, answer.text
        metrics = client.get("/metrics").text
    log.close()
    assert _sum(metrics) == WAIT * (2 if batch else 1)
