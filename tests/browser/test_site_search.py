"""The cn-banking site's search page in Chromium: Chinese words found inside longer Chinese
text (投诉, 交易流水), English words as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import Chromium

pytestmark = pytest.mark.slow

_RESULTS = """() => {
  const summary = document.querySelector("#search-results p, #search-results .search-summary");
  if (!summary || !/Search finished|did not match/.test(summary.textContent)) return null;
  return [...document.querySelectorAll("#search-results li > a")]
      .map(a => a.getAttribute("href").split("?")[0].split("#")[0]);
}"""


# 投诉 and 个人信息 stand only inside longer runs of Chinese (消费投诉处理, 个人信息保护法);
# 交易流水 and elderly were found before and must still be
QUERIES = {"投诉": "policies/cn-complaints.html", "个人信息": "policies/cn-consent.html",
           "交易流水": "policies/cn-classification.html",
           "elderly": "policies/cn-suitability.html"}


def test_search_finds_the_pages_holding_the_words(chromium: Chromium,
                                                  sites: dict[str, Path]) -> None:
    missed = {}
    for query, page in QUERIES.items():
        url = (sites["cn-banking"] / "search.html").as_uri() + f"?q={query}"
        tab = chromium.page("desktop", url)
        try:
            found = tab.wait_for_function(_RESULTS, timeout=15_000).json_value()
            if page not in found:
                missed[query] = found
        finally:
            tab.context.close()
    assert missed == {}


def test_search_of_a_site_read_from_files_lists_results_without_errors(
        chromium: Chromium, sites: dict[str, Path]) -> None:
    # opened from files the browser refuses to fetch the site's pages; the search must not
    # try (Sphinx fetches each result's page for a summary)
    url = (sites["cn-banking"] / "search.html").as_uri() + "?q=elderly"
    context = chromium.browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    try:
        tab.goto(url, wait_until="load")
        found = tab.wait_for_function(_RESULTS, timeout=15_000).json_value()
        assert "policies/cn-suitability.html" in found
        tab.wait_for_timeout(500)  # a fetch started with the results would fail by now
        assert errors == []
    finally:
        context.close()
