"""The error codes finpolicy uses, collected by reading its source (so the docs list exactly
the codes in use)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import attrs

# --- error codes, collected from the source ------------------------------------------------------

@attrs.frozen(slots=True)
class ErrorCode:
    """A stable error code, where it is raised and an example of its message."""

    code: str
    modules: tuple[str, ...]
    example: str


_CODE = re.compile(r"[a-z][a-z0-9]*(?:_(?:[a-z0-9]+|<[a-z_]+>))*")
_PROBLEM_CALL = re.compile(r"(?i)problem|fail")


def _literal(node: ast.AST | None, *, named: bool = False) -> str | None:
    """The text of a string literal; interpolations become ``…`` (or ``<name>`` when
    ``named`` and the interpolation is a plain name)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif (named and isinstance(value, ast.FormattedValue)
                  and isinstance(value.value, ast.Name)):
                parts.append(f"<{value.value.id}>")
            else:
                parts.append("…")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def error_codes(root: str | Path | None = None) -> list[ErrorCode]:
    """Every error code used in finpolicy's source, found by reading the code itself.

    A code is the string given as ``code=...``, or the last positional string argument of a
    call whose name says it records a problem (``Problem(...)``, ``ctx.problem(...)``,
    ``self._fail(...)``); a code built from a name (``f"unknown_{what}"``) is listed as
    ``unknown_<what>``. The message example is the argument before it, with ``…`` for the
    interpolated parts.
    """
    base = Path(root) if root is not None else Path(__file__).resolve().parents[1]
    found: dict[str, tuple[set[str], str]] = {}

    def note(code: str, module: str, example: str | None) -> None:
        if not _CODE.fullmatch(code):
            return
        modules, known = found.setdefault(code, (set(), ""))
        modules.add(module)
        if not known and example:
            found[code] = (modules, " ".join(example.split()))

    for file in sorted(base.rglob("*.py")):
        try:
            tree = ast.parse(file.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        module = ".".join(file.relative_to(base.parent).with_suffix("").parts)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            keyword = next((k for k in node.keywords if k.arg == "code"), None)
            message = next((_literal(k.value) for k in node.keywords if k.arg == "message"),
                           None)
            if keyword is not None:
                code = _literal(keyword.value, named=True)
                if code is not None:
                    note(code, module, message or (_literal(node.args[1])
                                                   if len(node.args) > 1 else None))
                continue
            name = _call_name(node)
            if not _PROBLEM_CALL.search(name) or len(node.args) < 2:
                continue
            code = _literal(node.args[-1], named=True)
            if code is not None and isinstance(node.args[-1], ast.Constant | ast.JoinedStr):
                note(code, module, _literal(node.args[-2]))
            elif name == "InputProblem" and len(node.args) == 2:
                note("invalid_input", module, _literal(node.args[1]))
    return [ErrorCode(code, tuple(sorted(mods)), example)
            for code, (mods, example) in sorted(found.items())]
