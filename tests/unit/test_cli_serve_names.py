"""``finpolicy serve`` prints the pack's name and the files it writes as they are: a pack named
``cn-[/x]banking`` (which validates) made the service crash with rich's MarkupError traceback
right after it bound its port; ``--openapi '[red]o.json'`` was named as a colour, and
``--openapi`` under a file ended in a NotADirectoryError traceback."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import common, main
from finpolicy.cli import serve as serve_cli
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


class _Server:
    started = True

    def run(self, sockets: list[socket.socket]) -> None:
        for sock in sockets:
            sock.close()


def _bound(app: Any, host: str, port: int, tls: Any) -> tuple[_Server, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return _Server(), sock


def test_serve_names_a_pack_holding_markup_as_it_is(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack, ignore=shutil.ignore_patterns("tests"))
    manifest = pack / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "\nname: cn-banking\n" in text
    manifest.write_text(text.replace("\nname: cn-banking\n", '\nname: "cn-[/x]banking"\n'),
                        encoding="utf-8")
    monkeypatch.setattr(serve_cli, "_server", _bound)  # (serving itself is not checked)
    monkeypatch.setattr(common.err_console, "width", 200)
    result = CliRunner().invoke(main, ["serve", str(pack), "--no-watch",
                                       "--log-prune-hours", "0"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert "serving cn-[/x]banking " in result.output


def test_openapi_names_a_file_holding_markup_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "[red]openapi.json"
    result = CliRunner().invoke(main, ["serve", "--openapi", str(target)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0 and f"wrote {target}" in result.output, result.output
    assert target.is_file()


def test_openapi_to_a_path_that_cannot_be_written_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("a file, not a folder\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--openapi", str(tmp_path / "afile" / "o.json")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 3 and result.output.startswith("error: --openapi: "), \
        result.output
