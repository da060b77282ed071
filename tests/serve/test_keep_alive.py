"""``--keep-alive``: how long an idle connection stays open, set above a load balancer's
idle timeout so that the service never closes a connection the balancer is sending on."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from finpolicy.cli import main


def test_keep_alive_sets_the_idle_connection_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Idle connections were closed after uvicorn's 5 s, with no option to change it: behind
    a load balancer that keeps them 60 s (AWS ALB's default), a request it sent on a
    connection the service was closing failed with a 502."""
    import uvicorn

    seen: list[int] = []

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        seen.append(self.config.timeout_keep_alive)
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    runner = CliRunner()
    for args, expected in ((["--keep-alive", "75"], 75), ([], 5)):
        result = runner.invoke(main, ["serve", "--no-watch", "--port", "0", *args])
        assert seen and seen.pop() == expected, result.output
    refused = runner.invoke(main, ["serve", "--no-watch", "--keep-alive", "0"])
    assert refused.exit_code != 0 and "--keep-alive" in refused.output
