"""How classification reads a field's name: one spelling per name, whatever the system
that named the column wrote."""

from __future__ import annotations

import functools
import re

from finpolicy.identity import clean_term

__all__ = ["normalise_name"]

_CAMEL_1 = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CAMEL_2 = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[\s\-.]+")
_UNDERSCORES = re.compile(r"_{2,}")


@functools.lru_cache(maxsize=4096)  # a bank's column names recur in every call
def normalise_name(name: str) -> str:
    """``Contact Phone`` / ``contactPhone`` / ``contact-phone`` / ``ＣＯＮＴＡＣＴ＿ＰＨＯＮＥ`` →
    ``contact_phone`` (NFKC and invisible characters removed first, so a full-width or
    zero-width-spaced name reads as the name it shows)."""
    text = _CAMEL_2.sub("_", _CAMEL_1.sub("_", clean_term(name)))
    text = _SEPARATORS.sub("_", text.lower())
    return _UNDERSCORES.sub("_", text).strip("_") or text
