"""A campaign plan as JSON data: ``CampaignReport.to_dict``, the same over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app

BJ = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
CONSENT: dict[str, Any] = {"id": "c-a", "customer": "cu-a", "purpose": "marketing",
                           "channels": ["sms"], "separate": True,
                           "given_at": "2026-02-01T09:00:00+08:00", "evidence": "form-1",
                           "notice_version": "privacy-2025"}
CUSTOMERS: list[dict[str, Any]] = [
    {"id": "cu-a", "channels": ["sms"]},
    {"id": "cu-b", "time_zone": "Europe/London", "channels": ["sms"]},
    {"id": "cu-c", "channels": ["sms"]}]


def test_a_campaign_report_is_json_data_with_its_counts_and_every_entry(
        engine: fp.PolicyEngine) -> None:
    london = {**CONSENT, "id": "c-b", "customer": "cu-b"}
    report = engine.plan_campaign(CUSTOMERS, consents=[CONSENT, london], as_of=AT)
    data = json.loads(json.dumps(report.to_dict()))  # plain JSON, nothing else
    assert data["purpose"] == "marketing" and data["as_of"] == "2026-03-02T10:00:00+08:00"
    assert data["customers"] == 3
    assert data["counts"] == {"now": 1, "later": 1, "never": 1}
    assert data["reasons"] == {"no-consent": 1}
    assert data["by_channel"] == {"sms": {"now": 1, "later": 1, "never": 1}}
    assert data["policy"]["id"] == "cn-consent" and data["policy"]["version"]
    assert data["engine"] == engine.runtime.engine_name and data["channels"] == []
    assert [(e["customer"], e["status"], e["at"]) for e in data["entries"]] == [
        ("cu-a", "now", "2026-03-02T10:00:00+08:00"),
        ("cu-b", "later", "2026-03-02T08:00:00+00:00"),
        ("cu-c", "never", None)]
    assert data["entries"] == [e.to_dict() for e in report.entries]


def test_the_http_campaign_answers_the_reports_own_json() -> None:
    engine = fp.PolicyEngine()
    with TestClient(create_app(Service(engine))) as http:
        response = http.post("/v1/consent/plan_campaign", json={
            "customers": CUSTOMERS, "consents": [CONSENT], "as_of": AT.isoformat()})
    assert response.status_code == 200, response.text
    expected = engine.plan_campaign(CUSTOMERS, consents=[CONSENT], as_of=AT).to_dict()
    assert response.json()["result"] == json.loads(json.dumps(expected))
