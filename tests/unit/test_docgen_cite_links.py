"""A rule's citation links to the article's entry on the citations page, where every rule
citing it is listed whatever its policy: from cn-access's rules citing PIPL Art. 6 to
cn-consent's and back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
_CITED = re.compile(r'<a class="reference internal" href="\.\./citations\.html#([^"]+)">'
                    r'([^<]+)</a>')


def test_rules_of_two_policies_citing_one_article_link_to_one_entry(shipped_site: Path) -> None:
    citations = (shipped_site / "citations.html").read_text(encoding="utf-8")
    assert 'id="cite-pipl-art-6"' in citations
    for policy in ("cn-access", "cn-consent"):
        page = (shipped_site / "policies" / f"{policy}.html").read_text(encoding="utf-8")
        assert ("cite-pipl-art-6", "pipl Art. 6") in _CITED.findall(page), policy


def test_every_citation_link_reaches_an_entry_of_the_citations_page(shipped_site: Path) -> None:
    ids = set(re.findall(r'id="([^"]+)"',
                         (shipped_site / "citations.html").read_text(encoding="utf-8")))
    links = [anchor for page in (shipped_site / "policies").glob("*.html")
             for anchor, _ in _CITED.findall(page.read_text(encoding="utf-8"))]
    assert len(links) > 150
    assert sorted({a for a in links if a not in ids}) == []


def test_an_articles_anchor_is_the_same_in_every_build() -> None:
    from finpolicy.docgen.citations import cite_anchor

    assert cite_anchor("pipl", "Art. 6") == "cite-pipl-art-6"
    assert cite_anchor("seed-000", "§5.4") == "cite-seed-000-section-5-4"
    # forms an id cannot tell apart are told apart by a digest of their words
    assert cite_anchor("nfra-2025-7", "Art. 12(二)") != cite_anchor("nfra-2025-7", "Art. 12")
    assert cite_anchor("x", "§5.4(3)") != cite_anchor("x", "§5.4.3")
