"""Every error code finpolicy raises is declared in the registry (``finpolicy.errorcodes``),
so the docs' error-code page, which reads the registry, lists every code a user can meet."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import finpolicy
from finpolicy.errorcodes import error_codes, is_declared

SOURCE = Path(finpolicy.__file__).resolve().parent
_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")
# calls that record a problem, and the position of the code among their arguments
_RECORDS = {"Problem": 4, "InputProblem": 2, "one": 2, "problem": 2, "_problem": 2,
            "_fail": 2, "fail": 2, "_error": 3}


def _name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return call.func.id if isinstance(call.func, ast.Name) else ""


def _codes_in_source() -> dict[str, set[str]]:
    """Literal codes passed to problem-recording calls, by file (``unknown_<x>`` for codes
    built in an f-string)."""
    found: dict[str, set[str]] = {}
    for file in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node) not in _RECORDS:
                continue
            position = _RECORDS[_name(node)]
            arg = next((k.value for k in node.keywords if k.arg == "code"),
                       node.args[position] if len(node.args) > position else None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                    and _CODE.fullmatch(arg.value):
                found.setdefault(arg.value, set()).add(file.name)
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                found.setdefault(f"{arg.values[0].value}<x>", set()).add(file.name)
    return found


def test_every_code_in_the_source_is_declared() -> None:
    error_codes()  # loads the domains, which declare their own codes
    found = _codes_in_source()
    assert len(found) > 60  # the scan does find the codes
    missing = {code: files for code, files in found.items()
               if not code.endswith("<x>") and not is_declared(code, pydantic=True)}
    assert not missing, f"undeclared error codes: {missing}"
    for prefix in (code[:-3] for code in found if code.endswith("<x>")):
        assert any(c.code.startswith(prefix) for c in error_codes()), prefix


def test_every_declared_code_says_what_it_means() -> None:
    codes = error_codes()
    assert len({c.code for c in codes}) == len(codes)
    for code in codes:
        assert _CODE.fullmatch(code.code), code
        assert code.kind in ("policy", "input", "evaluation", "cli"), code
        assert (code.summary[0].isupper() or code.summary[0] == "`") \
            and code.summary.endswith("."), code
