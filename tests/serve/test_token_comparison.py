"""Bearer tokens are compared in constant time: neither where a guess goes wrong nor how
long the token is shows in the time of a refusal."""

from __future__ import annotations

import hmac
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app

TOKEN = "s3cret-token-of-the-service"


def test_tokens_are_compared_as_values_of_one_length(bundle: fp.Bundle,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`hmac.compare_digest` returns at once on values of different lengths, so the time of a
    refusal told a caller how long the token was: every comparison is now of two 32-byte
    digests."""
    compared: list[tuple[int, int]] = []
    original = hmac.compare_digest

    def recording(a: Any, b: Any) -> bool:
        compared.append((len(a), len(b)))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    with TestClient(create_app(Service(fp.PolicyEngine(bundle)), token=TOKEN)) as client:
        for given in ("x", TOKEN[:-1], TOKEN + "x", "y" * 4096, TOKEN):
            client.get("/v1/bundle", headers={"Authorization": f"Bearer {given}"})
            client.get("/health", headers={"Authorization": f"Bearer {given}"})
        assert client.get("/v1/bundle", headers={"Authorization": f"Bearer {TOKEN}"}
                          ).status_code == 200
        assert client.get("/v1/bundle", headers={"Authorization": "Bearer x"}
                          ).status_code == 401
    assert compared and all(a == b for a, b in compared), sorted(set(compared))
