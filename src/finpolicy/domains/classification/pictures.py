"""The classification levels with their handling, and the data categories."""

from __future__ import annotations

from typing import Any

from finpolicy.docgen.html import cell_list, escape, html_table
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import Picture
from finpolicy.runtime import Runtime

__all__ = ["PICTURES", "classification_levels"]

_LEVEL_COLOURS = ("#c8e6c9", "#ffe0b2", "#ffcdd2", "#e1bee7", "#b3e5fc")


def _yes_no(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(value)


def _retention(days: int | None, period: Any, after: str) -> str:
    """A handling retention in words: a period from its event, or days."""
    if period is not None:
        return str(period.build().describe())
    return f"{days} days after {after}" if days is not None else "—"


def classification_levels(runtime: Runtime, doc: PolicyDocument[Any]) -> str:
    """The levels, lowest first, with their grades and handling requirements, and the rules
    that assign each level; then the data categories with examples."""
    spec = doc.spec
    handling = spec.handling
    by_level: dict[str, list[str]] = {}
    for rule in spec.rules:
        by_level.setdefault(str(rule.level), []).append(rule.id)
    header = ["Level", "JR/T 0197 grade", "PFI category", "Encryption at rest",
              "Encryption in transit", "Storage", "Masked on display", "Use needs a grant",
              "Retention", "Destruction", "Audit log kept", "Rules assigning it"]
    rows = []
    for i, level in enumerate(spec.levels):
        h = handling.get(level.name)
        colour = _LEVEL_COLOURS[min(i, len(_LEVEL_COLOURS) - 1)]
        row = [(f"{escape(level.name)}<br><span style=\"font-weight:normal;font-size:11px\">"
                f"{escape(level.title)}</span>", f"background:{colour}"),
               (_yes_no(getattr(level, "grade", None)), ""),
               (_yes_no(getattr(level, "pfi_category", None)), "")]
        if h is None:
            row += [("—", "")] * 8
        else:
            row += [(_yes_no(h.encryption_at_rest), ""), (_yes_no(h.encryption_in_transit), ""),
                    (_yes_no(h.storage), ""), (_yes_no(h.mask_on_display), ""),
                    (_yes_no(h.approval_required), ""),
                    (escape(_retention(h.retention_days, h.retention, "purpose end")), ""),
                    (_yes_no(h.destruction), ""),
                    (escape(_retention(h.audit_log_retention_days, h.audit_log_retention,
                                       "logging")), "")]
        row.append((cell_list(by_level.get(level.name, [])) or "—", "text-align:left"))
        rows.append(row)
    levels = html_table(header, rows, caption=f"Levels of {doc.id} {doc.version}, lowest first, "
                                              "with their handling requirements",
                        css_class="finpolicy-picture finpolicy-classification-levels")
    cat_rows = [[(escape(name), "text-align:left"), (escape(cat.title), "text-align:left"),
                 (escape(", ".join(cat.examples)) or "—", "text-align:left")]
                for name, cat in spec.categories.items()]
    categories = html_table(["Category", "Title", "Examples"], cat_rows,
                            caption="Data categories",
                            css_class="finpolicy-picture finpolicy-categories")
    return levels + "\n" + categories


PICTURES = (Picture("classification-levels", "Classification levels", classification_levels),)
