"""What the classification rules read of each cell, column-wise: a small integer per row.

A record's field has one sample, its cell, so the facts ``field_fact`` derives for it depend
only on the column's name, whether the cell is blank, and which of the policy's detectors
accept it. ``fact_codes`` gives every row that as one integer (0: no value, 1 + a bit per
detector that accepts it), computed once per distinct value: text columns stay in Arrow, one
RE2 kernel per detector (``PREFILTERS``) picks the values that could pass; for mobile and
passport numbers that pattern is the whole check, resident IDs, card numbers, credit codes
and e-mail addresses are checked as arrays (structure, dates, issuer prefixes, check
characters, lengths: the same tests as their detectors, compared value by value in the
tests), identifiers inside text by the detectors themselves. Other types become the row
engine's sample text (``_sample_text``) once per distinct value. Cells the codes cannot
stand for (lists, structures, bytes, non-finite numbers) are marked for the row engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.domains.classification.classify import _sample_text
from finpolicy.domains.detectors import (
    _SPACE,
    DETECTORS,
    EXACT_PREFILTERS,
    PREFILTERS,
    WHOLE_VALUE,
)
from finpolicy.domains.identifiers import (
    _ATOM,
    _EARLIEST_BIRTH,
    _ID_CHECK,
    _ID_WEIGHTS,
    _LABEL,
    _PREFIX_LENGTHS,
    _PROVINCES,
    _USCC_CHARS,
    _USCC_RE,
    _USCC_TYPES,
    _USCC_WEIGHTS,
)
from finpolicy.errors import FinpolicyError

__all__ = ["ROW_ENGINE", "fact_codes"]

ROW_ENGINE = -1
"""The code of a cell the row engine decides."""

Codes = np.ndarray[Any, np.dtype[np.int64]]


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _as_plain(array: pa.Array) -> pa.Array:
    """Text views as plain text (polars hands them out); other arrays as they are."""
    is_view = getattr(pa.types, "is_string_view", None)
    if is_view is not None and is_view(array.type):
        return array.cast(pa.large_string())
    return array


_ID_CORE = f"(?s)^{_SPACE}(?P<id>[0-9]{{17}}[0-9Xx]){_SPACE}$"
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _resident_ids(texts: pa.Array) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``cn_resident_id`` of every value of ``texts`` (each matching its ``PREFILTERS``
    pattern), as arrays: province, a real birth date from 1900 to today, check character."""
    n = len(texts)
    core = pc.struct_field(pc.extract_regex(texts, _ID_CORE), [0])
    lengths = pc.binary_length(core).fill_null(0).to_numpy(zero_copy_only=False)
    if not (lengths == 18).all():  # not what the pattern promises: the check decides
        return np.fromiter((DETECTORS["cn_resident_id"].check(v) for v in texts.to_pylist()),
                           np.bool_, n)
    chars = _fixed(core, 18)
    digits = chars[:, :17].astype(np.int64) - ord("0")
    province = np.isin(digits[:, 0] * 10 + digits[:, 1], [int(p) for p in _PROVINCES])
    ymd = digits[:, 6:14] @ (10 ** np.arange(7, -1, -1, dtype=np.int64))
    year, month, day = ymd // 10_000, ymd // 100 % 100, ymd % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    longest = _DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= longest)
    today = dt.date.today()
    born = (ymd >= int(_EARLIEST_BIRTH.strftime("%Y%m%d"))) & \
        (ymd <= today.year * 10_000 + today.month * 100 + today.day)
    expected = np.frombuffer(_ID_CHECK.encode(), np.uint8)[digits @ np.array(_ID_WEIGHTS) % 11]
    last = np.where(chars[:, 17] == ord("x"), ord("X"), chars[:, 17])
    return np.asarray(province & real & born & (expected == last), np.bool_)


def _prefix_table() -> dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """Per prefix size, the issuer prefixes (sorted, as numbers) and a bit per card length
    each allows."""
    out = {}
    for size in sorted({len(p) for p in _PREFIX_LENGTHS}):
        items = sorted((int(p), sum(1 << n for n in lengths))
                       for p, lengths in _PREFIX_LENGTHS.items() if len(p) == size)
        out[size] = (np.array([p for p, _ in items], np.int64),
                     np.array([m for _, m in items], np.int64))
    return out


_CARD_PREFIXES = _prefix_table()
_CARD_WIDTH = 19


def _fixed(texts: pa.Array, width: int) -> np.ndarray[Any, Any]:
    """ASCII texts all ``width`` long as a matrix of byte values, one row each."""
    plain = texts.cast(pa.large_string())
    offsets = np.frombuffer(plain.buffers()[1], np.int64)[plain.offset:plain.offset + len(plain)
                                                           + 1]
    data = np.frombuffer(plain.buffers()[2], np.uint8)
    return data[offsets[0]:offsets[0] + width * len(plain)].reshape(len(plain), width)


def _bank_cards(texts: pa.Array) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``bank_card`` of every value of ``texts`` (each matching its ``PREFILTERS`` pattern:
    15 to 19 digits, single spaces between, blanks around): issuer prefix and length, Luhn."""
    n = len(texts)
    digits = pc.replace_substring_regex(texts, "[^0-9]", "")
    sizes = pc.utf8_length(digits).to_numpy(zero_copy_only=False).astype(np.int64)
    if not ((sizes >= 15) & (sizes <= _CARD_WIDTH)).all():  # not what the pattern promises
        return np.fromiter((DETECTORS["bank_card"].check(v) for v in texts.to_pylist()),
                           np.bool_, n)
    matrix = _fixed(pc.utf8_lpad(digits, _CARD_WIDTH, "0"), _CARD_WIDTH).astype(np.int64) \
        - ord("0")
    start = _CARD_WIDTH - sizes
    known = np.zeros(n, np.bool_)
    rows = np.arange(n)[:, None]
    for size, (prefixes, lengths) in _CARD_PREFIXES.items():
        at = np.minimum(start[:, None] + np.arange(size), _CARD_WIDTH - 1)
        value = matrix[rows, at] @ (10 ** np.arange(size - 1, -1, -1, dtype=np.int64))
        where = np.minimum(np.searchsorted(prefixes, value), len(prefixes) - 1)
        found = prefixes[where] == value
        known |= found & ((lengths[where] >> sizes) & 1).astype(np.bool_)
    doubled = matrix[:, -2::-2] * 2  # every second digit from the right, the check digit not
    total = matrix[:, ::-2].sum(axis=1) + np.where(doubled > 9, doubled - 9, doubled).sum(axis=1)
    return np.asarray(known & (total % 10 == 0), np.bool_)


_USCC_CORE = f"(?s)^{_SPACE}(?P<code>{_USCC_RE.pattern}){_SPACE}$"
_USCC_VALUES = np.zeros(256, np.int64)
_USCC_VALUES[[ord(c) for c in _USCC_CHARS]] = np.arange(len(_USCC_CHARS))
_USCC_PAIRS = np.zeros((256, 256), np.bool_)
for _authority, _types in _USCC_TYPES.items():
    _USCC_PAIRS[ord(_authority), [ord(t) for t in _types]] = True
_USCC_AREAS = np.isin(np.arange(100), [10, *(int(p) for p in _PROVINCES)])


def _usccs(texts: pa.Array) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``cn_uscc`` of every value of ``texts``, as arrays: the shape (RE2), the authority and
    type pair, the area's province, the mod-31 check character."""
    core = pc.struct_field(pc.extract_regex(texts, _USCC_CORE), [0])
    shaped = np.asarray(core.is_valid().to_numpy(zero_copy_only=False), np.bool_)
    out = np.zeros(len(texts), np.bool_)
    if not shaped.any():
        return out
    chars = _fixed(core.filter(pa.array(shaped)), 18)
    values = _USCC_VALUES[chars]
    pair = _USCC_PAIRS[chars[:, 0], chars[:, 1]]
    area = _USCC_AREAS[(chars[:, 2].astype(np.int64) - ord("0")) * 10 + chars[:, 3] - ord("0")]
    check = (-(values[:, :17] @ np.array(_USCC_WEIGHTS))) % 31 == values[:, 17]
    out[shaped] = pair & area & check
    return out


# the detector's own pattern (one ``@``: the parts are found alike by RE2 and Python's re)
_EMAIL_CORE = (f"(?s)^{_SPACE}(?P<local>{_ATOM}(?:\\.{_ATOM})*)@"
               f"(?P<domain>(?:{_LABEL}\\.)+[A-Za-z]{{2,63}}){_SPACE}$")


def _emails(texts: pa.Array) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """``email`` of every value of ``texts``, as arrays: its pattern (RE2), at most 64
    characters before the ``@`` and 254 in all."""
    parts = pc.extract_regex(texts, _EMAIL_CORE)
    shaped = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), np.bool_)
    local, domain = (pc.utf8_length(pc.struct_field(parts, [i])).fill_null(255)
                     .to_numpy(zero_copy_only=False).astype(np.int64) for i in (0, 1))
    return np.asarray(shaped & (local <= 64) & (local + 1 + domain <= 254), np.bool_)


_VECTOR_CHECKS = {"cn_resident_id": _resident_ids, "bank_card": _bank_cards,
                  "cn_uscc": _usccs, "email": _emails}


def _bits(texts: pa.Array, detectors: Sequence[str]) -> Codes:
    """Per value of ``texts`` (text, no nulls): 0 when blank, else 1 + a bit per detector
    that accepts it, as ``detect_column`` decides it for a one-value column."""
    n = len(texts)
    blank = pc.fill_null(pc.or_(pc.equal(pc.binary_length(texts), 0),
                                pc.utf8_is_space(texts)), True)
    bits = np.zeros(n, np.int64)
    accepted_by: dict[str, Any] = {}
    for bit, name in enumerate(detectors):
        check = DETECTORS[name].check
        pattern = PREFILTERS.get(name)
        if pattern is None:
            positions = np.arange(n)
        else:
            hit = pc.fill_null(pc.match_substring_regex(texts, pattern), False)
            positions = pc.indices_nonzero(hit).to_numpy(zero_copy_only=False)
        whole = accepted_by.get(WHOLE_VALUE.get(name, ""))
        if whole is not None and len(positions):  # what the whole-value check took, it leaves
            positions = positions[~whole[positions]]
        if not len(positions):
            continue
        if name in EXACT_PREFILTERS:
            accepted = np.ones(len(positions), np.bool_)
        elif name in _VECTOR_CHECKS:
            accepted = _VECTOR_CHECKS[name](texts.take(pa.array(positions, pa.int64())))
        else:
            values = texts.take(pa.array(positions, pa.int64())).to_pylist()
            accepted = np.fromiter((check(v) for v in values), np.bool_, len(values))
        bits[positions[accepted]] |= np.int64(1) << np.int64(bit)
        if name in WHOLE_VALUE.values():
            accepted_by[name] = np.zeros(n, np.bool_)
            accepted_by[name][positions[accepted]] = True
    blank_mask = np.asarray(blank.to_numpy(zero_copy_only=False), np.bool_)
    return np.where(blank_mask, 0, bits + 1)


def _encoded(array: pa.Array) -> tuple[np.ndarray[Any, Any], pa.Array] | None:
    """Indices (-1 for null) into the distinct values, or ``None`` for nested values."""
    if pa.types.is_dictionary(array.type):
        encoded = array
    else:
        try:
            encoded = pc.dictionary_encode(array)
        except pa.ArrowNotImplementedError:
            return None
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, encoded.dictionary


def fact_codes(array: pa.Array, detectors: Sequence[str], path: str) -> Codes:
    """Each row's fact code (see the module), ``ROW_ENGINE`` where the row engine decides."""
    array = _as_plain(array)
    found = _encoded(array)
    if found is None:  # lists (a column's samples) and structures: the row engine reads them
        return np.where(array.is_null().to_numpy(zero_copy_only=False), 0, ROW_ENGINE)
    indices, dictionary = found
    dictionary = _as_plain(dictionary)
    if _is_text(dictionary.type) and not dictionary.null_count:
        per_value = _bits(dictionary, detectors)
    else:
        per_value = _values_bits(dictionary.to_pylist(), detectors, path)
    codes = np.zeros(len(indices), np.int64)
    present = indices >= 0
    codes[present] = per_value[indices[present]]
    return codes


def _values_bits(values: list[Any], detectors: Sequence[str], path: str) -> Codes:
    """Codes of Python values through the row engine's own sample text; a value it refuses
    is left to it."""
    texts: list[str] = []
    refused = np.zeros(len(values), np.bool_)
    for i, value in enumerate(values):
        if value is None:
            texts.append("")
            continue
        try:
            texts.append(_sample_text(value, path))
        except FinpolicyError:
            refused[i] = True
            texts.append("")
    codes = _bits(pa.array(texts, pa.string()), detectors) if texts else np.zeros(0, np.int64)
    return np.where(refused, ROW_ENGINE, codes)
