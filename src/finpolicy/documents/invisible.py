"""Text a reviewer cannot see, refused in policy files.

A policy is reviewed by reading it. A zero-width space in a literal (``eq: "marketing\\u200b"``)
makes a rule that can never fire look like one that does, and bidirectional controls can make
a line read otherwise than it parses (Trojan Source). Inputs lose such characters before they
are compared (``finpolicy.identity``), so a policy text holding one matches nothing. Policy
files and manifests may therefore hold no invisible character (``finpolicy.identity.invisible``:
format and control characters other than whitespace, and the other default ignorable code
points) anywhere — in keys, values, escapes or comments; a byte-order mark opening the file is
allowed.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from finpolicy.documents.yamlsource import SourceDocument
from finpolicy.errorcodes import declare
from finpolicy.errors import Problem
from finpolicy.identity import invisible

__all__ = ["invisible_text"]

declare("policy", {"invisible_character": "A policy file holds a character a reader cannot "
                                          "see (a zero-width space, a bidirectional control)."})


def _found(text: str) -> int | None:
    """The position of the first invisible character of ``text``, if any."""
    if text.isascii() and text.isprintable():
        return None
    hidden = {c for c in set(text) if invisible(c)}
    if not hidden:
        return None
    return min(text.find(c) for c in hidden)


def _name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"


def invisible_text(source: SourceDocument) -> Problem | None:
    """The first invisible character of a policy file, as a problem at its line."""
    text = (source.text or "").removeprefix("\ufeff")
    at = _found(text)
    if at is not None:
        line = text.count("\n", 0, at) + 1
        return Problem(source.file, line, "", f"an invisible character ({_name(text[at])}): "
                       "policy text must read as it is; delete it", "invisible_character")
    if "\\" not in text:  # no escape, so the values hold only what the text shows
        return None
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), source.data)]
    while stack:  # escapes (`"\u200b"`) leave no trace in the text: the values are walked
        path, value = stack.pop()
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and _found(key) is not None:
                    return source.problem(path, _message(key), "invisible_character")
            stack.extend(((*path, key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):  # (reversed: the first in the file is found first)
            stack.extend(((*path, i), value[i]) for i in reversed(range(len(value))))
        elif isinstance(value, str) and _found(value) is not None:
            return source.problem(path, _message(value), "invisible_character")
    return None


def _message(text: str) -> str:
    at = _found(text)
    assert at is not None
    shown = text.encode("unicode_escape").decode("ascii")
    return (f"`{shown[:60]}` holds an invisible character ({_name(text[at])}) at position "
            f"{at}: policy text must read as it is; delete it")
