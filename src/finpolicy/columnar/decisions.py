"""From hit matrices to decision columns: the domain's combining rule runs once per distinct
set of matching rules (a book of millions of rows has few), then every row looks its set up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from finpolicy.rules.model import Rule

__all__ = ["combine_hits"]

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
    packed = np.packbits(matrix, axis=0).T.copy()  # one row of bytes per fact
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    results = [combine([rules[i] for i in np.flatnonzero(matrix[:, j])]) for j in first]
    return results, inverse.reshape(-1)
