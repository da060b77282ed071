"""On the site's version history each rule added, changed or removed links to its entry on
its policy's page: the added and changed to the newer version's entry, the removed to the
older's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy import docgen
from finpolicy.docgen.site import build_site
from finpolicy.documents.bundle import shipped_packs

CN = shipped_packs() / "cn-banking"
_LINK = re.compile(r'<a class="reference internal" href="(policies/[^"#]+\.html)#([^"]+)"[^>]*>'
                   r'<code[^>]*><span class="pre">([^<]+)</span></code></a>')


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    status, warnings = build_site(fp.load_bundle(CN), out, pictures=False, strict=True)
    assert status == 0, warnings
    return out


def test_every_rule_the_history_names_links_to_its_entry(site: Path) -> None:
    bundle = fp.load_bundle(CN)
    old, new = docgen.policy_groups(bundle)["cn-suitability"]
    changes = docgen.rule_changes(old, new)
    history = (site / "history.html").read_text(encoding="utf-8")
    links = {(text, page, anchor) for page, anchor, text in _LINK.findall(history)
             if page == "policies/cn-suitability.html"}
    assert len(links) == len(changes)
    for change in changes:
        version = old.version if change.change == "removed" else new.version
        anchor = f"rule-cn-suitability-{version.replace('.', '-')}-suitability-{change.rule_id}"
        assert (change.rule_id, "policies/cn-suitability.html", anchor) in links
    for _, page, anchor in links:  # and each entry is there
        assert f'id="{anchor}"' in (site / page).read_text(encoding="utf-8")
    assert any(c.change == "removed" for c in changes)
