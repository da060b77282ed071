"""``approval.max_days`` problems are located by their key (``max_days.secret``), and an
unknown level gets a suggestion only when one is close (``cor`` → ``core``, not ``secret``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from finpolicy.validation import validate_pack

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"
LINE = "    max_days: {important: 90, core: 30}"


def _problems(tmp_path: Path, max_days: str) -> list[tuple[str, str]]:
    shutil.copytree(PACK, tmp_path / "pack")
    path = tmp_path / "pack" / "access.yaml"
    text = path.read_text(encoding="utf-8")
    assert LINE in text
    path.write_text(text.replace(LINE, f"    max_days: {max_days}", 1), encoding="utf-8")
    return [(p.path, p.message) for p in validate_pack(tmp_path / "pack").problems
            if p.code == "unknown_level"]


def test_an_unknown_level_in_max_days_is_named_by_its_key(tmp_path: Path) -> None:
    found = _problems(tmp_path, "{important: 90, core: 30, secret: 10}")
    assert found == [("spec.approval.max_days.secret", "unknown level `secret`")]


def test_a_close_misspelling_in_max_days_is_still_suggested(tmp_path: Path) -> None:
    found = _problems(tmp_path, "{important: 90, cor: 30}")
    assert found == [("spec.approval.max_days.cor",
                      "unknown level `cor` (did you mean `core`?)")]
