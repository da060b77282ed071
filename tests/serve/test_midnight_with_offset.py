"""A time at midnight with an offset is a time, on the service as in the typed API: pydantic
read ``"as_of": "2026-02-01T00:00:00+14:00"`` as the date 2026-02-01, dropping the offset, so
the service decided a sale under cn-suitability 2.3.0 (in force from 1 February) where the
typed call, at 31 January 10:00 UTC, decided it under 1.3.0."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.inputs import InputModel
from finpolicy.serve import Service, create_app

CUSTOMER = {"id": "c1", "risk_level": "C3", "assessment_date": "2026-01-05",
            "birth_date": "1980-03-04"}
PRODUCT = {"id": "p1", "kind": "fund", "risk_level": "R3"}
MIDNIGHT = "2026-02-01T00:00:00+14:00"  # 2026-01-31T10:00:00Z


@pytest.fixture(scope="module")
def client(bundle: fp.Bundle) -> Iterator[TestClient]:
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)))) as http:
        yield http


def test_the_service_decides_at_the_time_given_as_the_typed_api_does(
        client: TestClient, bundle: fp.Bundle) -> None:
    typed = fp.PolicyEngine(bundle).check_suitability(
        CUSTOMER, PRODUCT, as_of=dt.datetime.fromisoformat(MIDNIGHT))
    response = client.post("/v1/suitability/check_suitability",
                           json={"customer": CUSTOMER, "product": PRODUCT, "as_of": MIDNIGHT})
    assert response.status_code == 200, response.text
    served = response.json()["result"]
    assert served["policy"]["version"] == typed.policy.version == "1.3.0"


def test_a_day_or_moment_keeps_what_the_text_spells() -> None:
    from finpolicy.inputs import DayOrMoment

    class Timed(InputModel):
        at: DayOrMoment

    assert Timed.parse({"at": MIDNIGHT}).at == dt.datetime.fromisoformat(MIDNIGHT)
    assert Timed.parse({"at": " 2026-02-01 "}).at == dt.date(2026, 2, 1)
    assert Timed.parse({"at": "2026-02-01 09:30:00+08:00"}).at.utcoffset() == \
        dt.timedelta(hours=8)
    with pytest.raises(fp.InputError, match="at"):
        Timed.parse({"at": "2026-02-30"})
    with pytest.raises(fp.InputError, match="number"):
        Timed.parse({"at": 20260201})
