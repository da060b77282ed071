"""The version history lists what changed besides the rules: settings, the spec's tables and
the sources, which decide as much as rules do."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy.docgen.doctree import history_nodes
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


def _text(tree: list[nodes.Node]) -> str:
    return " ".join(" ".join(n.astext() for n in tree).split())


def test_the_2026_history_lists_the_settings_and_sources_that_changed() -> None:
    text = _text(history_nodes(fp.load_bundle(CN), "cn-suitability"))
    assert "Settings and tables changed" in text
    assert "product rating: seller → higher_of_issuer_and_seller" in text
    assert "professional individuals: yes → no" in text
    assert ("obligations, terms: added disclose_higher_rating, follow_up_call, "
            "risk_explanation, written_confirmation; removed assess_in_branch") in text
    assert "Sources changed (6)" in text
    assert "nfra-2025-7 added: 金融机构产品适当性管理办法" in text
    assert "cbrc-2017-110 removed:" in text


def _with_new_version(tmp_path: Path) -> Path:
    """The pack with a version 2.4.0 of cn-suitability from 2027-01-01 whose only change is
    the assessment's validity (300 days instead of 365)."""
    copy = tmp_path / "cn-banking"
    shutil.copytree(CN, copy)
    current = copy / "suitability-2026.yaml"
    text = current.read_text(encoding="utf-8")
    current.write_text(text.replace("  effective_from: 2026-02-01\n",
                                    "  effective_from: 2026-02-01\n"
                                    "  effective_until: 2026-12-31\n"), encoding="utf-8")
    new = re.sub(r"(?m)^  version: 2\.3\.0$", "  version: 2.4.0", text)
    new = new.replace("  effective_from: 2026-02-01\n", "  effective_from: 2027-01-01\n")
    new = re.sub(r"(?m)^    assessment_valid_days: 365", "    assessment_valid_days: 300", new)
    (copy / "suitability-2027.yaml").write_text(new, encoding="utf-8")
    return copy


def test_a_version_that_changes_only_a_setting_says_which(tmp_path: Path) -> None:
    bundle = fp.load_bundle(_with_new_version(tmp_path))
    tree = history_nodes(bundle, "cn-suitability")
    section = next(s for s in tree if isinstance(s, nodes.section)
                   and "2.3.0 → 2.4.0" in s.next_node(nodes.title).astext())
    text = _text([section])
    assert "No rule changed." in text
    assert "assessment valid days: 365 days → 300 days" in text
    assert "Sources changed" not in text
