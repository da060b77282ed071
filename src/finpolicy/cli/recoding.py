"""``--encoding NAME`` of the commands that read CSV books (``sla``, ``suitability``), as
``eval`` has it: an export saved on Chinese Windows is GB18030 (GBK), where finpolicy reads
CSV as UTF-8.

Each CSV file the command reads is copied as UTF-8, line for line
(``finpolicy.readers.recode_csv``), to a folder removed when the command ends, and read in its
place; what names a file (an error, a row set aside) names the file given, at its own line.
Without the option a file that is not UTF-8 is refused at its line, naming the option.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import attrs
import click

from finpolicy.cli.params import ENCODING
from finpolicy.errors import InputError
from finpolicy.readers import recode_csv

__all__ = ["Recoded", "encoding_option"]

F = TypeVar("F", bound=Callable[..., Any])

_HINT = "; or give --encoding gb18030 for an export saved on Chinese Windows (GBK)"


def encoding_option(func: F) -> F:
    """``--encoding NAME``, passed as ``encoding`` (``None`` without it)."""
    return click.option(
        "--encoding", type=ENCODING, default=None, metavar="NAME",
        help="For CSV files: their encoding (default UTF-8, with or without a byte-order "
             "mark); gb18030 or gbk for an export saved on Chinese Windows.")(func)


class Recoded:
    """The CSV files a command reads, as UTF-8 copies when ``encoding`` is another; used as
    a context manager around the command's work, which it ends by removing the copies and
    by naming the files given in an ``InputError`` raised inside it."""

    def __init__(self, encoding: str | None) -> None:
        self.encoding = encoding
        self.copies: dict[str, str] = {}  # a copy's path: the file given
        self._stack = contextlib.ExitStack()
        self._folder: str | None = None

    def __enter__(self) -> Recoded:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()
        if isinstance(exc, InputError):
            raise self.named(exc) from None

    def check(self, *paths: str | None) -> None:
        """Refuse ``--encoding`` before any work when none of ``paths`` is a CSV file."""
        given = [p for p in paths if p is not None]
        if self.encoding is not None and not any(p.lower().endswith(".csv") for p in given):
            raise InputError.one("--encoding", f"--encoding is for CSV files (.csv), and "
                                 f"{', '.join(f'`{p}`' for p in given)} "
                                 f"{'is' if len(given) == 1 else 'are'} not", "bad_option",
                                 self.encoding)

    def __call__(self, path: str | None) -> str | None:
        """The file to read for ``path``: a UTF-8 copy of it when it is a CSV file and
        ``encoding`` is another; else ``path``.

        Raises:
            InputError: ``path`` is not text in the encoding, or not valid CSV, at its line.
        """
        if path is None or self.encoding in (None, "utf-8-sig") \
                or not path.lower().endswith(".csv"):
            return path
        if self._folder is None:
            self._folder = self._stack.enter_context(
                tempfile.TemporaryDirectory(prefix="finpolicy-"))
        target = os.path.join(self._folder, f"{len(self.copies)}-{os.path.basename(path)}")
        recode_csv(path, target, encoding=str(self.encoding), delimiter=",")
        self.copies[target] = path
        return target

    def named(self, exc: InputError) -> InputError:
        """``exc`` naming the files given where it names their copies; without
        ``--encoding``, a file that is not UTF-8 is told the option to give."""
        problems = []
        for p in exc.problems:
            message = p.message
            for copy, given in self.copies.items():
                message = message.replace(copy, given)
            if self.encoding is None and "not UTF-8 text" in message \
                    and (p.file or "").lower().endswith(".csv") and _HINT not in message:
                message += _HINT
            problems.append(attrs.evolve(
                p, message=message, file=self.copies.get(p.file or "", p.file),
                value=self.copies.get(p.value, p.value) if isinstance(p.value, str)
                else p.value))
        return InputError(problems, model=exc.model)

    def record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A row set aside, naming the file given rather than its copy."""
        file = record.get("file")
        if isinstance(file, str) and file in self.copies:
            return {**record, "file": self.copies[file]}
        return record
