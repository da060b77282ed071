"""Fixtures of the service tests."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn returns at once, as if stopped before its first request: what `finpolicy serve`
    prints and checks before serving is seen without a server."""
    uvicorn = pytest.importorskip("uvicorn", reason="the service needs its extra: "
                                                     "pip install '.[serve]'")

    def run(self: object, sockets: list[socket.socket] | None = None) -> None:
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
