"""What the browser tests measure in a page, as functions of a Playwright page.

Each returns the problems it finds as sentences (an empty list when the page is right), so a
test can assert ``== []`` on a real page and ``!= []`` on a page with a planted fault.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

_LAYOUT = r"""
() => {
  const width = window.innerWidth;
  const out = [];
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) out.push(`the page is ${page}px wide in a ${width}px window`);
  // content that reaches past the window's right edge, unless the box of a picture, a table
  // or a code block within the window scrolls it. A theme may instead clip the page or let
  // the whole column scroll (furo on phones), which hides the overflow from scrollWidth.
  // Off-canvas drawers (position: fixed) are out of the window by design.
  const boxes = ".finpolicy-scroll, .table-wrapper, pre, div.highlight";
  const scrolls = el => el.matches(boxes)
      && ["auto", "scroll"].includes(getComputedStyle(el).overflowX)
      && el.getBoundingClientRect().right <= width + 1;
  const placed = el => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).position === "fixed") return "fixed";
      if (a !== el && scrolls(a)) return "scrolls";
    }
    return "";
  };
  const wide = new Set();
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1 || !el.checkVisibility()) continue;
    if (el.parentElement && wide.has(el.parentElement)) { wide.add(el); continue; }
    if (placed(el)) continue;
    wide.add(el);
    const name = el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\s+/).join(".") : "");
    out.push(`${name} reaches ${Math.round(r.right)}px in a ${width}px window`);
  }
  for (const box of document.querySelectorAll(".finpolicy-scroll")) {
    const r = box.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < -1 || r.right > width + 1) {
      out.push(`picture "${box.getAttribute("aria-label")}" spans ` +
               `${Math.round(r.left)}..${Math.round(r.right)}px of a ${width}px window`);
    }
  }
  return out;
}
"""

_NAV_LINKS = """
() => [...document.querySelectorAll(".sidebar-tree a.reference")].map(a => {
  const r = a.getBoundingClientRect();
  // on screen: shown, and not in a drawer slid out of the window
  const shown = a.checkVisibility() && r.width > 0 && r.right > 0 && r.left < innerWidth;
  return {href: a.getAttribute("href"), visible: shown,
          left: r.left, right: r.right, top: r.top};
})
"""


def layout_problems(page: Page) -> list[str]:
    """Horizontal overflow of the page, and pictures whose box leaves the window."""
    found: list[str] = page.evaluate(_LAYOUT)
    return found


def navigation_problems(page: Page, expected: list[str]) -> list[str]:
    """Whether links to every page in ``expected`` are visible in the window: at once on a
    wide screen, after one tap on the menu button on a phone (the button must be on top)."""
    size = page.viewport_size
    assert size is not None
    width, height = size["width"], size["height"]
    links = page.evaluate(_NAV_LINKS)
    if not any(link["visible"] for link in links):
        button = page.locator("label.nav-overlay-icon")
        if button.count() == 0 or not button.first.is_visible():
            return ["no navigation is visible and there is no menu button"]
        box = button.first.bounding_box()
        if box is None or box["y"] > 80:
            return [f"the menu button is not at the top of the page ({box})"]
        button.first.click()
        page.wait_for_timeout(400)  # the drawer slides in
        links = page.evaluate(_NAV_LINKS)
    out = []
    for target in expected:
        link = next((link for link in links if link["href"].endswith(target)), None)
        if link is None:
            out.append(f"the navigation has no link to {target}")
        elif not link["visible"] or link["left"] < 0 or link["right"] > width:
            out.append(f"the link to {target} is not visible ({link})")
        elif link["top"] > height:
            out.append(f"the link to {target} is below the first screen ({link['top']}px)")
    return out


_CJK = r"""
() => {
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const pairs = new Map();
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    if (!element || !element.checkVisibility()) continue;
    const style = getComputedStyle(element);
    const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
    for (const ch of walker.currentNode.textContent.match(cjk) || []) {
      pairs.set(ch + "\u0000" + font, [ch, font]);
    }
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const draw = (ch, font) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = font;
    ctx.fillText(ch, 8, 48);
    return ctx.getImageData(0, 0, 64, 64).data.join(",");
  };
  // U+0378 is unassigned: no font has it, so it draws what a missing glyph draws
  const out = {checked: 0, tofu: []};
  for (const [ch, font] of pairs.values()) {
    out.checked += 1;
    if (draw(ch, font) === draw("\u0378", font)) out.tofu.push(ch);
  }
  return out;
}
"""


def cjk_report(page: Page) -> dict[str, Any]:
    """``{"checked": n, "tofu": [...]}``: every visible CJK character of the page, in the font
    its element uses, drawn on a canvas and compared with a glyph no font has; a character
    that draws the same is missing from every font the page can use."""
    report: dict[str, Any] = page.evaluate(_CJK)
    return report


_PICTURES = """
() => [...document.querySelectorAll(".finpolicy-scroll")].map(box => {
  const legend = [...box.querySelectorAll(".finpolicy-legend span span")]
      .map(s => getComputedStyle(s).backgroundColor);
  const cells = [...box.querySelectorAll("table.finpolicy-picture td")]
      .map(td => getComputedStyle(td).backgroundColor);
  const svg = box.querySelector("svg");
  return {label: box.getAttribute("aria-label"), legend, cells,
          svgTitle: svg ? (svg.querySelector("title") || {}).textContent || "" : null,
          svgLegend: svg ? [...svg.querySelectorAll("text.legend")].map(t => t.textContent) : []};
})
"""


def pictures(page: Page) -> list[dict[str, Any]]:
    """Every picture of the page: its label, legend swatch colours, cell colours and, for a
    drawing, its title and legend lines (colours as ``rgb(r, g, b)``)."""
    found: list[dict[str, Any]] = page.evaluate(_PICTURES)
    return found


def rgb(colour: str) -> str:
    """``#c8e6c9`` → ``rgb(200, 230, 201)``, as browsers report computed colours."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def axe_violations(page: Page, axe: Path) -> list[dict[str, Any]]:
    """axe-core's violations of the page (every rule axe runs by default)."""
    page.add_script_tag(path=str(axe))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = result["violations"]
    return violations


# --- structure of a screenshot -------------------------------------------------------------------

GRID = (64, 40)


def structure(png: bytes) -> Any:
    """A screenshot as a coarse grid of cells with ink (anything drawn) or without: the shape
    of the layout, blind to the words."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    ink = image.point(lambda v: 255 if v < 215 else 0)
    small = ink.resize(GRID, Image.Resampling.BOX)
    return small.point(lambda v: 255 if v > 6 else 0).convert("1")


def agreement(a: Any, b: Any) -> float:
    """The share of grid cells on which two structures agree."""
    pa, pb = a.convert("L").tobytes(), b.convert("L").tobytes()
    assert len(pa) == len(pb)
    return sum(x == y for x, y in zip(pa, pb, strict=True)) / len(pa)


def columns(grid: Any) -> list[bool]:
    """For each column of a structure, whether anything is drawn in it: where the sidebar, the
    text column and the margins are."""
    cells = grid.convert("L").tobytes()
    width, height = GRID
    return [any(cells[row * width + col] for row in range(height)) for col in range(width)]


def reference_problems(png: bytes, reference: Any) -> list[str]:
    """How a screenshot's structure departs from a reference structure: the columns drawn in
    must agree (the layout's skeleton), and most cells (words may move, blocks may not)."""
    found = structure(png)
    out = []
    same_columns = sum(a == b for a, b in zip(columns(found), columns(reference), strict=True))
    if same_columns < 0.9 * GRID[0]:
        out.append(f"only {same_columns} of {GRID[0]} columns are drawn as in the reference")
    share = agreement(found, reference)
    if share < 0.75:
        out.append(f"only {share:.0%} of the grid matches the reference")
    return out
