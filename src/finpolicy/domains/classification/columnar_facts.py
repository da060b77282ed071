"""What the classification rules read of each cell, column-wise: a small integer per row.

A record's field has one sample, its cell, so the facts ``field_fact`` derives for it depend
only on the column's name, whether the cell is blank, and which of the policy's detectors
accept it. ``fact_codes`` gives every row that as one integer (0: no value, 1 + a bit per
detector that accepts it), computed once per distinct value: text columns stay in Arrow, one
RE2 kernel per detector (``PREFILTERS``) picks the few values its Python check must see; other
types become the row engine's sample text (``_sample_text``) once per distinct value. Cells
the codes cannot stand for (lists, structures, bytes, non-finite numbers) are marked for the
row engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finpolicy.domains.classification.classify import _sample_text
from finpolicy.domains.detectors import DETECTORS, PREFILTERS
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


def _bits(texts: pa.Array, detectors: Sequence[str]) -> Codes:
    """Per value of ``texts`` (text, no nulls): 0 when blank, else 1 + a bit per detector
    that accepts it, as ``detect_column`` decides it for a one-value column."""
    n = len(texts)
    blank = pc.fill_null(pc.or_(pc.equal(pc.binary_length(texts), 0),
                                pc.utf8_is_space(texts)), True)
    bits = np.zeros(n, np.int64)
    for bit, name in enumerate(detectors):
        check = DETECTORS[name].check
        pattern = PREFILTERS.get(name)
        if pattern is None:
            positions = np.arange(n)
        else:
            hit = pc.fill_null(pc.match_substring_regex(texts, pattern), False)
            positions = pc.indices_nonzero(hit).to_numpy(zero_copy_only=False)
        if not len(positions):
            continue
        values = texts.take(pa.array(positions, pa.int64())).to_pylist()
        accepted = np.fromiter((check(v) for v in values), np.bool_, len(values))
        bits[positions[accepted]] |= np.int64(1) << np.int64(bit)
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
