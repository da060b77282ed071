"""The version history lists what changed besides the rules: settings, the spec's tables and
the sources, which decide as much as rules do."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy import docgen
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


def _with_new_version(tmp_path: Path) -> tuple[Path, str, str]:
    """The pack with one more version of cn-suitability, a year after the newest began, whose
    only change is the assessment's validity (300 days instead of 365); and the newest and
    the new version."""
    newest = docgen.policy_groups(fp.load_bundle(CN))["cn-suitability"][-1]
    assert newest.metadata.effective_until is None
    copy = tmp_path / "cn-banking"
    shutil.copytree(CN, copy)
    start = newest.metadata.effective_from + dt.timedelta(days=365)
    current = copy / Path(newest.file).name
    text = current.read_text(encoding="utf-8")
    begins = f"  effective_from: {newest.metadata.effective_from}\n"
    assert begins in text
    current.write_text(text.replace(begins, f"{begins}  effective_until: "
                                            f"{start - dt.timedelta(days=1)}\n"),
                       encoding="utf-8")
    major, minor, patch = (int(x) for x in newest.version.split("."))
    version = f"{major}.{minor}.{patch + 1}"
    new = re.sub(rf"(?m)^  version: {re.escape(newest.version)}$", f"  version: {version}",
                 text)
    new = new.replace(begins, f"  effective_from: {start}\n")
    valid = re.sub(r"(?m)^    assessment_valid_days: 365", "    assessment_valid_days: 300", new)
    assert valid != new
    (copy / "suitability-next.yaml").write_text(valid, encoding="utf-8")
    return copy, newest.version, version


def test_a_version_that_changes_only_a_setting_says_which(tmp_path: Path) -> None:
    copy, old, new = _with_new_version(tmp_path)
    tree = history_nodes(fp.load_bundle(copy), "cn-suitability")
    section = next(s for s in tree if isinstance(s, nodes.section)
                   and f"{old} → {new}" in s.next_node(nodes.title).astext())
    text = _text([section])
    assert "No rule changed." in text
    assert "assessment valid days: 365 days → 300 days" in text
    assert "Sources changed" not in text
