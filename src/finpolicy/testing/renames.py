"""Variants that swap a value everywhere it occurs in an input: a request's channel together
with the channels its consent names, a purpose together with the consent for it, a role
together with its assignment. Changing one field alone makes such an input contradict itself
(a phone call on a consent naming SMS), so the inputs it reaches are refused for that reason
before the rule under review is ever met."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from finpolicy.testing.samples import Sample, _abstract, _leaves, derive

if TYPE_CHECKING:
    from finpolicy.testing.samples import Vocabulary

__all__ = ["renamed"]

WORDS = 8  # other values tried for each value that occurs more than once


def _replace(data: Any, old: str, new: str) -> Any:
    if isinstance(data, dict):
        return {k: _replace(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_replace(v, old, new) for v in data]
    return new if data == old else data


def renamed(base: Sample, vocab: Vocabulary) -> Iterator[Sample]:
    """``base`` with each text value that occurs more than once replaced, everywhere, by each
    other value its field may take."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, ...]] = {}
    for path, value in _leaves(base.input):
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str):
                counts[v] += 1
                if not isinstance(value, list) and path:
                    first.setdefault(v, _abstract(path))
    for value, path in first.items():
        if counts[value] < 2:
            continue
        for word in [w for w in vocab.values(path) if isinstance(w, str) and w != value][:WORDS]:
            yield derive(base, _replace(base.input, value, word), base.as_of,
                         f"{value!r} → {word!r} throughout")
