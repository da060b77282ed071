"""The real service over a kept-alive connection: a client that reuses its connection (every
HTTP client pool does) is answered at once, not after the peer's delayed acknowledgement."""

from __future__ import annotations

import statistics
import time

import httpx

from tests.helpers.server import running_server


def test_requests_on_a_kept_alive_connection_are_answered_without_delay() -> None:
    """The socket ``finpolicy serve`` binds was made without naming TCP, so the connections it
    accepted kept Nagle's algorithm: each answer's body waited for the acknowledgement of its
    headers, which the client delays by 40 ms — 44 ms a request on localhost, 22 requests a
    second from one client, against about 1 ms."""
    with running_server("--no-watch") as url, httpx.Client(base_url=url, timeout=10) as http:
        body = {"field": {"name": "mobile"}, "as_of": "2026-03-01"}
        for _ in range(3):  # warm up (the first answers build caches)
            assert http.post("/v1/classification/classify", json=body).status_code == 200
        took = []
        for _ in range(15):
            started = time.perf_counter()
            assert http.post("/v1/classification/classify", json=body).status_code == 200
            took.append(time.perf_counter() - started)
    assert statistics.median(took) < 0.025, [round(t * 1000, 1) for t in took]
