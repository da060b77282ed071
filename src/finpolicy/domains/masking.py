"""Masking of sensitive values on display.

Every masker is a pure ``(value: str) -> str`` that replaces hidden characters with ``*``.
A masked value never equals a non-empty input: an input that already looks masked (so the
usual mask would leave it unchanged) is masked in full, and an input of only ``*`` gains one.
Surrounding whitespace is dropped; a blank value masks to ``""`` except under ``full``.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping

from finpolicy.errors import InputError, InputProblem

__all__ = [
    "MASKS",
    "Masker",
    "card_number",
    "email",
    "full",
    "id_number",
    "mobile",
    "name",
    "partial",
]

Masker = Callable[[str], str]


def _changed(value: str, masked: str) -> str:
    # Guarantees the "never equal to a non-empty input" promise for already-masked inputs.
    if masked != value or not value:
        return masked
    stars = "*" * len(value)
    return stars if stars != value else stars + "*"


def _keep(value: str, keep_first: int, keep_last: int) -> str:
    n = len(value)
    if keep_first + keep_last < n:
        return value[:keep_first] + "*" * (n - keep_first - keep_last) + value[n - keep_last:]
    if keep_last < n:
        return "*" * (n - keep_last) + value[n - keep_last:]
    return "*" * n


def partial(keep_first: int, keep_last: int) -> Masker:
    """Return a masker that keeps ``keep_first`` leading and ``keep_last`` trailing characters.

    When the kept parts would cover the whole value, only the last ``keep_last`` are kept, and
    when even that is the whole value, everything is masked. Length is preserved.

    Raises:
        InputError: either count is negative.
    """
    if keep_first < 0 or keep_last < 0:
        raise InputError([
            InputProblem("partial", "keep_first and keep_last must be non-negative",
                         "invalid_mask", (keep_first, keep_last))
        ])

    def mask(value: str) -> str:
        return _changed(value, _keep(value, keep_first, keep_last))

    return mask


def full(value: str) -> str:
    """Mask every character; the result has the same length, and at least one ``*``."""
    return _changed(value, "*" * max(len(value), 1))


def id_number(value: str) -> str:
    """Mask an identity number, keeping the first 3 and last 4 characters (``110***...002X``).

    The birth date (positions 7-14 of an 18-character ID, 7-12 of an old 15-digit one) is
    always masked; for 15 characters only the last 3 are kept for that reason.
    """
    v = value.strip()
    return _changed(value, _keep(v, 3, 3 if len(v) == 15 else 4))


def _digits(value: str) -> str:
    # Only ASCII digits: display masks must not depend on locale-specific digit forms.
    return "".join(c for c in value if "0" <= c <= "9")


_CARD_SHORTEST = 15  # digits of the shortest payment card number (bank_card's too)


def card_number(value: str) -> str:
    """Mask a card number to its first 6 and last 4 digits, dropping separators.

    Only a number of at least 15 digits (a card number's shortest) keeps its first 6, so at
    least 5 digits stay hidden; a shorter one (a 12-digit account, a mobile number written
    into a card column) keeps only its last 4; a value without digits is fully masked.
    """
    v = value.strip()
    digits = _digits(v)
    if not digits:
        return full(v) if v else ""
    masked = _keep(digits, 6, 4) if len(digits) >= _CARD_SHORTEST else _keep(digits, 0, 4)
    return _changed(value, masked)


def mobile(value: str) -> str:
    """Mask a mobile number to its first 3 and last 4 digits (``138****5678``).

    A ``+86``/``86``/``0086`` country prefix is dropped; other lengths keep the first 3 and
    last 4 digits where that hides something.
    """
    v = value.strip()
    digits = _digits(v)
    if not digits:
        return full(v) if v else ""
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    return _changed(value, _keep(digits, 3, 4))


def name(value: str) -> str:
    """Keep only the first character of a name (``张三丰`` -> ``张**``); one character -> ``*``."""
    v = value.strip()
    masked = "*" if len(v) == 1 else v[:1] + "*" * (len(v) - 1)
    return _changed(value, masked)


def email(value: str) -> str:
    """Mask an e-mail address to the first character of its local part (``z***@bank.cn``).

    A value without ``@`` is fully masked.
    """
    v = value.strip()
    local, at, domain = v.rpartition("@")
    if not at:
        return full(v) if v else ""
    return _changed(value, f"{local[:1]}***@{domain}")


MASKS: Mapping[str, Masker] = types.MappingProxyType({
    "id_number": id_number,
    "card_number": card_number,
    "name": name,
    "mobile": mobile,
    "email": email,
    "full": full,
})
