"""``finpolicy serve --host`` on an address other machines reach, without a caller check or
without TLS, says so before it serves."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main


def _output(*args: str) -> list[str]:
    result = CliRunner().invoke(main, ["serve", "--no-watch", "--port", "0", *args])
    lines = result.output.strip().splitlines()
    serving = next(i for i, line in enumerate(lines) if line.startswith("serving "))
    return lines[:serving]


@pytest.mark.usefixtures("started")
def test_an_address_others_reach_without_token_or_tls_is_warned_of() -> None:
    """`--host 0.0.0.0` alone served decisions to any machine, unauthenticated and in clear,
    without a word: only `serving … on http://0.0.0.0:8181` was printed."""
    warnings = _output("--host", "0.0.0.0")
    assert len(warnings) == 2, warnings
    assert "--token-file" in warnings[0] and "any caller" in warnings[0]
    assert "plain HTTP" in warnings[1]


@pytest.mark.usefixtures("started")
def test_a_token_silences_the_callers_warning_not_the_tls_one(tmp_path: Path) -> None:
    """With a token, the plain HTTP warning remains (the token crosses the network)."""
    token = tmp_path / "token.txt"
    token.write_text("s3cret-of-the-service\n", encoding="utf-8")
    assert _output("--host", "0.0.0.0", "--token-file", str(token)) == [
        _output("--host", "0.0.0.0")[1]]
    assert _output("--host", "127.0.0.1") == []


@pytest.mark.usefixtures("started")
def test_a_token_no_header_can_carry_is_refused_at_start(tmp_path: Path) -> None:
    """A token file holding `pässwört` started the service, which then refused every
    request: the header's bytes are read as Latin-1, so no caller's token ever matched."""
    token = tmp_path / "token.txt"
    token.write_text("pässwört\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--no-watch", "--port", "0",
                                       "--token-file", str(token)])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("error: --token-file: ") and "ASCII" in result.output
