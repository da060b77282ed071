"""Whole-value checks of Chinese bank identifiers: resident ID, payment card, mobile number,
e-mail address, unified social credit code and passport number.

Each check is a pure ``(value: str) -> bool`` that checks structure *and* the check
character where the format has one, so a bare run of digits is never enough. Checks never
raise: any ``str`` gets an answer and anything else is ``False``. Surrounding whitespace is
ignored; inner whitespace only where the format's usual grouping allows it. The content
detectors (``finpolicy.domains.detectors``) are built on them.
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = [
    "bank_card",
    "cn_mobile",
    "cn_resident_id",
    "cn_uscc",
    "email",
    "luhn_check_digit",
    "passport",
    "resident_id_check_char",
    "uscc_check_char",
]

# First two digits of a GB/T 2260 area code (provinces, plus 71/81/82/83/91 which GB 11643
# reserves for Taiwan, Hong Kong, Macau and residence permits).
_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82", "83", "91"}
)
_EARLIEST_BIRTH = _dt.date(1900, 1, 1)

# Explicit ASCII classes: Python's \d also matches full-width and other Unicode digits.
_RESIDENT_ID_RE = re.compile(r"[0-9]{17}[0-9Xx]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_check_char(body: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an ID."""
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _real_date(yyyymmdd: str) -> _dt.date | None:
    try:
        return _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def cn_resident_id(value: str) -> bool:
    """Whether ``value`` is an 18-character mainland resident ID (GB 11643-1999).

    Checks the province code, a real birth date from 1900-01-01 to today and the
    MOD 11-2 check character (``x`` or ``X``).
    """
    if not isinstance(value, str):
        return False
    v = value.strip()
    if not _RESIDENT_ID_RE.fullmatch(v) or v[:2] not in _PROVINCES:
        return False
    birth = _real_date(v[6:14])
    if birth is None or not _EARLIEST_BIRTH <= birth <= _dt.date.today():
        return False
    return resident_id_check_char(v[:17]) == v[17].upper()


# All digits, or grouped with single spaces as cards are printed: 4-4-4-4 (then 1 to 3 more
# digits for 17 to 19) or 4-6-5 (15 digits). A resident ID grouped 6-8-4 is no card, though
# its 18 digits pass the Luhn check one time in ten.
_CARD_RE = re.compile(
    r"[0-9]+|[0-9]{4}(?: [0-9]{4}){3}(?: [0-9]{1,3})?|[0-9]{4} [0-9]{6} [0-9]{5}")
# (prefix, allowed lengths); a card matches if any prefix it starts with allows its length.
_LONG = frozenset(range(16, 20))
_CARD_PREFIXES: tuple[tuple[str, frozenset[int]], ...] = (
    ("62", _LONG),  # UnionPay
    ("60", _LONG),  # common Chinese debit BINs
    ("9558", _LONG),  # ICBC
    ("95599", _LONG),  # ABC
    ("4", _LONG),  # Visa
    *((str(p), _LONG) for p in range(51, 56)),  # Mastercard
    *((str(p), _LONG) for p in range(2221, 2721)),  # Mastercard 2-series
    *((str(p), _LONG) for p in range(3528, 3590)),  # JCB
    ("34", frozenset({15})),  # Amex
    ("37", frozenset({15})),
)
# The same table keyed by prefix, so a check is a few dict lookups, not hundreds of startswith.
_PREFIX_LENGTHS: dict[str, frozenset[int]] = {}
for _prefix, _lengths in _CARD_PREFIXES:
    _PREFIX_LENGTHS[_prefix] = _PREFIX_LENGTHS.get(_prefix, frozenset()) | _lengths
_PREFIX_SIZES = sorted({len(p) for p in _PREFIX_LENGTHS})


def luhn_check_digit(body: str) -> str:
    """Return the Luhn check digit to append to the digit string ``body``."""
    total = 0
    # Double every second digit counting from the right of the *full* number, which is
    # every first digit from the right of the body.
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def bank_card(value: str) -> bool:
    """Whether ``value`` is a payment card number with a known issuer prefix and valid Luhn.

    Digits may be grouped with single spaces as cards are printed (4-4-4-4, then 1 to 3 more
    digits; 4-6-5). Length is 16-19, or 15 for Amex.
    """
    if not isinstance(value, str):
        return False
    v = value.strip()
    if not _CARD_RE.fullmatch(v):
        return False
    return _card_digits(v.replace(" ", ""))


def _card_digits(digits: str) -> bool:
    """Whether the ASCII digits ``digits`` are a card number: issuer prefix, length, Luhn."""
    size = len(digits)
    if not any(size in _PREFIX_LENGTHS.get(digits[:k], ()) for k in _PREFIX_SIZES):
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


_MOBILE_RE = re.compile(
    r"(?:(?:\+86|0086|86)[ -]?)?"
    r"(?:1[3-9][0-9]{9}|1[3-9][0-9] [0-9]{4} [0-9]{4}|1[3-9][0-9]-[0-9]{4}-[0-9]{4})"
)


def cn_mobile(value: str) -> bool:
    """Whether ``value`` is a mainland mobile number, optionally with a +86/86/0086 prefix.

    The 11 digits start with 13-19 and may be grouped 3-4-4 with spaces or hyphens (one kind).
    Mobile numbers carry no check digit, so the prefix and grouping are the whole check.
    """
    if not isinstance(value, str):
        return False
    return _MOBILE_RE.fullmatch(value.strip()) is not None


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")


def email(value: str) -> bool:
    """Whether ``value`` is an e-mail address in a pragmatic subset of RFC 5322.

    Dot-atom local part (at most 64 characters), a domain of at least two labels ending in an
    alphabetic top-level domain, at most 254 characters in all.
    """
    if not isinstance(value, str):
        return False
    v = value.strip()
    if len(v) > 254:
        return False
    m = _EMAIL_RE.fullmatch(v)
    return m is not None and len(m.group(1)) <= 64


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority -> organisation types it may issue (GB 32100-2015, table 1):
# 1 institutional staffing, 5 civil affairs, 9 industry and commerce, Y others.
_USCC_TYPES = {"1": "1239", "5": "1239", "9": "123", "Y": "1"}
_USCC_RE = re.compile(rf"[{_USCC_CHARS}]{{2}}[0-9]{{6}}[{_USCC_CHARS}]{{10}}")


def uscc_check_char(body: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[-total % 31]


def cn_uscc(value: str) -> bool:
    """Whether ``value`` is an 18-character unified social credit code (GB 32100-2015).

    Checks the charset (upper-case, no I/O/Z/S/V), the authority and type pair, the area
    code's province (``10`` is allowed for national bodies) and the mod-31 check character.
    """
    if not isinstance(value, str):
        return False
    v = value.strip()
    if not _USCC_RE.fullmatch(v) or v[1] not in _USCC_TYPES.get(v[0], ""):
        return False
    if v[2:4] not in _PROVINCES and v[2:4] != "10":
        return False
    return uscc_check_char(v[:17]) == v[17]


_PASSPORT_RE = re.compile(r"E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}|[DSP][0-9]{7}")


def passport(value: str) -> bool:
    """Whether ``value`` is a Chinese passport number (ordinary, diplomatic, service or public).

    Passport numbers carry no public check digit, so this is a strict shape check.
    """
    if not isinstance(value, str):
        return False
    return _PASSPORT_RE.fullmatch(value.strip()) is not None
