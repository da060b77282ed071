"""Which detectors could accept a value: the detectors' RE2 pre-filters, all in one pass.

Each detector has an RE2 pattern every value it accepts matches (``detectors.PREFILTERS``, a
necessary condition, never a sufficient one). ``PrefilterSet`` matches all of them against
one value at once (an RE2 set: one linear-time pass over the value's UTF-8), so a column's
Python checks, and their check characters, run only for the detectors that could accept each
value: a name or a remark with no long digit run costs that one pass instead of a check per
detector. ``column_candidates`` does the same for a whole column, one pyarrow RE2 kernel per
detector. Either answers "every detector" whenever it cannot tell, so it never drops a value
a check would accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import re2  # type: ignore[import-untyped]

__all__ = ["PrefilterSet", "column_candidates"]


def _options() -> Any:
    options = re2.Options()  # UTF-8, as pyarrow's kernels read the same patterns
    options.never_capture = True
    options.log_errors = False
    return options


class PrefilterSet:
    """Named RE2 patterns searched for in one text in a single pass.

    ``candidates(text)`` gives the names of the patterns found in ``text``, or ``None`` when
    the set cannot tell (see there).
    """

    __slots__ = ("_names", "_sentinel", "_set")

    def __init__(self, patterns: Mapping[str, str]) -> None:
        self._set = re2._re2.Set(re2._re2.RE2.Anchor.UNANCHORED, _options())
        names: list[str] = []
        for name, pattern in patterns.items():
            if self._set.Add(pattern.encode("utf-8")) != len(names):
                raise ValueError(f"the pre-filter of `{name}` is no RE2 pattern: {pattern!r}")
            names.append(name)
        self._names = tuple(names)
        # RE2's set matcher answers "no match" when its automaton runs out of memory; a
        # pattern found in every text tells a real "none" from that failure
        self._sentinel = self._set.Add(b"(?s).*")
        if not self._set.Compile():
            raise ValueError("the pre-filters are too large to match together")

    def candidates(self, text: str) -> frozenset[str] | None:
        """The names of the patterns found in ``text``; ``None`` when the set cannot tell:
        ``text`` is no UTF-8 (it holds a lone surrogate, which Arrow cannot hold either), or
        RE2 ran out of memory on it."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        found: list[int] = self._set.Match(data)
        if self._sentinel not in found:
            return None
        return frozenset(self._names[i] for i in found if i != self._sentinel)


def column_candidates(texts: list[str | None], names: Sequence[str],
                      patterns: Mapping[str, str]) -> dict[str, Iterable[int]] | None:
    """Per name, the positions in ``texts`` whose value matches its pattern in ``patterns``
    (every position for a name without one), by one pyarrow RE2 kernel per name; ``None``
    without pyarrow, or for text Arrow cannot hold (a lone surrogate)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        array = pa.array(texts, pa.string())
    except Exception:
        return None
    every = range(len(texts))
    return {n: pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(
                array, patterns[n]), False)).to_pylist() if n in patterns else every
            for n in names}
