"""From hit matrices to decision columns: the domain's combining rule runs once per distinct
set of matching rules (a book of millions of rows has few), then every row looks its set up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from finpolicy.columnar.tables import first_and_inverse
from finpolicy.rules.model import Rule

__all__ = ["combine_hits", "list_column"]

T = TypeVar("T")


def combine_hits(matrix: np.ndarray[Any, np.dtype[np.bool_]], rules: Sequence[Rule],
                 combine: Callable[[Sequence[Rule]], T]
                 ) -> tuple[list[T], np.ndarray[Any, np.dtype[np.intp]]]:
    """The combined result of each distinct column of ``matrix`` (rules × rows) and, per
    row, the index of its result."""
    n = matrix.shape[1]
    if n == 0:
        return [], np.zeros(0, np.intp)
    if matrix.shape[0] == 0:
        return [combine([])], np.zeros(n, np.intp)
    if matrix.shape[0] <= 63:  # one integer per row: hashed far faster than bytes sorted
        keys = np.zeros(n, np.int64)
        for i, row in enumerate(matrix):
            keys |= row.astype(np.int64) << np.int64(i)
        first, inverse = first_and_inverse(keys, 1 << matrix.shape[0])
    else:
        packed = np.ascontiguousarray(np.packbits(matrix, axis=0).T)
        keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    results = [combine([rules[int(i)] for i in np.flatnonzero(matrix[:, j])]) for j in first]
    return results, inverse.reshape(-1)


def list_column(lists: Sequence[Sequence[str]], which: np.ndarray[Any, Any]) -> pa.Array:
    """``lists[which[i]]`` for every row, as a list array of dictionary-encoded texts: the
    few distinct lists built once, then taken row by row by Arrow."""
    words = sorted({w for item in lists for w in item})
    code = {w: i for i, w in enumerate(words)}
    lengths = np.asarray([len(item) for item in lists], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = np.asarray([code[w] for item in lists for w in item], np.int32)
    values = pa.DictionaryArray.from_arrays(pa.array(flat, pa.int32()),
                                            pa.array(words, pa.string()))
    distinct = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    if not len(lists):
        return pa.array([[] for _ in range(len(which))], distinct.type)
    return distinct.take(pa.array(np.asarray(which, np.int64)))
