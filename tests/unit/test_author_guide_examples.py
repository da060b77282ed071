"""The guides' policies for another jurisdiction (a PDPO-style classification policy on
finpolicy's three levels, an HKMA-style suitability policy) are ones ``finpolicy validate``
accepts and ``finpolicy lint`` finds nothing in, as printed; the classification guide names
every fact and detector the kind has."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from finpolicy.documents.registry import kinds
from finpolicy.domains.detectors import DETECTORS
from finpolicy.lint import lint_bundle
from finpolicy.validation import validate_pack

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"
GUIDE = GUIDES / "classification.rst"


def _section(guide: Path = GUIDE) -> str:
    text = guide.read_text(encoding="utf-8")
    start = text.index("A policy for another jurisdiction\n")
    return text[start:text.index("\n---", text.index("\n---", start) + 4)]


def _block(guide: Path) -> str:
    """The YAML of the section's code block: its indented lines."""
    lines = _section(guide).split(".. code-block:: yaml\n\n", 1)[1].splitlines()
    end = next((i for i, line in enumerate(lines) if line and not line.startswith("   ")),
               len(lines))
    return textwrap.dedent("\n".join(lines[:end])) + "\n"


def test_the_guides_policy_for_another_jurisdiction_validates(tmp_path: Path) -> None:
    block = _block(GUIDE)
    (tmp_path / "bundle.yaml").write_text("name: hk\nversion: 0.1.0\njurisdiction: HK\n",
                                          encoding="utf-8")
    (tmp_path / "classification.yaml").write_text(block, encoding="utf-8")
    report = validate_pack(tmp_path)
    assert not report.problems and report.bundle is not None, report.problems


def test_the_guide_names_every_fact_and_detector_of_the_kind() -> None:
    section = _section()
    facts = {re.sub(r"^detector\.[a-z_]+\.share$", "detector.<name>.share", f)
             for f in kinds()["ClassificationPolicy"].fields}
    named = set(re.findall(r"``([a-z_.<>]+)``", section))
    assert facts <= named, facts - named
    assert {d for d in DETECTORS if not d.endswith("_in_text")} <= named


def test_the_suitability_guides_policy_for_another_jurisdiction_validates_and_lints_clean(
        tmp_path: Path) -> None:
    block = _block(GUIDES / "suitability.rst")
    (tmp_path / "bundle.yaml").write_text("name: hk\nversion: 0.1.0\njurisdiction: HK\n",
                                          encoding="utf-8")
    (tmp_path / "suitability.yaml").write_text(block, encoding="utf-8")
    report = validate_pack(tmp_path)
    assert not report.problems and report.bundle is not None, report.problems
    assert lint_bundle(report.bundle) == []
