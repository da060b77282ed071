"""A pack served from a git revision is not watched: the folder it was extracted to never
changes, and /health said it was watching it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

REPOSITORY = Path(__file__).resolve().parents[2]


def test_a_git_revision_is_served_unwatched_and_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`finpolicy serve git:HEAD:policies/cn-banking` reported `watching:
    /tmp/finpolicy-git-…/cn-banking` in /health, a copy nothing would ever change: an
    operator expecting the next commit to be picked up waited for nothing."""
    import socket

    import uvicorn

    import finpolicy.serve

    watched: list[Any] = []
    service = finpolicy.serve.Service

    def recording(*args: Any, **kwargs: Any) -> Any:
        watched.append(kwargs.get("watch"))
        return service(*args, **kwargs)

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(finpolicy.serve, "Service", recording)
    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.chdir(REPOSITORY)
    result = CliRunner().invoke(main, ["serve", "git:HEAD:policies/cn-banking",
                                       "--port", "0"])
    assert watched == [None], result.output
    assert "git:HEAD:policies/cn-banking is a git revision, not watched" in result.output
