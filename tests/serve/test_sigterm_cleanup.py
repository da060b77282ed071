"""Stopped by SIGTERM (how systemd and Kubernetes stop it) or Ctrl-C, the service closes its
decision log and runs the process's exit handlers, and exits 143 or 130 without a word."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.serve_bodies import BODIES
from tests.helpers.server import free_port

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("stop", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["sigterm", "ctrl-c"])
def test_sigterm_closes_the_log_and_removes_the_git_packs_copy(
        tmp_path: Path, stop: signal.Signals, status: int) -> None:
    """uvicorn stops on SIGTERM, then raises it again with Python's default handler, which
    killed the process on the spot: the decision log never got the final checkpoint
    `close()` writes (it read as a crashed writer's), and a `git:REV:PATH` pack's extracted
    copy stayed in the temporary folder, one more at each restart. After Ctrl-C, click said
    "Aborted!" and the status was 1, as for a failure."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary), "PYTHONUNBUFFERED": "1"}
    finpolicy = [sys.executable, "-m", "finpolicy"]
    subprocess.run([*finpolicy, "audit", "keygen", str(tmp_path / "keys")], check=True,
                   env=env, capture_output=True)
    port = free_port()
    output = tmp_path / "serve.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [*finpolicy, "serve", "git:HEAD:policies/cn-banking", "--no-watch",
             "--port", str(port), "--log", str(tmp_path / "log"),
             "--log-keys", str(tmp_path / "keys")],
            cwd=REPOSITORY, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        assert any(temporary.iterdir())  # the pack's copy, while it serves
        answer = httpx.post(f"{url}/v1/access/authorize", json=BODIES["access/authorize"],
                            timeout=30)
        assert answer.status_code == 200, answer.text
        process.send_signal(stop)
        assert process.wait(timeout=30) == status, output.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in output.read_text(), output.read_text()
    assert "Aborted" not in output.read_text(), output.read_text()
    assert list(temporary.iterdir()) == []
    (segment,) = sorted((tmp_path / "log").glob("*.jsonl"))
    last = json.loads(segment.read_text(encoding="utf-8").splitlines()[-1])["record"]
    assert last["type"] == "checkpoint" and last.get("final") is True, last
