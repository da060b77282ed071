"""A misspelt key (``efective_from``, ``obligatons``) was reported as ``unknown key`` without
the key it was meant to be; it now names the closest key the document takes there."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs


def test_a_misspelt_key_names_the_key_it_is_closest_to(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    edits = {"suitability-2018.yaml": [("effective_until:", "efective_until:"),
                                       ("      obligations:", "      obligatons:"),
                                       ("      title: ", "      titel: ")],
             "access.yaml": [("  assignment_review:", "  assignment_reveiw:")],
             "classification.yaml": [("mask_on_display:", "mask_on_dispaly:")],
             "bundle.yaml": [("\nlanguage:", "\nlangauge:")]}
    for name, pairs in edits.items():
        text = (pack / name).read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new, 1)
        (pack / name).write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(pack)])
    assert result.exit_code == 2
    found = set(re.findall(r"unknown key `(\w+)` \(did you mean `(\w+)`\?\)", result.output))
    assert found == {("efective_until", "effective_until"), ("obligatons", "obligations"),
                     ("titel", "title"), ("assignment_reveiw", "assignment_review"),
                     ("mask_on_dispaly", "mask_on_display"), ("langauge", "language")}, \
        result.output
