"""Where each rule of a policy document is written, so reports can point at its line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finpolicy.documents.bundle import PolicyDocument

__all__ = ["rule_lines"]


def rule_lines(doc: PolicyDocument[Any]) -> dict[str, int | None]:
    """Where each rule id is written in the document, so reports can point at it."""
    out: dict[str, int | None] = {}

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            rule_id = node.get("id")
            if isinstance(rule_id, str) and rule_id not in out and path[:1] == ("spec",):
                out[rule_id] = doc.source.line_of(path) if doc.source is not None else None
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))

    walk(doc.data, ())
    return out
