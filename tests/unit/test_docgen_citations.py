"""The citations page: for each source the policies declare, every article a rule cites and
links to those rules, across policies and versions ("every rule that cites PIPL Art. 6")."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy import docgen
from finpolicy.docgen.site import build_site, project_files
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self._href = str(found["href"])

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links.append((self._href, data.strip()))
            self._href = None


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    status, warnings = build_site(fp.load_bundle(CN), out, pictures=False, strict=True)
    assert status == 0, warnings
    return out


def _citing(bundle: fp.Bundle, pattern: str) -> set[tuple[str, str, str]]:
    """(policy, version, rule) of every rule whose cite matches ``pattern``, read directly."""
    return {(d.id, d.version, v.id) for d in bundle.documents for v in docgen.rule_views(d)
            if re.search(pattern, v.cite)}


def test_the_citations_page_lists_every_rule_citing_pipl_article_6(site: Path) -> None:
    page = _page(site / "citations.html")
    text = (site / "citations.html").read_text(encoding="utf-8")
    item = re.search(r"<li><p><strong>Art\. 6</strong>:(.*?)</li>",
                     text[text.index("个人信息保护法"):], re.S)
    assert item is not None
    listed = set(re.findall(r">(cn-[a-z]+ [\d.]+ [a-z0-9-]+)<", item.group(1)))
    expected = _citing(fp.load_bundle(CN), r"\bpipl Art\. 6(?!\d)")
    assert listed == {" ".join(key) for key in expected}
    assert len(listed) >= 7  # access and consent both
    assert page.links


def test_every_link_of_the_citations_page_reaches_its_rule(site: Path) -> None:
    page = _page(site / "citations.html")
    checked = 0
    for href, label in page.links:
        if not href.startswith("policies/") or "#" not in href:  # the navigation's too
            continue
        path, _, anchor = href.partition("#")
        target = _page(site / path)
        assert anchor in target.ids, (href, label)
        checked += 1
    assert checked > 150


def test_the_index_and_the_navigation_lead_to_the_citations() -> None:
    files = project_files(fp.load_bundle(CN))
    assert "   citations" in files["index.rst"].split(".. toctree::")[1]
    assert files["citations.rst"].startswith("Citations\n=========\n")
    # in the printable edition (one page) the links stay within the page
    single = project_files(fp.load_bundle(CN), theme="basic", single_page=True)
    assert "<#rule-cn-access-1-3-0-access-unknown-purpose>" in single["citations.rst"]


def test_articles_are_read_as_the_cites_write_them() -> None:
    from finpolicy.docgen.citations import articles, cite_parts

    assert articles("Art. 13, 29") == ["Art. 13", "Art. 29"]
    assert articles("Art. 17 and Art. 46") == ["Art. 17", "Art. 46"]
    assert articles("Art. 12(二) 明显不匹配") == ["Art. 12(二)"]
    assert articles("§6.2.1, §6.3.3") == ["§6.2.1", "§6.3.3"]
    assert articles("own rule") == []
    sources = ["pipl", "jrt-0171", "bank"]
    assert cite_parts("pipl Art. 28 (biometric; sensitive); jrt-0171 §4.2", sources) == [
        ("pipl", "Art. 28 (biometric; sensitive)"), ("jrt-0171", "§4.2")]
    assert cite_parts("pipl Art. 6; the 30-day period is the bank's own rule", sources) == [
        ("pipl", "Art. 6; the 30-day period is the bank's own rule")]


def test_a_remark_in_brackets_is_no_article_of_the_source_cited() -> None:
    from finpolicy.docgen.citations import citations

    found = {(c.source, c.article, c.rule, c.mentioned)
             for c in citations(fp.load_bundle(CN)) if c.policy == "cn-access"}
    # "bank own rule (stricter than pipl Art. 6 …)": pipl Art. 6 is mentioned, bank cites no
    # article
    assert ("pipl", "Art. 6", "marketing-never-core", True) in found
    assert not any(s == "bank" and a == "Art. 6" for s, a, _, _ in found)
