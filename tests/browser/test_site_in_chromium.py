"""The published policy sites in a real browser: every page kind of the cn-banking and uk-fca
sites at 1280×800 and at 390×844 (a phone) lays out (navigation visible, no sideways
overflow, pictures inside the window), shows its pictures' colours with legends, renders
Chinese as glyphs, keeps the structure of a few reference screenshots and passes axe-core.
Each check is also shown failing on a planted fault: a wide table, missing CJK fonts, an
unlabelled drawing and unreadable colours."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy import docgen
from finpolicy.documents.bundle import shipped_packs
from tests.browser.checks import (
    axe_violations,
    cjk_report,
    layout_problems,
    navigation_problems,
    pictures,
    reference_problems,
    rgb,
    structure,
)
from tests.browser.conftest import VIEWPORTS, Chromium
from tests.helpers.png import png_colours

pytestmark = pytest.mark.slow  # a shared Chromium; about a minute in all

PAGES = {
    "cn-banking": ["index.html", "policies/cn-access.html", "policies/cn-classification.html",
                   "policies/cn-complaints.html", "policies/cn-suitability.html",
                   "history.html", "citations.html", "genindex.html", "search.html"],
    "uk-fca": ["index.html", "policies/uk-complaints.html", "history.html", "search.html"],
}
CASES = [(pack, page, viewport) for pack, pages in PAGES.items() for page in pages
         for viewport in VIEWPORTS]
REFERENCES = Path(__file__).resolve().parent / "references"
# (pack, page, viewport) whose first screen keeps the structure of a stored reference
REFERENCE_CASES = {("cn-banking", "index.html", "desktop"),
                   ("cn-banking", "policies/cn-suitability.html", "desktop"),
                   ("cn-banking", "policies/cn-complaints.html", "phone"),
                   ("uk-fca", "policies/uk-complaints.html", "desktop")}
# axe rules the brief names, held to zero whatever impact axe gives them
NAMED_RULES = {"color-contrast", "svg-img-alt", "heading-order", "th-has-data-cells",
               "td-headers-attr", "empty-table-header", "scrollable-region-focusable",
               "image-alt", "role-img-alt"}


def _case_id(case: tuple[str, str, str]) -> str:
    pack, page, viewport = case
    return f"{pack}:{page.removeprefix('policies/').removesuffix('.html')}:{viewport}"


def _expected_links(pack: str, page: str) -> list[str]:
    """The navigation's targets as the page links them (``#`` for the page itself)."""
    ids = list(docgen.policy_groups(fp.load_bundle(shipped_packs() / pack)))
    targets = [f"policies/{i}.html" for i in ids] + ["history.html"]
    return ["#" if target == page else target.rsplit("/", 1)[-1] for target in targets]


def _url(sites: dict[str, Path], pack: str, page: str) -> str:
    return (sites[pack] / page).as_uri()


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_page_kind_lays_out_with_its_navigation_in_view(
        chromium: Chromium, sites: dict[str, Path], screenshots: Path,
        case: tuple[str, str, str]) -> None:
    pack, name, viewport = case
    page = chromium.page(viewport, _url(sites, pack, name))
    try:
        shot = screenshots / f"{_case_id(case).replace(':', '-')}.png"
        png = page.screenshot(path=str(shot))
        assert layout_problems(page) == []
        assert navigation_problems(page, _expected_links(pack, name)) == []
        if case in REFERENCE_CASES:
            _compare_with_reference(png, _case_id(case).replace(":", "-"))
    finally:
        page.context.close()


def _compare_with_reference(png: bytes, name: str) -> None:
    path = REFERENCES / f"{name}.png"
    if os.environ.get("FINPOLICY_UPDATE_REFERENCES") == "1":
        path.parent.mkdir(exist_ok=True)
        structure(png).save(path)
    assert path.is_file(), f"no reference {path}; FINPOLICY_UPDATE_REFERENCES=1 writes it"
    assert reference_problems(png, _reference(path)) == []


def _reference(path: Path) -> Any:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.copy()


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_page_kind_passes_axe_without_serious_violations(
        chromium: Chromium, sites: dict[str, Path], axe: Path,
        case: tuple[str, str, str]) -> None:
    pack, name, viewport = case
    page = chromium.page(viewport, _url(sites, pack, name))
    try:
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
               for v in axe_violations(page, axe)
               if v["impact"] in ("serious", "critical") or v["id"] in NAMED_RULES]
        assert bad == []
    finally:
        page.context.close()


@pytest.mark.parametrize("name", ["policies/cn-suitability.html", "policies/cn-access.html",
                                  "policies/cn-complaints.html"])
def test_pictures_stay_readable_in_a_dark_colour_scheme(
        chromium: Chromium, sites: dict[str, Path], axe: Path, name: str) -> None:
    page = chromium.page("desktop", _url(sites, "cn-banking", name), color_scheme="dark")
    try:
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        contrast = [v for v in axe_violations(page, axe) if v["id"] == "color-contrast"]
        assert contrast == []
    finally:
        page.context.close()


# --- pictures ------------------------------------------------------------------------------------

OUTCOME_COLOURS = {rgb(c) for c in docgen.COLOURS.values()}


@pytest.mark.parametrize(("pack", "name", "expected"), [
    ("cn-banking", "policies/cn-suitability.html", 2),  # matrices and boundaries, per version
    ("cn-banking", "policies/cn-access.html", 1),
    ("cn-banking", "policies/cn-classification.html", 1),
    ("cn-banking", "policies/cn-complaints.html", 1),
    ("cn-banking", "history.html", 1),
    ("uk-fca", "policies/uk-complaints.html", 1),
])
def test_pictures_show_their_colours_and_explain_them(
        chromium: Chromium, sites: dict[str, Path], tmp_path: Path, pack: str, name: str,
        expected: int) -> None:
    page = chromium.page("desktop", _url(sites, pack, name))
    try:
        found = pictures(page)
        assert len(found) >= expected
        # on screen, nothing clipped: every colour the cells declare must be drawn
        page.add_style_tag(content=".finpolicy-scroll { overflow: visible !important }")
        for i, picture in enumerate(found):
            box = page.locator(".finpolicy-scroll").nth(i)
            drawn = {f"rgb({c[0]}, {c[1]}, {c[2]})"
                     for c in png_colours(box.screenshot(path=str(tmp_path / f"{i}.png")))}
            outcomes = set(picture["cells"]) & OUTCOME_COLOURS
            assert outcomes <= drawn, (picture["label"], outcomes - drawn)
            if picture["svgTitle"] is not None:  # a drawing: titled, with a legend
                assert picture["svgTitle"].strip(), picture["label"]
                assert any("Grey: days off" in line for line in picture["svgLegend"])
                assert rgb("#e0e0e0") in drawn, "the days off are not shaded"
            elif outcomes:
                # every outcome colour in a table is in its legend
                assert outcomes <= set(picture["legend"]), picture["label"]
    finally:
        page.context.close()


# --- Chinese text --------------------------------------------------------------------------------

# the pages of the cn-banking site that show Chinese (the version history lists rule changes;
# the citations page names each source by its Chinese title)
CJK_PAGES = ["index.html", "policies/cn-access.html", "policies/cn-classification.html",
             "policies/cn-complaints.html", "policies/cn-suitability.html", "citations.html"]


@pytest.mark.parametrize("name", CJK_PAGES)
def test_chinese_text_is_drawn_with_real_glyphs(chromium: Chromium, sites: dict[str, Path],
                                                name: str) -> None:
    page = chromium.page("desktop", _url(sites, "cn-banking", name))
    try:
        report = cjk_report(page)
        assert report["checked"] > 0, "the page shows no Chinese text to check"
        assert report["tofu"] == []
    finally:
        page.context.close()


def _fonts_without_cjk(tmp_path: Path) -> Path:
    """A fontconfig file listing only the system's font folders that hold no CJK font."""
    folders = sorted({str(f.parent) for f in Path("/usr/share/fonts").rglob("*")
                      if f.suffix.lower() in (".ttf", ".otf", ".ttc")})
    keep = [d for d in folders if not any("cjk" in f.name.lower() for f in Path(d).iterdir())]
    assert keep, "no font without CJK glyphs on this machine"
    conf = tmp_path / "fonts.conf"
    dirs = "".join(f"<dir>{d}</dir>" for d in keep)
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    f"<fontconfig>{dirs}<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
                    encoding="utf-8")
    return conf


def test_missing_cjk_fonts_are_caught(chromium: Chromium, sites: dict[str, Path],
                                      tmp_path: Path) -> None:
    browser = chromium.launch(env={"FONTCONFIG_FILE": str(_fonts_without_cjk(tmp_path))})
    try:
        page = browser.new_page(viewport=VIEWPORTS["desktop"])
        page.goto(_url(sites, "cn-banking", "index.html"), wait_until="load")
        report = cjk_report(page)
        assert report["checked"] > 0
        assert len(report["tofu"]) == report["checked"]  # every Chinese character is a box
    finally:
        browser.close()


def test_a_font_family_without_cjk_falls_back_to_one_with_it(
        chromium: Chromium, sites: dict[str, Path]) -> None:
    # forcing a Latin-only family in the style sheet must not lose the Chinese: the browser
    # falls back to the CJK fonts of the system, which the check sees
    page = chromium.page("desktop", _url(sites, "cn-banking", "index.html"))
    try:
        page.add_style_tag(content="* { font-family: 'DejaVu Sans' !important }")
        report = cjk_report(page)
        assert report["checked"] > 0 and report["tofu"] == []
    finally:
        page.context.close()


# --- planted faults ------------------------------------------------------------------------------

def _planted(sites: dict[str, Path], source: str, name: str, markup: str) -> str:
    """A copy of a page of the cn-banking site with ``markup`` at the end of its article."""
    folder = sites["cn-banking"]
    page = (folder / source).read_text(encoding="utf-8")
    assert page.count("</article>") == 1
    target = (folder / source).with_name(name)
    target.write_text(page.replace("</article>", f"{markup}</article>"), encoding="utf-8")
    return target.as_uri()


WIDE_TABLE = ('<table><tr><td style="white-space:nowrap">'
              + "a planted table cell that does not wrap " * 40 + "</td></tr></table>")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_planted_wide_table_fails_the_layout_check(
        chromium: Chromium, sites: dict[str, Path], viewport: str) -> None:
    url = _planted(sites, "policies/cn-suitability.html", "planted-wide.html", WIDE_TABLE)
    page = chromium.page(viewport, url)
    try:
        problems = layout_problems(page)
        assert any(p.startswith("table reaches") for p in problems), problems
    finally:
        page.context.close()


def test_a_picture_pushed_out_of_its_box_fails_the_layout_check(
        chromium: Chromium, sites: dict[str, Path]) -> None:
    url = _planted(sites, "policies/cn-access.html", "planted-picture.html",
                   "<style>.finpolicy-scroll { min-width: 1600px }</style>")
    page = chromium.page("phone", url)
    try:
        problems = layout_problems(page)
        assert any(p.startswith('picture "Access matrix') for p in problems), problems
    finally:
        page.context.close()


def test_axe_catches_an_unlabelled_drawing_and_unreadable_outcome_colours(
        chromium: Chromium, sites: dict[str, Path], axe: Path) -> None:
    planted = ('<svg role="img" width="120" height="40"><rect width="120" height="40" '
               f'fill="{docgen.COLOURS["suitable"]}"/></svg>'
               '<table><thead><tr><th>Outcome</th></tr></thead><tbody><tr>'
               f'<td style="background:{docgen.COLOURS["unsuitable"]};color:#f48fb1">'
               "unsuitable</td></tr></tbody></table>")
    url = _planted(sites, "policies/cn-suitability.html", "planted-axe.html", planted)
    page = chromium.page("desktop", url)
    try:
        found = {v["id"] for v in axe_violations(page, axe)}
        assert {"svg-img-alt", "color-contrast"} <= found
    finally:
        page.context.close()


def test_a_navigation_lost_below_the_content_is_caught(
        chromium: Chromium, sites: dict[str, Path]) -> None:
    # the fault the fixed 1400 px page width caused: the navigation under the content; the
    # navigation check and the reference structure both see it
    url = _planted(sites, "policies/cn-suitability.html", "planted-nav.html",
                   "<style>.sidebar-drawer { position: absolute !important; top: 5000px } "
                   ".mobile-header { display: none !important }</style>")
    reference = _reference(REFERENCES / "cn-banking-cn-suitability-desktop.png")
    for viewport in VIEWPORTS:
        page = chromium.page(viewport, url)
        try:
            assert navigation_problems(page, _expected_links("cn-banking", "x")) != []
            if viewport == "desktop":
                assert reference_problems(page.screenshot(), reference) != []
        finally:
            page.context.close()
