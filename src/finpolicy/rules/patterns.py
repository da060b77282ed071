"""Patterns for ``matches``: a small, safe regular-expression subset that both engines run.

Python's ``re`` and durable_rules' regex dialect differ (durable escapes with ``%``, has no
anchors and always matches the whole text). A pattern is parsed once into this subset and
emitted for each engine, so both agree by construction:

- literal characters (letters, digits, CJK, ``_``, ``-``, ``@``, space); other punctuation
  escaped with a backslash (``\\.``);
- ``.`` any character; classes ``[a-z0-9_]`` and ``[^0-9]``; ``\\d`` ``\\w`` (ASCII) ``\\s``;
- groups ``( )``, alternation ``|``, quantifiers ``* + ?`` and ``{m}`` / ``{m,n}`` (n ≤ 32).

A pattern always matches the whole value (``id.*`` matches ``id_number``, not ``my_id``).
"""

from __future__ import annotations

import re

import attrs

from finpolicy.errors import FinpolicyError

_SPECIAL = set(".|?*+()[]{}\\^$%")
_PLAIN_PUNCT = set("_-@ :/#&'")
_ESCAPABLE = set(".|?*+()[]{}\\^$%-/_@#&:' ")
_CLASS_SHORTHAND = {"d": [("0", "9")], "w": [("A", "Z"), ("a", "z"), ("0", "9"), ("_", "_")],
                    "s": [(" ", " "), ("\t", "\t")]}
_MAX_REPEAT = 32


class PatternError(FinpolicyError, ValueError):
    """A pattern outside the supported subset; ``position`` is the 0-based offset."""

    def __init__(self, message: str, position: int) -> None:
        self.position = position
        super().__init__(f"{message} at position {position}")


@attrs.frozen(slots=True)
class Pattern:
    """A parsed pattern with its forms for each engine."""

    source: str
    python: re.Pattern[str]
    durable: str

    def fullmatch(self, text: str) -> bool:
        return self.python.fullmatch(text) is not None


def _literal_ok(ch: str) -> bool:
    return ch.isalnum() or ch in _PLAIN_PUNCT or ord(ch) > 0x2E7F


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0
        self.py: list[str] = []
        self.dr: list[str] = []

    def peek(self) -> str | None:
        return self.text[self.i] if self.i < len(self.text) else None

    def parse(self) -> tuple[str, str]:
        py, dr = self.alternation()
        if self.i != len(self.text):
            raise PatternError(f"unexpected `{self.text[self.i]}`", self.i)
        return py, dr

    def alternation(self) -> tuple[str, str]:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        if any(not py for py, _ in branches) and len(branches) > 1:
            raise PatternError("empty alternative", self.i)
        return "|".join(b[0] for b in branches), "|".join(b[1] for b in branches)

    def sequence(self) -> tuple[str, str]:
        py, dr = "", ""
        while (ch := self.peek()) is not None and ch not in "|)":
            apy, adr = self.atom()
            qpy, qdr = self.quantifier()
            py, dr = py + apy + qpy, dr + adr + qdr
        return py, dr

    def atom(self) -> tuple[str, str]:
        start, ch = self.i, self.text[self.i]
        if ch == "(":
            self.i += 1
            py, dr = self.alternation()
            if self.peek() != ")":
                raise PatternError("unclosed group", start)
            self.i += 1
            if not py:
                raise PatternError("empty group", start)
            return f"(?:{py})", f"({dr})"
        if ch == "[":
            return self.char_class()
        if ch == ".":
            self.i += 1
            return ".", "."
        if ch == "\\":
            return self.escape(in_class=False)
        if ch in "^$":
            raise PatternError("anchors are implied: a pattern always matches the whole value",
                               start)
        if ch in _SPECIAL:
            raise PatternError(f"unexpected `{ch}` (escape it as `\\{ch}`)", start)
        if not _literal_ok(ch):
            raise PatternError(f"unsupported character `{ch}` (escape it)", start)
        self.i += 1
        return re.escape(ch), _dr_char(ch)

    def escape(self, *, in_class: bool) -> tuple[str, str]:
        start = self.i
        self.i += 1
        ch = self.peek()
        if ch is None:
            raise PatternError("dangling backslash", start)
        self.i += 1
        if ch in _CLASS_SHORTHAND:
            ranges = _CLASS_SHORTHAND[ch]
            py = "".join(re.escape(a) if a == b else f"{re.escape(a)}-{re.escape(b)}"
                         for a, b in ranges)
            dr = "".join(_dr_char(a) if a == b else f"{a}-{b}" for a, b in ranges)
            return (py, dr) if in_class else (f"[{py}]", f"[{dr}]")
        if in_class and ch in "-^]\\[":
            raise PatternError(f"`\\{ch}` is not supported inside a class", start)
        if ch in _ESCAPABLE:
            return re.escape(ch), _dr_char(ch)
        raise PatternError(f"unsupported escape `\\{ch}`", start)

    def char_class(self) -> tuple[str, str]:
        start = self.i
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        py, dr, count = "", "", 0
        while (ch := self.peek()) is not None and ch != "]":
            if ch == "\\":
                ipy, idr = self.escape(in_class=True)
                py, dr, count = py + ipy, dr + idr, count + 1
                continue
            if not _literal_ok(ch) or ch in "-":
                raise PatternError(f"unsupported character `{ch}` in class", self.i)
            self.i += 1
            if self.peek() == "-" and self.i + 1 < len(self.text) and self.text[self.i + 1] != "]":
                end = self.text[self.i + 1]
                if not end.isalnum() or end < ch:
                    raise PatternError(f"bad range `{ch}-{end}`", self.i - 1)
                self.i += 2
                py += f"{re.escape(ch)}-{re.escape(end)}"
                dr += f"{ch}-{end}"
            else:
                py += re.escape(ch)
                dr += _dr_char(ch)
            count += 1
        if self.peek() != "]":
            raise PatternError("unclosed class", start)
        self.i += 1
        if count == 0:
            raise PatternError("empty class", start)
        hat = "^" if negate else ""
        return f"[{hat}{py}]", f"[{hat}{dr}]"

    def quantifier(self) -> tuple[str, str]:
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.i += 1
            if self.peek() in ("*", "+", "?", "{"):
                raise PatternError("repeated quantifier", self.i)
            return ch, ch
        if ch == "{":
            start = self.i
            end = self.text.find("}", start)
            if end < 0:
                raise PatternError("unclosed repetition", start)
            body = self.text[start + 1 : end]
            m = re.fullmatch(r"(\d+)(?:,(\d+))?", body)
            if not m:
                raise PatternError("repetition must be `{m}` or `{m,n}`", start)
            low = int(m.group(1))
            high = int(m.group(2)) if m.group(2) is not None else low
            if high < low or high > _MAX_REPEAT or high == 0:
                raise PatternError(f"repetition must satisfy 0 ≤ m ≤ n ≤ {_MAX_REPEAT}, n ≥ 1",
                                   start)
            self.i = end + 1
            if self.peek() in ("*", "+", "?", "{"):
                raise PatternError("repeated quantifier", self.i)
            form = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
            return form, form
        return "", ""


_DURABLE_SPECIAL = set(".|?*+()[]{}%")


def _dr_char(ch: str) -> str:
    """durable_rules escapes only its own metacharacters, and only with ``%``."""
    return "%" + ch if ch in _DURABLE_SPECIAL else ch


def compile_pattern(text: str) -> Pattern:
    """Parse ``text``; raise ``PatternError`` when it leaves the supported subset."""
    if not isinstance(text, str) or not text:
        raise PatternError("a pattern must be a non-empty string", 0)
    py, dr = _Parser(text).parse()
    return Pattern(text, re.compile(py, re.DOTALL), dr)
