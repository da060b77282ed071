"""Hot reload under load, through the real server: bundles swapped 100 times (a broken one
between some of them) while 8 clients send requests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

import finpolicy as fp
from tests.helpers.serve_bodies import BODIES
from tests.helpers.server import running_server
from tests.helpers.versions import make_broken, make_version, point

SWAPS = 100
CLIENTS = 8


@pytest.mark.slow
def test_swapping_bundles_under_load_fails_no_request(tmp_path: Path) -> None:
    versions = [make_version(tmp_path, f"v{i}", f"{i}.0.0") for i in (1, 2)]
    broken = make_broken(tmp_path, "broken")
    digests = {fp.load_bundle(v).digest: v.name for v in versions}
    link = tmp_path / "current"
    point(link, versions[0])
    failures: list[str] = []
    served: list[str] = []
    stop = threading.Event()

    def client(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                response = http.post("/v1/access/authorize", json=BODIES["access/authorize"])
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                body = response.json()
                digest = body["bundle"]["digest"]
                if digest not in digests:
                    failures.append(f"answered by an unknown bundle {digest}")
                if body["result"]["policy"]["bundle_digest"] != digest:
                    failures.append("the decision and the response name different bundles")
                if body["result"]["outcome"] != "allow":
                    failures.append(f"outcome {body['result']['outcome']}")
                served.append(digest)

    # (it flips back to 1.0.0 on purpose: an operator's rollback, allowed)
    with running_server(str(link), "--interval", "0.02", "--allow-downgrade") as url:
        threads = [threading.Thread(target=client, args=(url,)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            for i in range(SWAPS):
                if i % 10 == 5:  # a broken version appears, then a good one replaces it
                    point(link, broken)
                    _wait_for(url, lambda h: h["status"] == "degraded")
                target = versions[(i + 1) % 2]
                point(link, target)
                _wait_for(url, lambda h, t=target: h["bundle"]["digest"] == _digest(t))
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        metrics = httpx.get(f"{url}/metrics").text
    assert not failures, failures[:5]
    assert len(served) > SWAPS
    assert set(served) == set(digests)  # requests were answered by both versions
    assert _counter(metrics, 'finpolicy_reloads_total{result="swapped"}') >= SWAPS
    assert _counter(metrics, 'finpolicy_reloads_total{result="failed"}') >= SWAPS // 10


_DIGESTS: dict[Path, str] = {}


def _digest(folder: Path) -> str:
    if folder not in _DIGESTS:
        _DIGESTS[folder] = fp.load_bundle(folder).digest
    return _DIGESTS[folder]


def _wait_for(url: str, condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = httpx.get(f"{url}/health", timeout=10).json()
        if condition(health):  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"the server did not reach the state in {timeout}s: {health}")


def _counter(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
