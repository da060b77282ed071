"""On the site's version history each rule added, changed or removed links to its entry on
its policy's page: the added and changed to the newer version's entry, the removed to the
older's."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy import docgen
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
_LINK = re.compile(r'<a class="reference internal" href="(policies/[^"#]+\.html)#([^"]+)"[^>]*>'
                   r'<code[^>]*><span class="pre">([^<]+)</span></code></a>')


def test_every_rule_the_history_names_links_to_its_entry(shipped_site: Path) -> None:
    bundle = fp.load_bundle(CN)
    docs = docgen.policy_groups(bundle)["cn-suitability"]
    history = (shipped_site / "history.html").read_text(encoding="utf-8")
    links = {(text, page, anchor) for page, anchor, text in _LINK.findall(history)
             if page == "policies/cn-suitability.html"}
    expected = set()
    changes = []
    for old, new in itertools.pairwise(docs):  # each pair of versions
        for change in docgen.rule_changes(old, new):
            changes.append(change)
            version = old.version if change.change == "removed" else new.version
            expected.add((change.rule_id, "policies/cn-suitability.html",
                          f"rule-cn-suitability-{version.replace('.', '-')}-suitability-"
                          f"{change.rule_id}"))
    assert links == expected
    for _, page, anchor in links:  # and each entry is there
        assert f'id="{anchor}"' in (shipped_site / page).read_text(encoding="utf-8")
    assert any(c.change == "removed" for c in changes)
