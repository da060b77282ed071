"""A rule or invariant without a citation says so on its page, rather than showing nothing
where the citation would be (cn-suitability 1.3.0 declares an invariant without one)."""

from __future__ import annotations

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy.docgen.doctree import policy_nodes
from finpolicy.documents.bundle import shipped_packs
from finpolicy.engine import PolicyEngine

CN = shipped_packs() / "cn-banking"
INVARIANT = "an expired or missing assessment never supports a suitable sale"


def _entries(key: str) -> dict[str, str]:
    bundle = fp.load_bundle(CN)
    doc = next(d for d in bundle.documents if d.key == key)
    out = {}
    for top in policy_nodes(doc, PolicyEngine(bundle), pictures=False):
        if isinstance(top, nodes.Element):
            for term in top.findall(nodes.term):
                out[term.astext()] = " ".join(term.parent.astext().split())
    return out


def test_an_invariant_without_a_citation_says_it_has_none() -> None:
    entries = _entries("cn-suitability@1.3.0")
    # the other invariants keep their citation
    assert INVARIANT in entries
    assert "Cite none: the policy file gives no source for this" in entries[INVARIANT]
    cited = [text for name, text in entries.items() if name != INVARIANT and "Whenever" in text]
    assert cited and all("Cite " in text and "none:" not in text for text in cited)
