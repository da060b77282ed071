"""Applying changes (JSON Patch, RFC 6902) to an input in mapping form.

Suggestions carry their edits as JSON Patch operations so that any client can apply them
(an HTTP caller with its own JSON Patch library, a UI highlighting fields); this module
applies the three operations suggestions use — ``add`` (``/-`` appends to a list),
``replace`` and ``remove`` — to a deep copy of the input.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from finpolicy.errors import InputError
from finpolicy.explain.model import Change

__all__ = ["apply_changes", "pointer"]


def pointer(*parts: str | int) -> str:
    """A JSON Pointer from path parts (``pointer("customer", "risk_level")``)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _parts(path: str) -> list[str]:
    if not path.startswith("/"):
        raise InputError.one("changes.path", f"expected a JSON Pointer starting with `/`, got "
                                             f"`{path}`", "bad_input", path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _step(node: Any, key: str, path: str) -> Any:
    if isinstance(node, list):
        if key.isdecimal() and int(key) < len(node):
            return node[int(key)]
    elif isinstance(node, dict) and key in node:
        return node[key]
    raise InputError.one("changes.path", f"`{path}` does not point into the input",
                         "bad_input", path)


def _index(key: str, size: int, path: str) -> int:
    if key.isdecimal() and int(key) < size:
        return int(key)
    raise InputError.one("changes.path", f"`{path}` does not point into the input",
                         "bad_input", path)


def apply_changes(data: Mapping[str, Any], changes: Iterable[Change]) -> dict[str, Any]:
    """A copy of ``data`` with ``changes`` applied in order.

    Raises:
        InputError: a change points outside the input.
    """
    out: dict[str, Any] = copy.deepcopy(dict(data))
    for change in changes:
        *parents, last = _parts(change.path)
        node: Any = out
        for key in parents:
            node = _step(node, key, change.path)
        value = copy.deepcopy(change.value)
        if isinstance(node, list):
            if change.op == "add" and last == "-":
                node.append(value)
                continue
            index = _index(last, len(node) + (change.op == "add"), change.path)
            if change.op == "add":
                node.insert(index, value)
            elif change.op == "replace":
                node[index] = value
            else:
                del node[index]
        elif isinstance(node, dict):
            if change.op == "remove":
                _step(node, last, change.path)
                del node[last]
            elif change.op == "replace" and last not in node:
                raise InputError.one("changes.path", f"`{change.path}` does not point into the "
                                                     "input", "bad_input", change.path)
            else:
                node[last] = value
        else:
            raise InputError.one("changes.path", f"`{change.path}` does not point into the "
                                                 "input", "bad_input", change.path)
    return out
