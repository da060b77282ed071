"""The classification guide's policy for another jurisdiction (a PDPO-style policy on
finpolicy's three levels) is one ``finpolicy validate`` accepts as printed, and names every
fact and detector the kind has."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from finpolicy.documents.registry import kinds
from finpolicy.domains.detectors import DETECTORS
from finpolicy.validation import validate_pack

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "classification.rst"


def _section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("A policy for another jurisdiction\n")
    return text[start:text.index("\nLevels and handling\n", start)]


def test_the_guides_policy_for_another_jurisdiction_validates(tmp_path: Path) -> None:
    section = _section()
    block = section.split(".. code-block:: yaml\n\n", 1)[1]
    (tmp_path / "bundle.yaml").write_text("name: hk\nversion: 0.1.0\njurisdiction: HK\n",
                                          encoding="utf-8")
    (tmp_path / "classification.yaml").write_text(textwrap.dedent(block), encoding="utf-8")
    report = validate_pack(tmp_path)
    assert not report.problems and report.bundle is not None, report.problems


def test_the_guide_names_every_fact_and_detector_of_the_kind() -> None:
    section = _section()
    facts = {re.sub(r"^detector\.[a-z_]+\.share$", "detector.<name>.share", f)
             for f in kinds()["ClassificationPolicy"].fields}
    named = set(re.findall(r"``([a-z_.<>]+)``", section))
    assert facts <= named, facts - named
    assert {d for d in DETECTORS if not d.endswith("_in_text")} <= named
