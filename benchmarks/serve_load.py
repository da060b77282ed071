"""Bounded load test of ``finpolicy serve``: a fixed number of ``POST /v1/access/authorize``
requests from 1, 8 and 64 concurrent clients to a server on localhost, next to the same
decision taken in process. Every answer is checked (status 200, outcome allow)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from harness import Measurement, latencies
from rich.console import Console

import finpolicy as fp

CLIENTS = (1, 8, 64)
REQUEST = {"subject": {"id": "u-teller-1", "roles": ["teller"], "department": "retail",
                       "branch": "BJ01"},
           "action": "read", "purpose": "account_service", "as_of": "2026-03-02T10:00:00+08:00",
           "resource": {"type": "customer_record", "data_level": "ordinary",
                        "category": "basic_identity", "department": "retail", "branch": "BJ01"}}


@contextlib.contextmanager
def _server(*options: str) -> Iterator[str]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "finpolicy", "serve", "--no-watch",
                                "--port", str(port), *options], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _load(url: str, clients: int, requests: int, body: dict[str, Any]
          ) -> tuple[float, float, float]:
    """Requests per second over the whole run, p50 and p99 latency in microseconds."""
    import httpx

    samples: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    share = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    def client(count: int) -> None:
        mine = []
        with httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(count):
                start = time.perf_counter_ns()
                response = http.post("/v1/access/authorize", json=body)
                mine.append(time.perf_counter_ns() - start)
                if response.status_code != 200 or response.json()["result"]["outcome"] != "allow":
                    errors.append(response.text[:200])
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed: {errors[0]}")
    samples.sort()
    return (requests / elapsed, samples[len(samples) // 2] / 1000,
            samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000)


def bench_serve(console: Console, requests: int) -> list[Measurement]:
    """HTTP requests/s and latency at each concurrency, and the in-process decision."""
    engine = fp.PolicyEngine()
    request = fp.AccessRequest(**{**REQUEST, "as_of": dt.datetime.fromisoformat(
        REQUEST["as_of"])})
    local, local_p50, local_p99 = latencies(engine.authorize, [request] * requests)
    rows = [Measurement("serve", "authorize in process (1 thread)", "compiled", local,
                        local_p50, local_p99)]
    with _server() as url:
        _load(url, 1, min(200, requests), {"request": REQUEST})  # warm up
        for clients in CLIENTS:
            console.log(f"serve: {requests} requests from {clients} clients")
            rps, p50, p99 = _load(url, clients, requests, {"request": REQUEST})
            rows.append(Measurement(
                "serve", f"POST /v1/access/authorize, {clients} clients", "compiled", rps,
                p50, p99, note=f"{requests} requests on localhost; in process "
                               f"÷ HTTP = {local / rps:.0f}×"))
    return rows + _logged(console, requests, {r.name: r.per_second for r in rows})


def _logged(console: Console, requests: int, unlogged: dict[str, float]) -> list[Measurement]:
    """The same load with a decision log (SQLite): each response waits until the log holds
    its decision, written, signed and synced."""
    from finpolicy.audit.keys import generate_keys

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        generate_keys(f"{folder}/keys")
        with _server("--log", f"{folder}/log.db", "--log-keys", f"{folder}/keys") as url:
            _load(url, 1, min(200, requests), {"request": REQUEST})
            for clients in CLIENTS:
                console.log(f"serve, logged: {requests} requests from {clients} clients")
                rps, p50, p99 = _load(url, clients, requests, {"request": REQUEST})
                name = f"POST /v1/access/authorize, {clients} clients"
                rows.append(Measurement(
                    "serve", f"{name}, logged (SQLite)", "compiled", rps, p50, p99,
                    note=f"{requests} requests; answered once the log holds the decision; "
                         f"unlogged ÷ logged = {unlogged[name] / rps:.2f}×"))
    return rows
