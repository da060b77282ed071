"""What a body costs the service before it is refused: nothing for a caller without the
token, and no walk of every value of a large, shallow body."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest
from fastapi.testclient import TestClient

import finpolicy as fp
import finpolicy.serve.bodies as bodies
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES


def test_a_caller_without_the_token_is_refused_before_its_body_is_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The token was checked after the body was parsed and walked: without it, anyone could
    make the service spend 30 s and 2 GB on 16 MiB of `[{},{},…]` (then answer 401)."""
    read: list[bytes] = []

    def reading(raw: bytes) -> Any:
        read.append(raw)
        return json.loads(raw)

    monkeypatch.setattr(bodies, "read_json", reading)
    app = create_app(Service(fp.PolicyEngine()), token="s3cret")
    with TestClient(app) as client:
        body = BODIES["access/authorize"]
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            answer = client.post("/v1/access/authorize", json=body, headers=headers)
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"] == "unauthorized"
            assert answer.headers["WWW-Authenticate"] == "Bearer"
            assert answer.headers["X-Request-Id"]
        assert read == []
        metrics = client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).text
        assert client.get("/metrics").status_code == 401
        assert client.post("/v1/access/authorize", json=body,
                           headers={"Authorization": "bearer s3cret"}).status_code == 200
    assert 'error="unauthorized",method="authorize"} 3.0' in metrics


def test_a_large_shallow_body_is_not_walked_value_by_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every body with more than 64 brackets was walked value by value to find its depth
    (and any key given twice): 16 MiB of `[{},{},…]` took 22 s of the request thread. Its
    depth is now counted on its bytes; only a body with a problem is walked, to name it."""
    walked: list[Any] = []
    problems = bodies._problems

    def walking(value: Any) -> Any:
        walked.append(value)
        return problems(value)

    monkeypatch.setattr(bodies, "_problems", walking)
    shallow = [{"a": [1, {"b": "[[[[" * 40}]} for _ in range(1000)]
    assert bodies.read_json(json.dumps(shallow).encode()) == shallow
    assert walked == []
    deep: Any = 1
    for _ in range(65):
        deep = [deep]
    with pytest.raises(fp.InputError, match="nested deeper than 64"):
        bodies.read_json(json.dumps([*shallow, deep]).encode())
    assert len(walked) == 1


def test_mounted_under_a_prefix_the_token_is_still_checked_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An application that mounts the service (`outer.mount("/decisions", app)`) sees the
    same: no body is read for a caller without the token."""
    from fastapi import FastAPI

    read: list[bytes] = []
    monkeypatch.setattr(bodies, "read_json", lambda raw: read.append(raw) or json.loads(raw))
    outer = FastAPI()
    outer.mount("/decisions", create_app(Service(fp.PolicyEngine()), token="s3cret"))
    with TestClient(outer) as client:
        answer = client.post("/decisions/v1/access/authorize", json=BODIES["access/authorize"])
    assert answer.status_code == 401 and read == []


def test_a_body_of_millions_of_tiny_values_is_refused_before_it_is_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller with the token could make the service hold half a gigabyte for 16 MiB of
    `[{},{},…]` (5.6 million values) before the schema refused it. More values than
    MAX_BODY_VALUES are refused (422, too_large) before a single one is made."""
    made: list[Any] = []
    reader = types.SimpleNamespace(loads=lambda *a, **k: made.append(a) or [],
                                   JSONDecodeError=json.JSONDecodeError)
    monkeypatch.setattr(bodies, "json", reader)  # (the service's reader only)
    app = create_app(Service(fp.PolicyEngine()))
    flood = b"[" + b",".join([b"{}"] * (bodies.MAX_BODY_VALUES + 1)) + b"]"
    with TestClient(app) as client:
        answer = client.post("/v1/access/authorize", content=flood,
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    problem = answer.json()["problems"][0]
    assert problem["code"] == "too_large"
    assert f"more than {bodies.MAX_BODY_VALUES:,} values" in problem["message"]
    assert made == []
    # a batch of the most calls the service takes is far below the bound
    batch = json.dumps([BODIES["access/authorize"]] * 1000).encode()
    assert batch.count(b",") < bodies.MAX_BODY_VALUES // 20
