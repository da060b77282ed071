"""The notes a policy file keeps as comments (its interpretations, its choices between
sources) reach the published pages: under the rule they concern, and listed with their place
for each version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy.docgen.doctree import policy_nodes
from finpolicy.documents.bundle import shipped_packs
from finpolicy.engine import PolicyEngine

CN = shipped_packs() / "cn-banking"


@pytest.fixture(scope="module")
def suitability() -> tuple[Any, Any]:
    bundle = fp.load_bundle(CN)
    doc = next(d for d in bundle.documents if d.key == "cn-suitability@2.3.0")
    return doc, PolicyEngine(bundle)


def _line(doc: Any, starting: str) -> int:
    """The 1-based line of ``doc``'s file that starts (after its indent) with ``starting``."""
    lines = Path(doc.file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(starting))


def _rule_entry(tree: list[nodes.Node], rule_id: str) -> str:
    for top in tree:
        for term in top.findall(nodes.term) if isinstance(top, nodes.Element) else ():
            if term.astext() == rule_id:
                return str(term.parent.astext())
    raise AssertionError(f"no entry for rule {rule_id}")


def test_a_rule_shows_the_interpretation_written_beside_it(suitability: tuple[Any, Any]
                                                           ) -> None:
    doc, engine = suitability
    tree = policy_nodes(doc, engine, pictures=False)
    entry = _rule_entry(tree, "elderly-high-risk")
    line = _line(doc, "# Interpretation: Art. 18 asks")
    assert f"Note in the policy file (line {line})" in entry
    assert 'the pack reads "high-risk" as R4 and above' in entry
    # the divider and the lint directive are no notes
    assert "finpolicy-lint" not in " ".join(t.astext() for t in tree)
    assert "Note in the policy file" not in _rule_entry(tree, "above-tolerance")


def test_every_note_of_a_version_is_listed_with_its_place(suitability: tuple[Any, Any]
                                                          ) -> None:
    doc, engine = suitability
    tree = policy_nodes(doc, engine, pictures=False)
    section = next(n for n in tree if isinstance(n, nodes.section)
                   and n.next_node(nodes.title).astext() == "Notes in the policy file")
    text = " ".join(section.astext().split())
    valid = _line(doc, "# Interpretation: Art. 29 says")
    kinds = _line(doc, "# `product.securities` is true for these kinds")
    assert f"Line {valid}, spec.settings.assessment_valid_days: Interpretation: Art. 29 says an " \
           "assessment is valid 12 months" in text
    assert f"Line {kinds}, spec.settings.securities_kinds:" in text
    # notes on rules link to the rule
    links = {r["refid"] for r in section.findall(nodes.reference)}
    assert "rule-cn-suitability-2-3-0-suitability-elderly-high-risk" in links


def test_a_hash_in_text_is_no_comment_and_a_comment_after_a_value_is(tmp_path: Path) -> None:
    from finpolicy.docgen.notes import comment_lines

    text = "\n".join([
        "# yaml-language-server: $schema=x.json",
        "a: 'not # a comment'",
        "b: >-",
        "  # a line of the text",
        "  more text",
        "c: 1   # beside c",
        "  # under c, indented",
        "d: \"x#y\"",
    ])
    found = list(comment_lines(text))
    assert found == [(1, "yaml-language-server: $schema=x.json", True),
                     (6, "beside c", False), (7, "under c, indented", True)]


def test_notes_keep_their_rule_and_skip_directives_and_dividers(
        suitability: tuple[Any, Any]) -> None:
    from finpolicy.docgen.notes import file_notes

    doc, _ = suitability
    notes = file_notes(doc)
    assert [n.line for n in notes] == sorted(n.line for n in notes)
    by_rule = {n.rule: n for n in notes if n.rule}
    assert by_rule["securities-written-warning"].text.startswith("Interpretation: nfra-2025-7 "
                                                                 "Art. 12 allows no sale")
    assert not any(n.text.startswith(("yaml-language-server", "finpolicy-lint", "---"))
                   for n in notes)
    assert notes[0].place == "the document"


def test_a_note_on_a_list_item_names_the_item_not_its_position() -> None:
    from finpolicy.docgen.notes import file_notes

    doc = next(d for d in fp.load_bundle(CN).documents if d.id == "cn-complaints")
    places = {n.place for n in file_notes(doc)}
    # Art. 18's restart from new material, beside the regulatory deadline's milestone
    assert "spec.milestones[regulatory_decision].restarted_by" in places
    assert "spec.targets[satisfaction].against" in places
    assert not any("milestones[5]" in p for p in places)
