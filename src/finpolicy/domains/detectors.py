"""Content detectors for Chinese bank data.

Each detector is a pure ``(value: str) -> bool`` that checks structure *and* the check
character where the format has one, so a bare run of digits is never enough. Detectors never
raise: any ``str`` gets an answer and anything else is ``False``. Surrounding whitespace is
ignored; inner whitespace only where the format's usual grouping allows it.

The ``*_in_text`` detectors find an identifier *inside* a value that is not itself one (a
note, a remark: ``客户身份证号11010519491231002X，请回电``), with the same checks, and with no
ASCII letter or digit right before or after it, so a slice of a longer number or code (an
order reference, a credit code) is never taken for one; Chinese text may touch it. A value
the whole-value detector accepts is left to it.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from finpolicy.errors import InputError, InputProblem

__all__ = [
    "DETECTORS",
    "EXACT_PREFILTERS",
    "PREFILTERS",
    "WHOLE_VALUE",
    "Detector",
    "DetectorMatch",
    "bank_card",
    "bank_card_in_text",
    "cn_mobile",
    "cn_mobile_in_text",
    "cn_resident_id",
    "cn_resident_id_in_text",
    "cn_uscc",
    "detect_column",
    "email",
    "email_in_text",
    "identifiers_in_text",
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


# Groups of digits separated by single spaces, as cards are printed.
_CARD_RE = re.compile(r"[0-9]+(?: [0-9]+)*")
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

    Digits may be grouped with single spaces. Length is 16-19, or 15 for Amex.
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


# --- identifiers inside text -----------------------------------------------------------------

# Runs of digit groups (single spaces or hyphens between), an ID's final X kept, with no ASCII
# letter or digit on either side (a code such as a credit code or an order reference holds
# digits too); within a run, the groupings cards and IDs are written in by hand (as the
# decision log's caller-context check reads them) or one group alone.
_RUN_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]+(?:[ -][0-9]+)*[Xx]?(?![0-9A-Za-z])")
_RUN_SEPARATOR = re.compile(r"[ -]")
_CARD_SHAPES = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 1), (4, 4, 4, 4, 2), (4, 4, 4, 4, 3),
                          (4, 6, 5)})
_ID_SHAPES = frozenset({(6, 8, 4)})
_MOBILE_IN_TEXT_RE = re.compile(rf"(?<![0-9A-Za-z])(?:{_MOBILE_RE.pattern})(?![0-9A-Za-z])")
# An address with no address character right before it, so a search starts only at the
# start of a local part (and never rescans one: linear in the text).
_EMAIL_IN_TEXT_RE = re.compile(
    rf"(?<![A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+"
    r"[A-Za-z]{2,63}(?![A-Za-z0-9-])")


def _numbers(text: str, shapes: frozenset[tuple[int, ...]]) -> Iterator[tuple[str, str]]:
    """The numbers written in ``text`` as one group or in one of ``shapes``: the digits (an
    ID's X kept), and the number as written."""
    for run in _RUN_RE.finditer(text):
        groups = _RUN_SEPARATOR.split(run.group())
        ends = list(itertools.accumulate(len(g) + 1 for g in groups))  # past each separator
        for i, group in enumerate(groups):
            start = ends[i] - len(group) - 1
            yield group, group
            for j in range(i + 3, min(len(groups), i + 5) + 1):
                if tuple(map(len, groups[i:j])) in shapes:
                    yield "".join(groups[i:j]), run.group()[start:ends[j - 1] - 1]


def _id_in(text: str) -> str | None:
    return next((written for number, written in _numbers(text, _ID_SHAPES)
                 if len(number) == 18 and cn_resident_id(number)), None)


def _card_in(text: str) -> str | None:
    return next((written for number, written in _numbers(text, _CARD_SHAPES)
                 if 15 <= len(number) <= 19 and number.isdigit() and _card_digits(number)),
                None)


def _mobile_in(text: str) -> str | None:
    return found.group() if (found := _MOBILE_IN_TEXT_RE.search(text)) else None


def _email_in(text: str) -> str | None:
    if "@" not in text:
        return None
    return next((m.group() for m in _EMAIL_IN_TEXT_RE.finditer(text) if email(m.group())),
                None)


# Full-width digits and X, as a Chinese input method in full-width mode types them
_HALF_WIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)},
                             "Ｘ": "X", "ｘ": "x"})

# (full-width digits read, whole-value check, finder, fewest characters) per detector
_IN_TEXT: dict[str, tuple[bool, Callable[[str], bool], Callable[[str], str | None], int]] = {
    "cn_resident_id_in_text": (True, cn_resident_id, _id_in, 18),
    "bank_card_in_text": (True, bank_card, _card_in, 15),
    "cn_mobile_in_text": (True, cn_mobile, _mobile_in, 11),
    "email_in_text": (False, email, _email_in, 6),
}


def _in_text(name: str, value: str) -> bool:
    wide, whole, finder, shortest = _IN_TEXT[name]
    if not isinstance(value, str) or len(value) < shortest:
        return False
    text = value.translate(_HALF_WIDTH) if wide else value
    return not whole(text) and finder(text) is not None


def cn_resident_id_in_text(value: str) -> bool:
    """Whether ``value`` holds a resident ID number (as ``cn_resident_id`` checks it) inside
    other text, written whole or grouped 6-8-4 with spaces or hyphens."""
    return _in_text("cn_resident_id_in_text", value)


def bank_card_in_text(value: str) -> bool:
    """Whether ``value`` holds a payment card number (as ``bank_card`` checks it) inside other
    text, written whole or grouped 4-4-4-4(-1 to 3) or 4-6-5 with spaces or hyphens."""
    return _in_text("bank_card_in_text", value)


def cn_mobile_in_text(value: str) -> bool:
    """Whether ``value`` holds a mainland mobile number (as ``cn_mobile`` reads it) inside
    other text."""
    return _in_text("cn_mobile_in_text", value)


def email_in_text(value: str) -> bool:
    """Whether ``value`` holds an e-mail address (as ``email`` checks it) inside other text."""
    return _in_text("email_in_text", value)


def identifiers_in_text(value: str) -> list[str]:
    """The first identifier each ``*_in_text`` detector finds in ``value``, as written (ASCII
    digits): what a summary of a text too long to keep holds for the detectors to find."""
    found = (finder(value.translate(_HALF_WIDTH) if wide else value)
             for wide, _, finder, _ in _IN_TEXT.values())
    return list(dict.fromkeys(f for f in found if f is not None))


@attrs.frozen(slots=True)
class Detector:
    """A named content detector.

    Attributes:
        name: stable identifier, the key in ``DETECTORS``.
        description: one plain-English sentence for reports.
        check: the pure predicate.
    """

    name: str
    description: str
    check: Callable[[str], bool]


@attrs.frozen(slots=True)
class DetectorMatch:
    """How many non-empty values of a column one detector matched."""

    name: str
    matched: int
    total: int
    share: float


_ALL = (
    Detector("cn_resident_id", "A mainland Chinese resident ID number with a valid check "
             "character.", cn_resident_id),
    Detector("bank_card", "A payment card number with a known issuer prefix and a valid Luhn "
             "check digit.", bank_card),
    Detector("cn_mobile", "A mainland Chinese mobile phone number.", cn_mobile),
    Detector("email", "An e-mail address.", email),
    Detector("cn_uscc", "A Chinese unified social credit code with a valid check character.",
             cn_uscc),
    Detector("passport", "A Chinese passport number.", passport),
    Detector("cn_resident_id_in_text", "A mainland Chinese resident ID number with a valid "
             "check character inside other text (a note or remark).", cn_resident_id_in_text),
    Detector("bank_card_in_text", "A payment card number with a known issuer prefix and a "
             "valid Luhn check digit inside other text.", bank_card_in_text),
    Detector("cn_mobile_in_text", "A mainland Chinese mobile phone number inside other text.",
             cn_mobile_in_text),
    Detector("email_in_text", "An e-mail address inside other text.", email_in_text),
)
DETECTORS: Mapping[str, Detector] = types.MappingProxyType({d.name: d for d in _ALL})


# For each detector, a pattern every value it accepts matches (a necessary condition, never a
# sufficient one): the structure its check starts with, allowing the surrounding whitespace
# the check strips. Run as one RE2 kernel over a column (pyarrow), it leaves the Python check
# (and its check character) to the few values that could pass.
_SPACE = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]*"
_NEEDS = {
    "cn_resident_id": "[0-9]{17}[0-9Xx]",
    "bank_card": "(?:[0-9] ?){14,18}[0-9]",  # _CARD_RE's shape with 15 to 19 digits
    "cn_mobile": _MOBILE_RE.pattern,
    "email": ".*@.*",
    "cn_uscc": "[0-9A-Z]{18}",
    "passport": f"(?:{_PASSPORT_RE.pattern})",
}
_PREFILTER = {name: f"(?s)^{_SPACE}(?:{core}){_SPACE}$" for name, core in _NEEDS.items()}


_D = "0-9０-９"  # a digit, in ASCII or full width (the in-text detectors read both)
_ALNUM = f"{_D}A-Za-z"


def _inside(core: str, word: str = _ALNUM, after: str = _ALNUM) -> str:
    """RE2: ``core`` between no ``word`` and no ``after`` character, with something not an
    ASCII space before or after it (the ``*_in_text`` detectors leave bare values)."""
    return (rf"(?s)(?:\S.*\s|[^\s{word}])(?:{core})(?:[^{after}]|$)"
            rf"|(?:^|[^{word}])(?:{core})(?:\s.*\S|[^\s{after}])")


_EMAIL_WORD = "A-Za-z0-9!#$%&'*+/=?^_`{|}~.-"
_ID_CORE = f"[{_D}]{{6}}[ -]?[{_D}]{{8}}[ -]?[{_D}]{{3}}[{_D}XxＸｘ]"
_ID_GROUPED = f"[{_D}]{{6}}[ -][{_D}]{{8}}[ -][{_D}]{{3}}[{_D}XxＸｘ]"
_MOBILE_CORE = (f"(?:(?:\\+[8８][6６]|[0０][0０][8８][6６]|[8８][6６])[ -]?)?[1１][3-9３-９][{_D}]"
                f"(?:[{_D}]{{8}}|[ -][{_D}]{{4}}[ -][{_D}]{{4}})")
_PREFILTER.update({
    # a value that is only an ID or card number written with separators (which the
    # whole-value check refuses) is one inside text too
    "cn_resident_id_in_text": _inside(_ID_CORE) + f"|(?s)^\\s*{_ID_GROUPED}\\s*$",
    "bank_card_in_text": _inside(f"[{_D}](?:[ -]?[{_D}]){{14,18}}")
    + f"|(?s)^\\s*[{_D} ]*-[{_D} -]*\\s*$",
    "cn_mobile_in_text": _inside(_MOBILE_CORE),
    "email_in_text": _inside(f"[{_EMAIL_WORD}]+@[A-Za-z0-9.-]*[A-Za-z]", _EMAIL_WORD,
                             "A-Za-z0-9-"),
})
WHOLE_VALUE: Mapping[str, str] = types.MappingProxyType(
    {name: name.removesuffix("_in_text") for name in _IN_TEXT})
"""Per ``*_in_text`` detector, the whole-value detector it leaves a value to: a value that
one accepts, the other never does."""
PREFILTERS: Mapping[str, str] = types.MappingProxyType(_PREFILTER)
"""Per detector, an RE2 pattern every value it accepts matches."""
EXACT_PREFILTERS = frozenset({"cn_mobile", "passport"})
"""The detectors whose check is their pattern on the stripped value and nothing more, so the
pattern of ``PREFILTERS`` (the same, around the characters ``str.strip`` removes) decides."""
_PREFILTER_FROM = 256  # fewer values: the kernels' overhead outweighs the checks they spare


def _candidates(texts: list[str | None], names: Sequence[str]) -> dict[str, Iterable[int]]:
    """Per detector, the positions in ``texts`` its check must see: all of them, or with
    pyarrow installed and enough values, those matching the detector's ``_PREFILTER``."""
    every = range(len(texts))
    if len(texts) < _PREFILTER_FROM:
        return dict.fromkeys(names, every)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        array = pa.array(texts, pa.string())
    except Exception:  # no pyarrow, or text Arrow cannot hold (a lone surrogate)
        return dict.fromkeys(names, every)
    return {n: pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(
                array, _PREFILTER[n]), False)).to_pylist() if n in _PREFILTER else every
            for n in names}


def _as_text(value: object) -> str | None:
    # Integers are how spreadsheets and Parquet often store card and phone numbers; bool is
    # an int subclass but never such a number.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def detect_column(
    values: Iterable[object], detector_names: Sequence[str] | None = None
) -> list[DetectorMatch]:
    """Measure which detectors match a column's values.

    Args:
        values: the column; ``None`` and blank strings are ignored. Integers are read as their
            decimal text; other non-string values count as non-matching.
        detector_names: detectors to run; all of ``DETECTORS`` when ``None``.

    Returns:
        One match per detector, sorted by share (descending) then name. ``share`` is 0.0 for a
        column with no non-empty values.

    Raises:
        InputError: a name in ``detector_names`` is not in ``DETECTORS``.
    """
    names = list(DETECTORS) if detector_names is None else list(dict.fromkeys(detector_names))
    unknown = [n for n in names if n not in DETECTORS]
    if unknown:
        raise InputError([
            InputProblem("detector_names", f"unknown detector {n!r}", "unknown_detector", n)
            for n in unknown
        ])
    texts = [_as_text(v) for v in values
             if v is not None and not (isinstance(v, str) and not v.strip())]
    total = len(texts)
    candidates = _candidates(texts, names)
    counts = {n: sum(DETECTORS[n].check(t) for i in candidates[n] if (t := texts[i]) is not None)
              for n in names}
    matches = [DetectorMatch(n, c, total, c / total if total else 0.0) for n, c in counts.items()]
    return sorted(matches, key=lambda m: (-m.share, m.name))
