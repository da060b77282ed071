"""Content detectors for Chinese bank data.

Each detector is a pure ``(value: str) -> bool`` that checks structure *and* the check
character where the format has one, so a bare run of digits is never enough. Detectors never
raise: any ``str`` gets an answer and anything else is ``False``. Surrounding whitespace is
ignored; inner whitespace only where the format's usual grouping allows it. The whole-value
checks live in ``finpolicy.domains.identifiers`` and are exported here too.

The ``*_in_text`` detectors find an identifier *inside* a value that is not itself one (a
note, a remark: ``客户身份证号11010519491231002X，请回电``), with the same checks, and with no
ASCII letter or digit right before or after it, so a slice of a longer number or code (an
order reference, a credit code) is never taken for one; Chinese text may touch it. A value
the whole-value detector accepts is left to it.
"""

from __future__ import annotations

import itertools
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from finpolicy.domains.candidates import PrefilterSet, column_candidates
from finpolicy.domains.identifiers import (
    _ATOM,
    _LABEL,
    _MOBILE_RE,
    _PASSPORT_RE,
    _card_digits,
    bank_card,
    cn_mobile,
    cn_resident_id,
    cn_uscc,
    email,
    luhn_check_digit,
    passport,
    resident_id_check_char,
    uscc_check_char,
)
from finpolicy.errors import InputError, InputProblem

__all__ = [
    "DETECTORS",
    "EXACT_PREFILTERS",
    "PREFILTERS",
    "WHOLE_VALUE",
    "Detector",
    "DetectorMatch",
    "accepting",
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
    # what the whole-value check takes as written is its; a value it refuses only for its
    # full-width digits (a bare ID typed in full width) is found here, as inside text
    text = value.translate(_HALF_WIDTH) if wide else value
    return not whole(value) and finder(text) is not None


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
# the check strips. Searched for in each value all at once (candidates.PrefilterSet), or as
# one RE2 kernel per detector over a column (pyarrow), it leaves the Python check (and its
# check character) to the few values that could pass.
_SPACE = "[" + "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace()) + "]*"
_NEEDS = {
    "cn_resident_id": "[0-9]{17}[0-9Xx]",
    "bank_card": "[0-9]{15,19}|[0-9]{4}(?: [0-9]{4}){3}(?: [0-9]{1,3})?|[0-9]{4} [0-9]{6} "
                 "[0-9]{5}",  # _CARD_RE's shapes with 15 to 19 digits
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
# a value that is only digits (and an X, separators, a +) with one typed in full width, which
# the whole-value checks (ASCII only) refuse
_FULL_WIDTH_BARE = f"|(?s)^\\s*[{_D}XxＸｘ +-]*[０-９Ｘｘ][{_D}XxＸｘ +-]*\\s*$"
_PREFILTER.update({
    # a value that is only an ID or card number written with separators (which the
    # whole-value check refuses) is one inside text too
    "cn_resident_id_in_text": _inside(_ID_CORE) + f"|(?s)^\\s*{_ID_GROUPED}\\s*$"
    + _FULL_WIDTH_BARE,
    "bank_card_in_text": _inside(f"[{_D}](?:[ -]?[{_D}]){{14,18}}")
    + f"|(?s)^\\s*[{_D} ]*-[{_D} -]*\\s*$" + _FULL_WIDTH_BARE,
    "cn_mobile_in_text": _inside(_MOBILE_CORE) + _FULL_WIDTH_BARE,
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
_PREFILTER_SET = PrefilterSet(_PREFILTER)  # (every detector has a pre-filter)


def _counts(texts: list[str | None], names: Sequence[str]) -> dict[str, int]:
    """Per detector, how many of ``texts`` its check accepts; the check sees only the values
    matching its ``_PREFILTER`` (one RE2 pass per value, or with pyarrow and enough values
    one kernel per detector over the column), or every value when a pass cannot tell."""
    columns = (column_candidates(texts, names, _PREFILTER)
               if len(texts) >= _PREFILTER_FROM else None)
    if columns is not None:
        return {n: sum(DETECTORS[n].check(t) for i in at if (t := texts[i]) is not None)
                for n, at in columns.items()}
    counts = dict.fromkeys(names, 0)
    for text in filter(None, texts):
        for n in accepting(text, names):
            counts[n] += 1
    return counts


def accepting(text: str, names: Sequence[str]) -> tuple[str, ...]:
    """The names among ``names`` (each a key of ``DETECTORS``) of the detectors that accept
    ``text``, in the order of ``names``, as their checks decide; the checks run only for the
    detectors whose pre-filter (``PREFILTERS``) ``text`` matches, all found in one RE2 pass."""
    could = _PREFILTER_SET.candidates(text)
    return tuple(n for n in names if (could is None or n in could) and DETECTORS[n].check(text))


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
    counts = _counts(texts, names) if texts else dict.fromkeys(names, 0)
    return _matches(counts, total)


_MATCHES: dict[tuple[tuple[str, ...], tuple[int, ...], int], tuple[DetectorMatch, ...]] = {}


def _matches(counts: dict[str, int], total: int) -> list[DetectorMatch]:
    """One match per detector of ``counts``, sorted by share (descending) then name; made
    once per outcome (frozen values: a field's few samples give the same ones again)."""
    key = (tuple(counts), tuple(counts.values()), total)
    found = _MATCHES.get(key)
    if found is None:
        if len(_MATCHES) >= 4096:
            _MATCHES.clear()
        made = (DetectorMatch(n, c, total, c / total if total else 0.0)
                for n, c in counts.items())
        found = _MATCHES[key] = tuple(sorted(made, key=lambda m: (-m.share, m.name)))
    return list(found)
