"""Printing a page of the cn-banking site from Chromium (Print, or Save as PDF) on A4: every
column of the widest pictures reaches the paper (none cut at a scroll box's edge), their
outcome colours print, and the theme's "Skip to content" link is not printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import Chromium
from tests.helpers.tools import require_program

pytestmark = pytest.mark.slow

A4 = {"width": 794, "height": 1123}  # CSS pixels at 96 per inch
PAGES = ["policies/cn-access.html", "policies/cn-classification.html",
         "policies/cn-suitability.html", "policies/cn-complaints.html",
         "policies/cn-consent.html", "history.html", "citations.html"]

_CLIPPED = """() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  for (const el of document.querySelectorAll(".finpolicy-scroll, .table-wrapper, table")) {
    if (!el.checkVisibility()) continue;
    const style = getComputedStyle(el);
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== "visible") {
      out.push(`${el.className}: ${el.scrollWidth - el.clientWidth}px cut off`);
    }
    const right = el.getBoundingClientRect().right;
    if (right > width + 1) out.push(`${el.className}: reaches ${Math.round(right)}px of ${width}`);
  }
  for (const td of document.querySelectorAll("table.finpolicy-picture td")) {
    if (getComputedStyle(td).printColorAdjust !== "exact") {
      out.push("a picture's cell colours are not printed");
      break;
    }
  }
  const skip = document.querySelector(".skip-to-content");
  if (skip && skip.checkVisibility()) out.push("the skip link is printed");
  return out;
}"""


@pytest.mark.parametrize("name", PAGES)
def test_a_printed_page_keeps_every_column_of_its_pictures(
        chromium: Chromium, sites: dict[str, Path], name: str) -> None:
    page = chromium.browser.new_page(viewport=A4)
    try:
        page.goto((sites["cn-banking"] / name).as_uri(), wait_until="load")
        page.emulate_media(media="print")
        assert page.evaluate(_CLIPPED) == []
    finally:
        page.close()


def test_the_printed_access_matrix_names_its_last_column(
        chromium: Chromium, sites: dict[str, Path], tmp_path: Path) -> None:
    pdftotext = require_program("pdftotext", "poppler-utils")
    page = chromium.browser.new_page(viewport=A4)
    try:
        page.goto((sites["cn-banking"] / "policies" / "cn-access.html").as_uri(),
                  wait_until="load")
        pdf = tmp_path / "cn-access.pdf"
        page.pdf(path=str(pdf), format="A4")  # as Save as PDF does: backgrounds off
    finally:
        page.close()
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    matrix = text[text.index("Access matrix of cn-access"):text.index("Vocabulary and settings")]
    # the last of the 12 level-and-action columns, and the decision of its last row
    assert "delete" in matrix.split("core:")[-1], matrix[:600]
    assert matrix.count("core:") >= 4, matrix[:600]


def test_a_printed_policy_page_names_the_bundle_it_comes_from(
        chromium: Chromium, sites: dict[str, Path], tmp_path: Path) -> None:
    import finpolicy as fp
    from finpolicy.documents.bundle import shipped_packs

    bundle = fp.load_bundle(shipped_packs() / "cn-banking")
    pdftotext = require_program("pdftotext", "poppler-utils")
    page = chromium.browser.new_page(viewport=A4)
    try:
        page.goto((sites["cn-banking"] / "policies" / "cn-suitability.html").as_uri(),
                  wait_until="load")
        pdf = tmp_path / "cn-suitability.pdf"
        page.pdf(path=str(pdf), format="A4")
    finally:
        page.close()
    first = subprocess.run([pdftotext, "-l", "1", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    assert f"{bundle.name} {bundle.version}" in first
    assert bundle.digest in "".join(first.split())  # a long digest may wrap
