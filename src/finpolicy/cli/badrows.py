"""``--bad-rows FILE``: the commands that read books (``sla``, ``suitability``) set the rows
they refuse aside instead of stopping at the first, and write them to FILE.

Without the option the first row refused stops the command (exit 3), as always. With it,
every other row is decided and reported, the rows refused are written to FILE (CSV for a
``.csv`` name, UTF-8 with a byte-order mark as ``eval -o`` writes one, else JSON lines; the
columns of ``finpolicy.columnar.rejected.REJECT_COLUMNS``: file, row — the input file's own
line —, key, field, code, reason), their count is printed
on standard error, and the command exits 1 when any row was set aside (0 with
``--bad-rows-ok``), so a scheduler sees an incomplete night. An error about no row (an
unreadable file, a missing column) still stops the command, exit 3. FILE is written even when
no row is set aside (a header only), so a nightly job always finds it.

A CSV FILE is opened by clerks in a spreadsheet, and its keys and reasons come from the
input: a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
read as a formula there (CSV injection, ``=HYPERLINK(...)`` in a customer id). Such a cell is
written with a ``'`` before it, as OWASP recommends, and so is one beginning with ``'``, so
that a reader gets the value back by dropping the first ``'`` of any cell that begins with
one. JSON lines are written as given.
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

import click

from finpolicy.cli.common import EXIT_FAILED, err_console, exit_with
from finpolicy.columnar.rejected import REJECT_COLUMNS
from finpolicy.outputs import output_file, writing

__all__ = ["BOM", "FORMULA_STARTS", "Rejects", "bad_rows_options", "spreadsheet_safe"]

F = TypeVar("F", bound=Callable[..., Any])

BOM = "\ufeff"
"""The byte-order mark a CSV FILE begins with, as every CSV finpolicy writes for people does
(``eval -o OUT.csv``): Excel reads a file as UTF-8 only after it, and shows Chinese text
(a customer's name, a reason naming a field) as mojibake without it."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
"""What a CSV cell of FILE may not begin with as given: a spreadsheet reads the first six
as a formula, and ``'`` marks a cell escaped (each is written with a ``'`` before it)."""


def spreadsheet_safe(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with each text that begins with one of ``FORMULA_STARTS`` written with a
    ``'`` before it (a spreadsheet shows it as text)."""
    return {name: "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS)
            else value for name, value in record.items()}


def bad_rows_options(func: F) -> F:
    """``--bad-rows FILE`` and ``--bad-rows-ok``, passed as ``rejects``: a ``Rejects`` (or
    ``None`` without ``--bad-rows``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        path = kwargs.pop("bad_rows_file")
        ok = kwargs.pop("bad_rows_ok")
        if ok and path is None:
            raise click.UsageError("--bad-rows-ok goes with --bad-rows FILE")
        kwargs["rejects"] = None if path is None else Rejects(path, ok=ok)
        return func(*args, **kwargs)

    command = click.option(
        "--bad-rows-ok", "bad_rows_ok", is_flag=True,
        help="With --bad-rows: exit 0 even when rows were set aside (else 1).")(wrapper)
    command = click.option(
        "--bad-rows", "bad_rows_file", default=None, metavar="FILE", type=click.Path(),
        help="Set the rows refused aside, written to FILE (.csv: UTF-8 with a byte-order "
             "mark, for Excel; else JSON lines: file, row, key, field, code, reason), and "
             "decide the others; exit 1 when any was set aside.")(command)
    return cast(F, command)


class Rejects:
    """The rows a command set aside, written to ``path`` when it is done (``finish``)."""

    def __init__(self, path: str, *, ok: bool = False) -> None:
        self.path = path
        self.ok = ok
        self.records: list[dict[str, Any]] = []

    def check(self, inputs: Iterable[str | None]) -> None:
        """Refuse ``path`` before any work when it cannot be written (or is an input)."""
        output_file(self.path, "--bad-rows", inputs=inputs)

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        self.records.extend(records)

    def _sorted(self) -> list[dict[str, Any]]:
        """The records by file and row (a customer set aside with a later record of its
        own comes after it otherwise)."""
        return sorted(self.records, key=lambda r: (str(r["file"]), r["row"] or 0))

    def finish(self, inputs: Iterable[str | None] = ()) -> None:
        """Write the rows set aside, say how many on standard error, and end the command
        with exit 1 when there were any (unless ``ok``)."""
        with writing(self.path, "--bad-rows", inputs=inputs) as out:
            if self.path.lower().endswith(".csv"):
                out.write(BOM)  # as eval -o writes its CSV: Excel reads UTF-8 only after it
                writer = csv.DictWriter(out, fieldnames=list(REJECT_COLUMNS),
                                        lineterminator="\n")
                writer.writeheader()
                writer.writerows(spreadsheet_safe(r) for r in self._sorted())
            else:
                for record in self._sorted():
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count = len(self.records)
        err_console.print(f"{count:,} row(s) set aside, written to {self.path}",
                          markup=False)
        if count and not self.ok:
            exit_with(EXIT_FAILED)
