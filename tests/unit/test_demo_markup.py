"""``finpolicy demo`` prints an example's name, its file's name and the pack's name as they are:
an example named ``a [/x] case`` crashed the command with rich's MarkupError traceback, and
``[red]`` in a name was printed as a colour."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


def test_demo_prints_names_holding_markup_as_they_are(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack, ignore=shutil.ignore_patterns("tests"))
    examples = pack / "examples" / "suitability.yaml"
    text = examples.read_text(encoding="utf-8")
    assert "  - name: a C3 customer" in text
    examples.write_text(text.replace("  - name: a C3 customer",
                                     "  - name: a [red]C3 [/x] customer", 1),
                        encoding="utf-8")
    (pack / "examples" / "suitability.yaml").rename(pack / "examples" / "[b]suitability.yaml")
    result = CliRunner().invoke(main, ["demo", "-b", str(pack)], terminal_width=200)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert "▶ a [red]C3 [/x] customer and" in result.output
    assert "— [b]suitability.yaml" in result.output
