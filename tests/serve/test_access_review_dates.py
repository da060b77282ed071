"""``POST /v1/access/review_access`` reads its ``as_of`` as the typed call and ``finpolicy
review`` do: a date is its midnight UTC, a datetime keeps its offset, a naive one is refused
at the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app

AT = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
# expires at 2026-03-01T20:00Z: expired at midnight UTC of 2 March, not at midnight in Beijing
GRANTS = [{"id": "g1", "grantee": "u-1", "purpose": "account_service",
           "resource_type": "customer_record", "data_level": "core", "category": "business",
           "requested_at": (AT - 20 * DAY).isoformat(), "approved_by": "u-head",
           "approver_roles": ["department_head"], "approved_at": (AT - 19 * DAY).isoformat(),
           "expires_at": "2026-03-01T20:00:00+00:00"}]
ASSIGNMENTS = [{"subject_id": "u-head", "role": "department_head",
                "assigned_at": (AT - 40 * DAY).isoformat(), "approved_by": "u-head-2",
                "approver_roles": ["department_head"], "approved_at": (AT - 40 * DAY).isoformat()},
               {"subject_id": "u-head-2", "role": "department_head",
                "assigned_at": (AT - 40 * DAY).isoformat(), "approved_by": "u-head",
                "approver_roles": ["department_head"], "approved_at": (AT - 40 * DAY).isoformat()}]


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(Service(fp.PolicyEngine()))) as test_client:
        yield test_client


def _review(client: TestClient, as_of: str) -> Any:
    return client.post("/v1/access/review_access",
                       json={"grants": GRANTS, "assignments": ASSIGNMENTS, "as_of": as_of})


@pytest.mark.parametrize("as_of", ["2026-03-02", "2026-03-02T00:00:00+08:00",
                                   "2026-03-02T00:00:00+00:00"])
def test_the_review_reads_as_of_over_http_as_the_typed_call_does(client: TestClient,
                                                                  as_of: str) -> None:
    # a date was 422 ('naive datetime') while review_access and the CLI read it as its
    # midnight UTC
    answer = _review(client, as_of)
    assert answer.status_code == 200, answer.text
    typed = fp.PolicyEngine().review_access(GRANTS, ASSIGNMENTS, as_of=as_of)
    result = answer.json()["result"]
    assert dt.datetime.fromisoformat(result["as_of"]) == typed.as_of
    assert [f["kind"] for f in result["findings"]] == [f.kind for f in typed.findings]


def test_a_date_is_midnight_utc_and_a_midnight_with_an_offset_keeps_it(
        client: TestClient) -> None:
    by_date = _review(client, "2026-03-02").json()["result"]
    assert by_date["as_of"].startswith("2026-03-02T00:00:00")
    assert [f["kind"] for f in by_date["findings"]] == ["expired_grant"]
    beijing = _review(client, "2026-03-02T00:00:00+08:00").json()["result"]
    assert beijing["findings"] == []  # 2026-03-01T16:00Z: the grant runs until 20:00Z


def test_a_naive_datetime_is_refused_at_the_field(client: TestClient) -> None:
    answer = _review(client, "2026-03-02T10:00:00")
    assert answer.status_code == 422
    assert "as_of" in answer.text and "offset" in answer.text
