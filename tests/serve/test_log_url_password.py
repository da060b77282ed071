"""finpolicy serve --log postgresql://user:PASSWORD@host/db that cannot be opened said so with
the whole URL, password included, to the terminal and the service's journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://finpolicy:S3cretPw@127.0.0.1:1/decisions",
     "postgresql://finpolicy:***@127.0.0.1:1/decisions"),
    ("postgresql://finpolicy@127.0.0.1:1/decisions?sslmode=disable&password=S3cretPw",
     "postgresql://finpolicy@127.0.0.1:1/decisions?sslmode=disable&password=***"),
])
def test_a_decision_log_url_is_shown_without_its_password(tmp_path: Path, url: str,
                                                          shown: str) -> None:
    from finpolicy.audit import generate_keys

    generate_keys(tmp_path / "keys")
    result = CliRunner().invoke(main, ["serve", "--no-watch", "--port", "0", "--log", url,
                                       "--log-keys", str(tmp_path / "keys")])
    assert result.exit_code == 3, result.output
    assert "S3cretPw" not in result.output, result.output
    assert f"cannot open the decision log `{shown}`" in result.output, result.output
