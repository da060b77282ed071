"""One spelling per person and per word: canonical forms of identities and policy terms.

A bank's systems spell one user id several ways (``U-TELLER-1``, ``u-teller-1 ``, full-width
``Ｕ－ＴＥＬＬＥＲ－１``, or with a zero-width space copied from a web page). Access decisions
compare ids (is the approver the requester?), so every id is brought to one canonical form
before any comparison:

- Unicode NFKC (compatibility forms such as full-width letters become plain ones);
- invisible characters removed: format characters (``Cf``: zero-width space and joiners,
  bidirectional controls, the byte-order mark …), control characters other than whitespace,
  surrogates and the rest of Unicode's *default ignorable* code points (variation selectors,
  Hangul fillers, tag characters);
- case folded (``str.casefold``), NFKC again, runs of whitespace made one space and the ends
  trimmed.

Policy terms (roles, purposes, actions, levels) are not brought to any form: they are matched
exactly, and any other spelling (``Teller``, full-width ``ｔｅｌｌｅｒ``, ``teller`` with a
zero-width space) is a term the policy does not know, which denies or is an input error.
``clean_term`` (NFKC and invisible characters removed, case kept) is how classification reads
field names and tags.
Look-alike letters of different scripts (Cyrillic ``а`` for Latin ``a``) are not folded: no
normal form does that; an id spelt so is simply another id, which a role directory does not
know.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["canonical_id", "clean_term", "invisible"]

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) beyond the Cf characters.
_IGNORABLE = (
    (0x034F, 0x034F),    # combining grapheme joiner
    (0x115F, 0x1160),    # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),    # Khmer inherent vowels
    (0x180B, 0x180F),    # Mongolian free variation selectors and vowel separator
    (0x2065, 0x2065),    # reserved among the invisible operators
    (0x3164, 0x3164),    # Hangul filler
    (0xFE00, 0xFE0F),    # variation selectors
    (0xFFA0, 0xFFA0),    # half-width Hangul filler
    (0xFFF0, 0xFFF8),    # reserved specials
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical formatting symbols
    (0xE0000, 0xE0FFF),  # tags and variation selectors supplement
)
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs"})


def invisible(char: str) -> bool:
    """Whether ``char`` shows nothing and separates nothing (whitespace is not invisible)."""
    if char.isspace():
        return False
    if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE)


# the default ignorable code points that are printable (str.isprintable is False for every
# Cf, Cc and Cs character, and for all whitespace but the space, which is not invisible)
_IGNORABLE_RE = re.compile("[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}"
                                         for low, high in _IGNORABLE) + "]")


def _visible(text: str) -> str:
    if text.isprintable() and not _IGNORABLE_RE.search(text):  # (most text: nothing to drop)
        return text
    return "".join(c for c in text if not invisible(c))


def _fast(text: str) -> bool:
    # plain printable ASCII (the usual id) needs neither NFKC nor the invisible filter
    return text.isascii() and text.isprintable()


def clean_term(text: str) -> str:
    """``text`` in NFKC, without invisible characters, whitespace runs made one space and the
    ends trimmed; case is kept (``" teller\\u200b"`` → ``"teller"``)."""
    if not _fast(text):
        text = unicodedata.normalize("NFKC", _visible(unicodedata.normalize("NFKC", text)))
    return " ".join(text.split())


def canonical_id(text: str) -> str:
    """The canonical form of an identity: ``clean_term`` and case folded, so that
    ``"U-TELLER-1 "``, ``"ｕ－ｔｅｌｌｅｒ－１"`` and ``"u-teller\\u200b-1"`` are all
    ``"u-teller-1"``. An empty result means the id is missing.

    The form is stable: ``canonical_id(canonical_id(x)) == canonical_id(x)``.
    """
    if text.isascii() and text.isprintable():  # the usual id: no NFKC, nothing invisible
        text = text.lower()
        return text if " " not in text else " ".join(text.split())
    out = clean_term(text)
    for _ in range(4):  # case folding can un-normalise; a few rounds reach the fixed point
        folded = " ".join(_visible(unicodedata.normalize("NFKC", out.casefold())).split())
        if folded == out:
            break
        out = folded
    return out
