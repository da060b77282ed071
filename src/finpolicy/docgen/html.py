"""HTML building blocks the pictures share: tables, legends, outcome colours.

Every picture is an HTML table or inline SVG with inline styles, so it renders in any browser
without plugins or style sheets.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["COLOURS", "cell_list", "escape", "html_table", "in_force_day", "legend",
           "noon_of_first_day"]

# Outcome colours, shared by every picture: green allows, amber conditions, red refuses.
COLOURS = {
    "suitable": "#c8e6c9", "allow": "#c8e6c9", "met": "#c8e6c9",
    "conditional": "#ffe0b2", "grant": "#ffe0b2", "at_risk": "#ffe0b2",
    "unsuitable": "#ffcdd2", "deny": "#ffcdd2", "breached": "#ffcdd2",
    "pending": "#e3f2fd", "error": "#e0e0e0",
}
# dark text on a white ground whatever the page's colour scheme: the outcome colours are light
_TABLE = ("border-collapse:collapse;font-family:sans-serif;font-size:13px;"
          "margin:0.5em 0 1.5em 0;color:#1a1a1a;background:#ffffff")
_CELL = "border:1px solid #999;padding:4px 8px;text-align:center;vertical-align:top"
_HEAD = _CELL + ";background:#eceff1;font-weight:bold"


def escape(value: object) -> str:
    """``value`` as HTML text (quotes escaped too, for attributes)."""
    return html.escape(str(value), quote=True)


def html_table(header: Sequence[str], rows: Iterable[Sequence[tuple[str, str]]], *,
               caption: str = "", css_class: str = "finpolicy-picture") -> str:
    """An HTML table; each body cell is ``(inner_html, extra_style)``."""
    out = [f'<table class="{css_class}" style="{_TABLE}">']
    if caption:
        out.append(f'<caption style="caption-side:top;text-align:left;font-weight:bold;'
                   f'padding:4px 0">{escape(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f'<th style="{_HEAD}">{escape(h)}</th>'
                                       for h in header) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, (inner, style) in enumerate(row):
            tag = "th" if i == 0 else "td"
            base = _HEAD if i == 0 else _CELL
            cells.append(f'<{tag} style="{base};{style}">{inner}</{tag}>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def legend(items: Iterable[tuple[str, str]]) -> str:
    """A row of coloured swatches: ``(label, colour)``."""
    spans = [f'<span style="display:inline-block;margin-right:12px">'
             f'<span style="display:inline-block;width:14px;height:14px;background:{c};'
             f'border:1px solid #999;vertical-align:middle"></span> {escape(label)}</span>'
             for label, c in items]
    return f'<p class="finpolicy-legend" style="font-family:sans-serif;font-size:13px;' \
           f'color:#1a1a1a">' \
           f'{"".join(spans)}</p>'


def cell_list(words: Iterable[str]) -> str:
    """Words one per line, small, for a table cell."""
    return "<br>".join(f'<span style="font-size:11px">{escape(w)}</span>' for w in words)


def noon_of_first_day(doc: Any) -> dt.datetime:
    """A moment when ``doc`` is in force: noon UTC of its first day."""
    return dt.datetime.combine(doc.metadata.effective_from, dt.time(12), dt.UTC)


def in_force_day(doc: Any, offset: int = 30) -> dt.date:
    """A day ``offset`` days into ``doc``'s window (its last day when the window is shorter)."""
    day: dt.date = doc.metadata.effective_from + dt.timedelta(days=offset)
    until = doc.metadata.effective_until
    return min(day, until) if until is not None else day
