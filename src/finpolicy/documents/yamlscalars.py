"""The scalars of policy YAML: PyYAML's plain types (str, int, float, bool, null) read within
the limits of ``finpolicy.documents.yamlsource``, which builds documents from them."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml import events as ev

MAX_INT_DIGITS = 19

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT = _TAG + "str", _TAG + "int", _TAG + "float"
_BOOL, _NULL, _MERGE = _TAG + "bool", _TAG + "null", _TAG + "merge"
SEQ_TAG, MAP_TAG = _TAG + "seq", _TAG + "map"
_LEADING_ZERO = re.compile(r"[-+]?0_*[0-9]")
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
# PyYAML's implicit resolvers for plain scalars, keeping only the plain types (no timestamps)
RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    first: [(tag, rx) for tag, rx in rules if tag in (_BOOL, _NULL, _INT, _FLOAT, _MERGE)]
    for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _resolve_plain(value: str) -> str:
    for tag, rx in RESOLVERS.get(value[:1], ()):
        if rx.match(value):
            return tag
    return _STR


def _sexagesimal(text: str, cast: Any) -> Any:
    total, base = cast(0), 1
    for part in reversed(text.split(":")):
        total += cast(part) * base
        base *= 60
    return total


def _to_int(text: str) -> int:
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in "+-":
        value = value[1:]
    if len(value) > 70:  # enough for 19 decimal digits in base 2; refuses huge ones cheaply
        raise ValueError("too many digits")
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value.startswith("0o"):
        return sign * int(value[2:], 8)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        return sign * int(_sexagesimal(value, int))
    return sign * int(value)


def _to_float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    if value[:1] in "+-":
        value = value[1:]
    if ":" in value:
        return sign * float(_sexagesimal(value, float))
    if value in (".inf", ".nan"):
        return math.nan
    return sign * float(value)


def scalar_value(event: ev.ScalarEvent) -> Any:
    """The value of a scalar event; raises ``ValueError`` with the reason it is refused."""
    tag, value = event.tag, event.value
    if tag is None:
        tag = _resolve_plain(value) if event.implicit[0] else _STR
    elif tag == "!":
        tag = _STR
    if tag == _STR:
        return value
    if tag == _NULL:
        if value not in ("", "~", "null", "Null", "NULL"):  # PyYAML makes any text null
            raise ValueError(f"`!!null {shorten(value)}` reads as null, dropping `"
                             f"{shorten(value)}`; write the value without the tag, or null")
        return None
    if tag == _BOOL:
        flag = _BOOLS.get(value.lower())
        if flag is None:
            raise ValueError(f"`{value}` is not a boolean")
        return flag
    if tag == _INT:
        try:
            number = _to_int(value)
            if abs(number) >= 10**MAX_INT_DIGITS:
                raise ValueError("too many digits")
        except (ValueError, IndexError, OverflowError):
            raise ValueError(f"`{shorten(value)}` is not an integer of at most "
                             f"{MAX_INT_DIGITS} digits (quote it to keep it text)") from None
        if _LEADING_ZERO.match(value):  # ge: 065 meant 65, not YAML 1.1's octal 53
            raise ValueError(f"`{value}` starts with 0, so YAML reads it as the octal number "
                             f"{number}; write it without the 0, or quote it to keep it text")
        return number
    if tag == _FLOAT:
        try:
            real = _to_float(value)
        except (ValueError, IndexError, OverflowError):
            raise ValueError(f"`{shorten(value)}` is not a number") from None
        if not math.isfinite(real):
            raise ValueError(f"`{shorten(value)}` is not a finite number")
        return real
    if tag == _MERGE:
        raise ValueError("merge keys (`<<`) are not accepted; write the keys out")
    raise ValueError(f"tag `{shorten(tag)}` is not accepted (only str, int, float, bool, null, "
                     "seq and map)")


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
