"""An id that two rows of a table give, when each row must be its own (a customer matched
against every product, a complaint counted in a summary): the later row is refused at its
row, naming the first, so that ``bad_rows="set_aside"`` sets it aside and keeps the first.

A chunk evaluator keeps ``SeenIds``: ``refuse`` the ids of a chunk it has decided (raising
at the first row whose id an earlier row decided gave), then ``add`` them, so that a chunk
refused leaves the ids seen as they were (a row refused for another reason is no listing:
a later row of its id is then the first).
"""

from __future__ import annotations

from typing import Any

import attrs
import pyarrow as pa

from finpolicy.errors import InputError, InputProblem

__all__ = ["RepeatedId", "SeenIds"]


@attrs.frozen(slots=True)
class RepeatedId(InputProblem):
    """An id given again at a table's row, naming the row it was first given at (``first``,
    counting from 1, as ``line`` is), named as its error names ``line``: rows of a table in
    memory, lines of a file (a CSV file's own: ``csv_lines``, blank lines and line breaks in
    quoted cells counted), each time it is located again. ``noun`` names what the id is of,
    ``why`` why one row each."""

    first: int = 0
    noun: str = "id"
    why: str = ""

    def __attrs_post_init__(self) -> None:
        first, word = self.first, "rows" if self.file in (None, "table") else "lines"
        if self.file is not None and self.file.lower().endswith(".csv"):
            from finpolicy.columnar.csvfiles import csv_lines

            first = csv_lines(self.file, [first])[first]
        object.__setattr__(self, "message", f"{self.noun} `{self.value}` is listed twice "
                           f"({word} {first} and {self.line}): {self.why}")


class SeenIds:
    """The ids of the rows decided so far, with the row of each (counting from 1)."""

    def __init__(self, field: str, noun: str, why: str) -> None:
        self.field, self.noun, self.why = field, noun, why
        self.rows: dict[str, int] = {}

    def refuse(self, ids: pa.Array | pa.ChunkedArray, first_row: int) -> dict[str, int]:
        """The ids of a chunk's rows (``first_row``: the table's rows before it; a null id
        is none), by row, for ``add``; refuse the first row whose id an earlier row gives.

        Raises:
            InputError: ``RepeatedId`` at the later row ("table"), naming the first.
        """
        values = ids.to_pylist()
        fresh = dict(zip(values, range(first_row + 1, first_row + len(values) + 1),
                         strict=True))
        fresh.pop(None, None)
        rows = self.rows
        if len(fresh) == len(values) - values.count(None) and rows.keys().isdisjoint(fresh):
            return fresh  # (the usual book: each id once, found without a loop in Python)
        fresh = {}
        for i, value in enumerate(values):
            if value is None:
                continue
            row = first_row + i + 1
            first = rows.get(value) or fresh.setdefault(value, row)
            if first != row:
                raise InputError([RepeatedId(self.field, "", "duplicate_value", value,
                                             "table", row, first=first, noun=self.noun,
                                             why=self.why)])
        return fresh

    def add(self, fresh: dict[str, Any]) -> None:
        """Count a decided chunk's ids (what ``refuse`` gave) as seen."""
        self.rows.update(fresh)
