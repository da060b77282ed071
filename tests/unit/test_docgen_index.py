"""The site's general index (genindex.html, which every page names as its index) lists every
rule by its id and every article a rule cites under its source, each linking to the rule's
entry; it was an empty page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy import docgen
from finpolicy.docgen.citations import citations
from finpolicy.docgen.site import build_site
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
_ENTRY = re.compile(r'<a href="(policies/[^"#]+\.html)#([^"]+)">([^<]+)</a>')


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str, str]]]:
    out = tmp_path_factory.mktemp("site")
    status, warnings = build_site(fp.load_bundle(CN), out, pictures=False, strict=True)
    assert status == 0, warnings
    text = (out / "genindex.html").read_text(encoding="utf-8")
    return out, [(page, anchor, html.unescape(label)) for page, anchor, label
                 in _ENTRY.findall(text)]


def test_every_rule_of_every_version_is_in_the_index(
        index: tuple[Path, list[tuple[str, str, str]]]) -> None:
    _, entries = index
    bundle = fp.load_bundle(CN)
    for doc in bundle.documents:
        views = docgen.rule_views(doc)
        for view in views:
            anchor = (f"rule-{doc.id}-{doc.version.replace('.', '-')}-{view.ruleset}-"
                      f"{view.id}").replace("_", "-")
            label = f"rule of {doc.id} {doc.version}"
            if sum(v.id == view.id for v in views) > 1:
                label += f" (rule set {view.ruleset})"
            assert (f"policies/{doc.id}.html", anchor, label) in entries, (doc.key, view.id)


def test_every_cited_article_is_in_the_index_under_its_source(
        index: tuple[Path, list[tuple[str, str, str]]]) -> None:
    site, entries = index
    labels = {label for _, _, label in entries}
    cited = [c for c in citations(fp.load_bundle(CN)) if c.source == "pipl"
             and c.article == "Art. 6"]
    assert len(cited) >= 7
    for c in cited:
        label = f"Art. 6: {c.policy} {c.version} {c.rule}" + (" (mentioned)" if c.mentioned
                                                               else "")
        assert label in labels
    # every entry leads to an entry of its page
    for page, anchor, _ in entries[:400]:
        assert f'id="{anchor}"' in (site / page).read_text(encoding="utf-8")
