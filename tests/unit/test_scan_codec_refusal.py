"""A codec that refuses a file outright (UTF-16 with no byte order mark raises UnicodeError,
not UnicodeDecodeError) is an input error of the scan at its line, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main


def test_utf16_without_a_byte_order_mark_is_refused_at_its_line(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_bytes(b"\x00\x00")
    result = CliRunner().invoke(main, ["scan", str(export), "--encoding", "utf-16"])
    assert result.exit_code == 3, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{export} line 1: not utf-16 text" in result.output
