"""Stopping the service and clients that leave: a client that never finishes its body keeps
neither the service from stopping nor the log clean of false internal errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from finpolicy.cli.serve import SHUTDOWN_SECONDS
from tests.helpers.server import free_port

PARTIAL = (b"POST /v1/classification/classify HTTP/1.1\r\nHost: x\r\n"
           b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")


def _serve(tmp_path: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    output = tmp_path / "serve.log"
    with output.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "finpolicy", "serve", "--no-watch",
                                    "--port", str(port)], stdout=out,
                                   stderr=subprocess.STDOUT, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return process, output
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, output.read_text()
        time.sleep(0.1)


@pytest.mark.slow
def test_a_client_that_never_finishes_its_body_does_not_keep_the_service_running(
        tmp_path: Path) -> None:
    """On SIGTERM the service waited for such a client for ever (a rolling deploy hung until
    it was killed, the decision log never closed); it now stops within SHUTDOWN_SECONDS."""
    port = free_port()
    process, output = _serve(tmp_path, port)
    with socket.create_connection(("127.0.0.1", port)) as slow:
        slow.sendall(PARTIAL)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=SHUTDOWN_SECONDS + 10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"still serving {SHUTDOWN_SECONDS + 10} s after SIGTERM: "
                        f"{output.read_text()}")


def test_a_client_that_leaves_mid_body_is_no_internal_error(tmp_path: Path) -> None:
    """It was logged as an internal error with ClientDisconnect's traceback, and counted as
    a 500 (error="internal_error"), which dashboards alert on."""
    port = free_port()
    process, output = _serve(tmp_path, port)
    try:
        with socket.create_connection(("127.0.0.1", port)) as leaving:
            leaving.sendall(PARTIAL)
            time.sleep(0.3)
        time.sleep(0.5)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in output.read_text() and "internal error" not in output.read_text()
    assert 'error="client_disconnected",method="classify"' in metrics
    assert "internal_error" not in metrics
