"""Property-based API test against the shipped OpenAPI document: bodies drawn from each
request schema, arbitrary JSON, and valid bodies with one field spoilt, sent to the real
server. No
answer is a server error, and no refused request allows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finpolicy.serve.openapi import SHIPPED
from tests.helpers.schema_strategies import from_schema
from tests.helpers.serve_bodies import BODIES
from tests.helpers.server import running_server

pytestmark = pytest.mark.slow  # about 650 requests to a real server

DOCUMENT = json.loads(SHIPPED.read_text(encoding="utf-8"))
OPERATIONS = sorted(path for path, item in DOCUMENT["paths"].items() if "post" in item)
SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=4),
    max_leaves=20)


def _bodies(path: str) -> st.SearchStrategy[Any]:
    content = DOCUMENT["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    return from_schema(content["schema"], DOCUMENT["components"]["schemas"])


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with running_server("--no-watch") as url, httpx.Client(base_url=url, timeout=60) as http:
        yield http


def _allows(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("outcome") == "allow" or value.get("allowed") is True or any(
            _allows(v) for v in value.values())
    if isinstance(value, list):
        return any(_allows(v) for v in value)
    return False


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert response.status_code in (409, 422), response.text
        assert not _allows(response.json()), response.text


@pytest.mark.parametrize("path", OPERATIONS)
def test_bodies_of_the_schema_never_fail_the_server(client: httpx.Client, path: str) -> None:
    @SETTINGS
    @given(body=_bodies(path))
    def check(body: Any) -> None:
        _check(client.post(path, json=body))

    check()


@pytest.mark.parametrize("path", OPERATIONS)
def test_arbitrary_json_is_refused_without_allowing(client: httpx.Client, path: str) -> None:
    @SETTINGS
    @given(body=JSON)
    def check(body: Any) -> None:
        response = client.post(path, json=body)
        _check(response)
        assert response.status_code == 422

    check()


def _leaves(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*prefix, i))]
    return [prefix]


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("name", sorted(BODIES))
def test_a_valid_body_with_one_field_spoilt_never_allows_wrongly(client: httpx.Client,
                                                                 name: str) -> None:
    body = BODIES[name]

    @SETTINGS
    @given(path=st.sampled_from(_leaves(body)), junk=JSON)
    def check(path: tuple[Any, ...], junk: Any) -> None:
        _check(client.post(f"/v1/{name}", json=_replace(body, path, junk)))

    check()
