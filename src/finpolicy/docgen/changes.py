"""What changed between two versions of a policy besides its rules: its settings and tables
(the spec's own tables, as the policy page shows them) and its sources.

A setting decides as much as a rule does (cn-suitability's ``product_rating`` went from
``seller`` to ``higher_of_issuer_and_seller`` on 2026-02-01), so the version history lists
these changes beside the rules'.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finpolicy.docgen.text import spec_tables
from finpolicy.documents.bundle import PolicyDocument

__all__ = ["source_changes", "spec_changes"]

Table = tuple[list[str], list[list[str]]]


def _listed(text: str) -> list[str] | None:
    parts = [p.strip() for p in text.split(",")]
    return parts if len(parts) > 1 and all(p and " " not in p for p in parts) else None


def _value_change(a: str, b: str) -> str:
    """``a → b``; for two lists of names, the names added and removed."""
    was, now = _listed(a) or ([a] if a and " " not in a else None), _listed(b)
    if was is not None and now is not None:
        added = [x for x in now if x not in was]
        removed = [x for x in was if x not in now]
        words = ([f"added {', '.join(added)}"] if added else []) + (
            [f"removed {', '.join(removed)}"] if removed else [])
        if words:
            return "; ".join(words)
    return f"{a or '—'} → {b or '—'}"


def _rows(table: Table) -> dict[str, dict[str, str]]:
    header, rows = table
    return {row[0]: dict(zip(header[1:], row[1:], strict=False)) for row in rows if row}


def _table_changes(before: Table | None, after: Table | None) -> list[str]:
    if after is None:
        return ["no longer in the policy"]
    old = _rows(before) if before is not None else {}
    new = _rows(after)
    pairs = after[0][:2] in (["Setting", "Value"], ["Key", "Value"])
    out = []
    for key, cells in new.items():
        if key not in old:
            shown = "; ".join(f"{c} {v}" for c, v in cells.items() if v not in ("", "—"))
            out.append(f"{key} added" + (f": {shown}" if shown else ""))
            continue
        for column in dict.fromkeys([*cells, *old[key]]):
            a, b = old[key].get(column, ""), cells.get(column, "")
            if a != b:
                where = key if pairs else f"{key}, {column}"
                out.append(f"{where}: {_value_change(a, b)}")
    out += [f"{key} removed" for key in old if key not in new]
    return out


def spec_changes(old: PolicyDocument[Any], new: PolicyDocument[Any]
                 ) -> list[tuple[str, list[str]]]:
    """``(table title, [change, …])`` for each of the spec's tables that differs between two
    versions, in the newer version's order (tables it dropped last)."""
    before = {title: (header, rows) for title, header, rows in spec_tables(old)}
    after = {title: (header, rows) for title, header, rows in spec_tables(new)}
    out = []
    for title in dict.fromkeys([*after, *before]):
        if before.get(title) == after.get(title):
            continue
        found = _table_changes(before.get(title), after.get(title))
        if found:
            out.append((title, found))
    return out


def source_changes(old: PolicyDocument[Any], new: PolicyDocument[Any]) -> list[str]:
    """The sources added to, removed from and changed between two versions' metadata."""
    def listing(doc: PolicyDocument[Any]) -> dict[str, Sequence[str]]:
        return {s.id: (s.title, s.article or "", s.url or "") for s in doc.metadata.sources}

    was, now = listing(old), listing(new)
    out = [f"{i} added: {now[i][0]}" + (f", {now[i][1]}" if now[i][1] else "")
           for i in now if i not in was]
    for i in now:
        if i in was and was[i] != now[i]:
            parts = [f"{name}: {a or '—'} → {b or '—'}" for name, a, b in
                     zip(("title", "articles", "address"), was[i], now[i], strict=True)
                     if a != b]
            out.append(f"{i}, " + "; ".join(parts))
    out += [f"{i} removed: {was[i][0]}" for i in was if i not in now]
    return out
