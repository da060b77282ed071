"""Links made on an earlier release of the cn-banking site, opened in Chromium on this one: an
anchor naming a rule's version that is no longer published leads to the rule's newest entry
and says so; an anchor of a rule the site no longer holds says that at the top of the page;
the anchor without a version leads to the rule without help. (cn-access was version 1.1.0 in
the pack's release 1.1.0, whose site named its rules ``rule-cn-access-1-1-0-…``.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VIEWPORTS, Chromium

pytestmark = pytest.mark.slow

RULE = "marketing-never-core"
# the entry of the rule, wherever the page's first id for it is
_IN_VIEW = """rule => {
  const term = [...document.querySelectorAll("dt")].find(dt => dt.textContent.trim() === rule
      && dt.querySelector("[id^='rule-'], [id]") !== null);
  if (!term) return false;
  const r = term.getBoundingClientRect();
  return r.top >= -2 && r.top < innerHeight / 2;
}"""


def _open(chromium: Chromium, sites: dict[str, Path], viewport: str, anchor: str) -> Any:
    url = (sites["cn-banking"] / "policies" / "cn-access.html").as_uri() + "#" + anchor
    return chromium.page(viewport, url)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_link_to_a_rule_of_an_earlier_release_leads_to_the_rule(
        chromium: Chromium, sites: dict[str, Path], viewport: str) -> None:
    page = _open(chromium, sites, viewport, f"rule-cn-access-1-1-0-access-{RULE}")
    try:
        page.wait_for_function(_IN_VIEW, arg=RULE, timeout=10_000)
        note = page.locator("#finpolicy-moved")
        assert note.is_visible()
        text = note.text_content()
        assert "version 1.1.0" in text and "no longer holds" in text
        # the note stands in the rule's own entry
        assert page.evaluate(
            "() => document.getElementById('finpolicy-moved').parentElement"
            ".previousElementSibling.textContent.trim()") == RULE
    finally:
        page.context.close()


def test_the_anchor_without_a_version_needs_no_help(chromium: Chromium,
                                                    sites: dict[str, Path]) -> None:
    page = _open(chromium, sites, "desktop", f"rule-cn-access-access-{RULE}")
    try:
        page.wait_for_function(_IN_VIEW, arg=RULE, timeout=10_000)
        assert page.locator("#finpolicy-moved").count() == 0
    finally:
        page.context.close()


def test_a_link_to_a_rule_the_site_no_longer_holds_says_so(chromium: Chromium,
                                                           sites: dict[str, Path]) -> None:
    page = _open(chromium, sites, "desktop", "rule-cn-access-1-1-0-access-no-such-rule")
    try:
        note = page.locator("article #finpolicy-moved")
        note.wait_for(state="visible", timeout=10_000)
        assert "holds no rule the link names" in note.text_content()
        assert page.evaluate("scrollY") < 200
    finally:
        page.context.close()
