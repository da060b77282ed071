"""Fact columns: one typed array per field path, with the kind of each row's value.

The condition language compares values of three scalar kinds and is false across kinds (see
``rules.conditions``), so a column keeps, per row, the kind of its value (``MISSING``,
``TEXT``, ``NUMBER``, ``BOOLEAN``, ``LIST`` or ``OTHER``) beside the values: numbers as
float64 (exact within ±2^53, the engines' bound), booleans as bool, texts as codes into a
small table of distinct texts (a rule's ``eq``, ``in`` and ``matches`` are decided once per
distinct text, then looked up). Lists are kept as Python objects.

``needs_row`` marks rows whose value the row engine would refuse or judge in a way the arrays
do not hold (a number beyond ±2^53, a text too long for a pattern): those rows are evaluated
by the row engine, so both give the same decision or the same error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa

from finpolicy.engines.limits import MAX_EXACT_NUMBER
from finpolicy.limits import MAX_ID_LENGTH
from finpolicy.rules.patterns import MAX_MATCH_TEXT

__all__ = ["BOOLEAN", "LIST", "MISSING", "NUMBER", "OTHER", "PLAIN_ID", "TEXT", "Column",
           "decimal_floats"]

MISSING, TEXT, NUMBER, BOOLEAN, LIST, OTHER = 0, 1, 2, 3, 4, 5

# an id that starts and ends with a visible character nothing trims (printable ASCII, Han,
# kana, Hangul syllables) and is no longer than an id may be: the input models keep it as it
# is, so a table takes such ids by one pattern over the column instead of checking each
_SHOWN = r"!-~\p{Han}\p{Hiragana}\p{Katakana}\x{AC00}-\x{D7A3}"
PLAIN_ID = f"^[{_SHOWN}](?:.{{0,{MAX_ID_LENGTH - 2}}}[{_SHOWN}])?$"
_NO_TEXT = -1


def _number_fits(value: float | int) -> bool:
    return -MAX_EXACT_NUMBER <= value <= MAX_EXACT_NUMBER


def _list_fits(items: Sequence[Any]) -> bool:
    for item in items:
        if item.__class__ is not bool and isinstance(item, int | float) and \
                (isinstance(item, int) or math.isfinite(item)) and not _number_fits(item):
            return False
    return True


@attrs.frozen(slots=True, eq=False)
class Column:
    """The values of one field path over ``len(kind)`` rows.

    Attributes:
        kind: per row, one of the kind codes of this module.
        number: float64 values where ``kind == NUMBER``.
        boolean: values where ``kind == BOOLEAN``.
        text: codes into ``texts`` where ``kind == TEXT`` (-1 elsewhere).
        texts: the distinct texts.
        lists: the Python lists where ``kind == LIST`` (object array), or ``None``.
        needs_row: rows to leave to the row engine, or ``None`` when there are none.
    """

    kind: np.ndarray[Any, np.dtype[np.uint8]]
    number: np.ndarray[Any, np.dtype[np.float64]]
    boolean: np.ndarray[Any, np.dtype[np.bool_]]
    text: np.ndarray[Any, np.dtype[np.int32]]
    texts: tuple[str, ...] = ()
    lists: np.ndarray[Any, np.dtype[np.object_]] | None = None
    needs_row: np.ndarray[Any, np.dtype[np.bool_]] | None = None

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def _blank(cls, n: int) -> dict[str, Any]:
        return {"kind": np.zeros(n, np.uint8), "number": np.zeros(n, np.float64),
                "boolean": np.zeros(n, np.bool_), "text": np.full(n, _NO_TEXT, np.int32)}

    @classmethod
    def missing(cls, n: int) -> Column:
        """A column with no value in any row."""
        return cls(**cls._blank(n))

    @classmethod
    def numbers(cls, values: Any, valid: Any = None) -> Column:
        """Numbers (float64-convertible), present where ``valid`` (default: everywhere)."""
        number = np.asarray(values, dtype=np.float64)
        present = np.ones(len(number), np.bool_) if valid is None else np.asarray(valid, bool)
        finite = np.isfinite(number)
        kind = np.where(present, np.where(finite, NUMBER, OTHER), MISSING).astype(np.uint8)
        beyond = present & finite & (np.abs(number) > MAX_EXACT_NUMBER)
        return cls(kind=kind, number=np.where(present & finite, number, 0.0),
                   boolean=np.zeros(len(number), np.bool_),
                   text=np.full(len(number), _NO_TEXT, np.int32),
                   needs_row=beyond if beyond.any() else None)

    @classmethod
    def booleans(cls, values: Any, valid: Any = None) -> Column:
        """Booleans, present where ``valid`` (default: everywhere)."""
        boolean = np.asarray(values, dtype=np.bool_)
        n = len(boolean)
        present = np.ones(n, np.bool_) if valid is None else np.asarray(valid, bool)
        return cls(kind=np.where(present, BOOLEAN, MISSING).astype(np.uint8),
                   number=np.zeros(n, np.float64), boolean=boolean & present,
                   text=np.full(n, _NO_TEXT, np.int32))

    @classmethod
    def coded(cls, codes: Any, texts: Sequence[str]) -> Column:
        """Texts as codes into ``texts``; a negative code is a missing value."""
        text = np.asarray(codes, dtype=np.int32)
        n = len(text)
        present = text >= 0
        long = [len(t) > MAX_MATCH_TEXT for t in texts]
        needs = None
        if any(long):
            needs = present & np.asarray(long, np.bool_)[np.where(present, text, 0)]
        return cls(kind=np.where(present, TEXT, MISSING).astype(np.uint8),
                   number=np.zeros(n, np.float64), boolean=np.zeros(n, np.bool_),
                   text=np.where(present, text, _NO_TEXT).astype(np.int32),
                   texts=tuple(texts), needs_row=needs)

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> Column:
        """A column of arbitrary Python values (``None`` is missing), each row's kind kept."""
        n = len(values)
        out = cls._blank(n)
        kind, number, boolean, text = out["kind"], out["number"], out["boolean"], out["text"]
        needs = np.zeros(n, np.bool_)
        codes: dict[str, int] = {}
        lists: np.ndarray[Any, np.dtype[np.object_]] | None = None
        for i, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool):
                kind[i], boolean[i] = BOOLEAN, value
            elif isinstance(value, str):
                kind[i] = TEXT
                text[i] = codes.setdefault(value, len(codes))
                needs[i] = len(value) > MAX_MATCH_TEXT
            elif isinstance(value, int | float):
                if isinstance(value, float) and not math.isfinite(value):
                    kind[i] = OTHER
                elif _number_fits(value):
                    kind[i], number[i] = NUMBER, float(value)
                else:
                    kind[i], needs[i] = NUMBER, True
            elif isinstance(value, list | tuple):
                kind[i] = LIST
                if lists is None:
                    lists = np.empty(n, dtype=object)
                lists[i] = value
                needs[i] = not _list_fits(value)
            else:
                kind[i] = OTHER
        return cls(kind=kind, number=number, boolean=boolean, text=text, texts=tuple(codes),
                   lists=lists, needs_row=needs if needs.any() else None)

    def take(self, rows: Any) -> Column:
        """The column at ``rows`` (indices or a mask)."""
        return Column(kind=self.kind[rows], number=self.number[rows],
                      boolean=self.boolean[rows], text=self.text[rows], texts=self.texts,
                      lists=None if self.lists is None else self.lists[rows],
                      needs_row=None if self.needs_row is None else self.needs_row[rows])


def decimal_floats(array: pa.Array) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    """The values of a decimal array as floats, each exactly ``float(Decimal)`` (the nearest
    float, as the models read a ``Decimal``): the unscaled integer, exact below 2^53, divided
    by an exact power of ten is rounded once. ``None`` (read one by one) when a value's
    unscaled integer reaches 2^53 or the scale is negative or beyond 22; nulls read as 0."""
    kind = array.type
    if not pa.types.is_decimal(kind) or not 0 <= kind.scale <= 22:
        return None
    n = len(array)
    width = kind.byte_width
    data = array.buffers()[1]
    if data is None:
        return np.zeros(n, np.float64)
    if width < 8:  # decimal32
        ints = np.frombuffer(data, np.int32)[array.offset:array.offset + n].astype(np.int64)
    else:  # little-endian words, lowest first: a value that fits int64 sign-extends it
        words = np.frombuffer(data, np.int64).reshape(-1, width // 8)
        words = words[array.offset:array.offset + n]
        ints = words[:, 0]
        if width > 8 and (words[:, 1:] != (ints >> 63)[:, None]).any(axis=1).any():
            return None
    valid = ~np.asarray(array.is_null().to_numpy(zero_copy_only=False), np.bool_)
    ints = np.where(valid, ints, 0)
    if (np.abs(ints) >= 1 << 53).any():
        return None
    out: np.ndarray[Any, np.dtype[np.float64]] = ints.astype(np.float64) / 10.0 ** kind.scale
    return out
