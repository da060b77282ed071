"""Start the real decision service (``finpolicy serve`` on uvicorn) in a subprocess on a free
localhost port, and stop it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx


def releases(tmp_path: Path, pack: str | Path) -> tuple[Path, Path, Path]:
    """Two releases of ``pack`` deployed by a link, as docs/serve.rst deploys: ``v41`` (good),
    ``v42`` (its access policy broken) and ``current`` leading to ``v41``."""
    import shutil

    good, bad = tmp_path / "releases" / "v41", tmp_path / "releases" / "v42"
    shutil.copytree(pack, good)
    shutil.copytree(pack, bad)
    (bad / "access.yaml").write_text("kind: [", encoding="utf-8")
    current = tmp_path / "current"
    current.symlink_to(good)
    return good, bad, current


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(*args: str, timeout: float = 60.0, scheme: str = "http",
                   **client: Any) -> Iterator[str]:
    """``finpolicy serve ARGS --port <free>``; yields its base URL once ``/ready`` answers
    (asked with httpx options ``client``: TLS settings, say)."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"finpolicy-serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "finpolicy", "serve", *args, "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited ({process.returncode}): "
                                     f"{log.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/ready", timeout=1.0, **client).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not get ready: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)
