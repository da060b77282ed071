"""``ExportDecision`` has ``to_dict()`` as every decision has (it was the only one without):
``allowed`` and the access and consent decisions' own; the HTTP service answers
``authorize_export`` with it."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.directory import DIRECTORY
from tests.helpers.serve_bodies import BODIES
from tests.unit.test_consent_policy import SHARE, export_access, share_consent


@pytest.mark.parametrize("levels", [["core"], []])
def test_an_export_decision_has_to_dict(engine: fp.PolicyEngine, levels: list[str]) -> None:
    both = engine.authorize_export(export_access(), SHARE, consents=[share_consent(levels)],
                                   directory=DIRECTORY)
    data = both.to_dict()
    assert data == {"allowed": both.allowed, "access": both.access.to_dict(),
                    "consent": both.consent.to_dict()}
    assert data["allowed"] is (levels == ["core"])
    assert json.loads(json.dumps(data)) == data  # JSON-ready


def test_the_service_answers_an_export_with_its_to_dict(bundle: fp.Bundle) -> None:
    engine = fp.PolicyEngine(bundle, directory=DIRECTORY)
    body = BODIES["consent/authorize_export"]
    with TestClient(create_app(Service(engine))) as client:
        response = client.post("/v1/consent/authorize_export", json=body)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert set(result) == {"allowed", "access", "consent"}
    assert result["allowed"] is (result["access"]["allowed"] and result["consent"]["allowed"])
