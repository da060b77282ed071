"""Patterns for ``matches``: a small regular-expression subset, matched in linear time.

A pattern is parsed once into this subset and emitted in RE2 syntax; both engines match with
RE2 (google-re2), whose automata run in time linear in the text whatever the pattern, so no
pattern and no value can make a decision slow (Python's backtracking ``re`` takes exponential
time on ``(a+)+b``; durable_rules' own regex engine fails to build a rule set once a pattern's
automaton passes 4,096 states, reads text lengths as 16-bit numbers and matches the
JSON-escaped text, so the durable engine is handed the result of the same matcher).

- literal characters (letters, digits, CJK, ``_``, ``-``, ``@``, space); other punctuation
  escaped with a backslash (``\\.``);
- ``.`` any character; classes ``[a-z0-9_]`` and ``[^0-9]``; ``\\d`` ``\\w`` (ASCII) ``\\s``;
- groups ``( )``, alternation ``|``, quantifiers ``* + ?`` and ``{m}`` / ``{m,n}`` (n ≤ 32;
  nested repetitions may total at most 1,000), and the compiled automaton at most
  ``MAX_PROGRAM`` (1,000) instructions, so a match costs at most that many steps per byte.

A pattern always matches the whole value (``id.*`` matches ``id_number``, not ``my_id``). A
pattern is applied to at most ``MAX_MATCH_TEXT`` (10,000) characters: the engines refuse a
longer text under ``matches`` with an ``InputError`` rather than decide on part of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import re2  # type: ignore[import-untyped]

from finpolicy.errors import FinpolicyError

MAX_MATCH_TEXT = 10_000
MAX_PROGRAM = 1_000

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


def _options() -> Any:
    options = re2.Options()
    options.dot_nl = True  # `.` is any character, newlines too
    options.never_capture = True
    options.log_errors = False
    return options


_ANCHOR_BOTH = re2._re2.RE2.Anchor.ANCHOR_BOTH
_OPTIONS = _options()


def _encode(text: str) -> bytes:
    # a lone surrogate (possible in text decoded from JSON) is one character, as in Python
    return text.encode("utf-8", "surrogatepass")


@attrs.frozen(slots=True)
class Pattern:
    """A parsed pattern: its source and its RE2 form (anchored at both ends when matched)."""

    source: str
    regex: str
    _compiled: Any = attrs.field(eq=False, repr=False)

    def fullmatch(self, text: str) -> bool:
        """Whether ``text`` (at most ``MAX_MATCH_TEXT`` characters) matches as a whole."""
        if len(text) > MAX_MATCH_TEXT:
            raise ValueError(f"text longer than {MAX_MATCH_TEXT:,} characters")
        data = _encode(text)
        return bool(self._compiled.Match(_ANCHOR_BOTH, data, 0, len(data))[0][0] >= 0)


class PatternSet:
    """Several patterns matched against one text in a single linear-time pass.

    ``match(text)`` gives the positions (in ``patterns``) of the patterns the whole text matches.
    """

    __slots__ = ("_sentinel", "_set", "patterns")

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self._set = re2._re2.Set(_ANCHOR_BOTH, _OPTIONS)
        for pattern in self.patterns:
            self._set.Add(_encode(pattern.regex))
        # RE2's set matcher answers "no match" when its automaton runs out of memory; a
        # pattern matching every text tells a real "none" from that failure
        self._sentinel = self._set.Add(b".*")
        if self.patterns and not self._set.Compile():
            raise PatternError("patterns too large to match together", 0)

    def match(self, text: str) -> list[int]:
        if not self.patterns:
            return []
        if len(text) > MAX_MATCH_TEXT:
            raise ValueError(f"text longer than {MAX_MATCH_TEXT:,} characters")
        found: list[int] = self._set.Match(_encode(text))
        if self._sentinel not in found:  # out of memory: one pattern at a time (never fails)
            return [i for i, p in enumerate(self.patterns) if p.fullmatch(text)]
        found.remove(self._sentinel)
        return found


def _literal_ok(ch: str) -> bool:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF or code == 0xFFFD:
        return False
    return ch.isalnum() or ch in _PLAIN_PUNCT or code > 0x2E7F


def _re(ch: str) -> str:
    """``ch`` as an RE2 literal: ASCII punctuation is escaped, everything else written as is."""
    return "\\" + ch if ch.isascii() and not ch.isalnum() and ch not in " \t" else ch


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def peek(self) -> str | None:
        return self.text[self.i] if self.i < len(self.text) else None

    def parse(self) -> str:
        out = self.alternation()
        if self.i != len(self.text):
            raise PatternError(f"unexpected `{self.text[self.i]}`", self.i)
        return out

    def alternation(self) -> str:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        if any(not b for b in branches) and len(branches) > 1:
            raise PatternError("empty alternative", self.i)
        return "|".join(branches)

    def sequence(self) -> str:
        out = ""
        while (ch := self.peek()) is not None and ch not in "|)":
            out += self.atom() + self.quantifier()
        return out

    def atom(self) -> str:
        start, ch = self.i, self.text[self.i]
        if ch == "(":
            self.i += 1
            inner = self.alternation()
            if self.peek() != ")":
                raise PatternError("unclosed group", start)
            self.i += 1
            if not inner:
                raise PatternError("empty group", start)
            return f"(?:{inner})"
        if ch == "[":
            return self.char_class()
        if ch == ".":
            self.i += 1
            return "."
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
        return _re(ch)

    def escape(self, *, in_class: bool) -> str:
        start = self.i
        self.i += 1
        ch = self.peek()
        if ch is None:
            raise PatternError("dangling backslash", start)
        self.i += 1
        if ch in _CLASS_SHORTHAND:
            ranges = "".join(_re(a) if a == b else f"{a}-{b}" for a, b in _CLASS_SHORTHAND[ch])
            return ranges if in_class else f"[{ranges}]"
        if in_class and ch in "-^]\\[":
            raise PatternError(f"`\\{ch}` is not supported inside a class", start)
        if ch in _ESCAPABLE:
            return _re(ch)
        raise PatternError(f"unsupported escape `\\{ch}`", start)

    def char_class(self) -> str:
        start = self.i
        self.i += 1
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        out, count = "", 0
        while (ch := self.peek()) is not None and ch != "]":
            if ch == "\\":
                out += self.escape(in_class=True)
                count += 1
                continue
            if not _literal_ok(ch) or ch in "-":
                raise PatternError(f"unsupported character `{ch}` in class", self.i)
            self.i += 1
            if self.peek() == "-" and self.i + 1 < len(self.text) and self.text[self.i + 1] != "]":
                end = self.text[self.i + 1]
                if not end.isalnum() or end < ch:
                    raise PatternError(f"bad range `{ch}-{end}`", self.i - 1)
                self.i += 2
                out += f"{_re(ch)}-{_re(end)}"
            else:
                out += _re(ch)
            count += 1
        if self.peek() != "]":
            raise PatternError("unclosed class", start)
        self.i += 1
        if count == 0:
            raise PatternError("empty class", start)
        return f"[{'^' if negate else ''}{out}]"

    def quantifier(self) -> str:
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.i += 1
            if self.peek() in ("*", "+", "?", "{"):
                raise PatternError("repeated quantifier", self.i)
            return ch
        if ch == "{":
            start = self.i
            end = self.text.find("}", start)
            if end < 0:
                raise PatternError("unclosed repetition", start)
            low, high = _repetition(self.text[start + 1 : end], start)
            self.i = end + 1
            if self.peek() in ("*", "+", "?", "{"):
                raise PatternError("repeated quantifier", self.i)
            return f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        return ""


def _repetition(body: str, start: int) -> tuple[int, int]:
    low_text, _, high_text = body.partition(",")
    if not low_text.isascii() or not low_text.isdigit() or len(low_text) > 3 or (
            "," in body and (not high_text.isascii() or not high_text.isdigit()
                             or len(high_text) > 3)):
        raise PatternError("repetition must be `{m}` or `{m,n}`", start)
    low = int(low_text)
    high = int(high_text) if "," in body else low
    if high < low or high > _MAX_REPEAT or high == 0:
        raise PatternError(f"repetition must satisfy 0 ≤ m ≤ n ≤ {_MAX_REPEAT}, n ≥ 1", start)
    return low, high


def compile_pattern(text: str) -> Pattern:
    """Parse ``text``; raise ``PatternError`` when it leaves the supported subset."""
    if not isinstance(text, str) or not text:
        raise PatternError("a pattern must be a non-empty string", 0)
    if len(text) > 1000:
        raise PatternError("a pattern may be at most 1,000 characters long", 1000)
    regex = _Parser(text).parse()
    compiled = re2._re2.RE2(_encode(regex), _OPTIONS)
    if not compiled.ok():
        raise PatternError(f"pattern too large to match ({compiled.error().decode()})", 0)
    if compiled.ProgramSize() > MAX_PROGRAM:
        raise PatternError(f"pattern too large: its automaton has {compiled.ProgramSize():,} "
                           f"instructions (at most {MAX_PROGRAM:,}); use fewer nested "
                           "repetitions", 0)
    return Pattern(text, regex, compiled)
