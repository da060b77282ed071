"""The suitability, campaign and scan tables print a policy's rule ids and names as they are: a
pack whose rule id holds rich markup (``assessment-[/x]missing``, which validates) crashed
``finpolicy suitability`` and ``finpolicy campaign`` with rich's MarkupError traceback as soon
as a decision hit the rule, and ``finpolicy scan`` on a category named so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import common, main
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("markup") / "pack"
    shutil.copytree(CN, root, ignore=shutil.ignore_patterns("tests"))
    for file, rule in (("suitability-2026.yaml", "assessment-missing"),
                       ("consent.yaml", "no-consent")):
        text = (root / file).read_text(encoding="utf-8")
        assert f"    - id: {rule}\n" in text
        marked = rule.replace("-", "-[/x]", 1)
        (root / file).write_text(text.replace(f"    - id: {rule}\n", f"    - id: '{marked}'\n"),
                                 encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the console takes its width once, when first used: no rule id is cut over two lines)
    monkeypatch.setattr(common.console, "width", 200)


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    return result.output


def test_suitability_prints_a_rule_id_holding_markup(pack: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text("customer.id,customer.risk_level,product.id,product.kind,product.risk_level\n"
                    "c1,C3,p1,fund,R3\n", encoding="utf-8")
    output = _run("suitability", str(book), "--as-of", "2026-03-01", "-b", str(pack))
    assert "assessment-[/x]missing" in output


def test_campaign_prints_a_rule_id_holding_markup(pack: Path, tmp_path: Path) -> None:
    listing = tmp_path / "list.jsonl"
    listing.write_text('{"customer": {"id": "a", "channels": ["sms"]}}\n', encoding="utf-8")
    output = _run("campaign", str(listing), "--as-of", "2026-03-01T10:00:00+08:00",
                  "-b", str(pack))
    assert output.count("no-[/x]consent") == 2  # the customer's row and the reasons


def test_scan_prints_a_category_holding_markup(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(CN, root, ignore=shutil.ignore_patterns("tests"))
    for file in root.glob("*.yaml"):  # the category, renamed wherever the pack names it
        text = file.read_text(encoding="utf-8")
        file.write_text(text.replace("basic_identity", '"basic_[/x]identity"'),
                        encoding="utf-8")
    table = tmp_path / "table.csv"
    table.write_text("mobile\n13800138000\n", encoding="utf-8")
    output = _run("scan", str(table), "--as-of", "2026-03-01", "-b", str(root))
    assert "basic_[/x]identity" in output
