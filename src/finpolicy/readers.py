"""Reading input files: JSON, YAML, JSON lines and CSV, with errors that say where.

Every problem is an ``InputError`` whose problems carry the file and line (``file:line:
message``), never a parser's exception. ``-`` reads standard input. YAML is read with the
safe loader.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from finpolicy.errors import InputError, InputProblem

__all__ = ["count_lines", "iter_csv_rows", "iter_json_lines", "read_document", "read_text"]


def _error(file: str, line: int | None, message: str, code: str = "bad_file") -> InputError:
    return InputError([InputProblem("", message, code, file=file, line=line)])


def read_text(path: str) -> str:
    """The whole text of ``path`` (UTF-8; ``-`` for standard input)."""
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(path, None, f"not UTF-8 text (byte {exc.start})",
                     "unreadable_input") from None
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None


def read_document(path: str) -> Any:
    """One JSON (``.json``) or YAML document (anything else, ``-`` included)."""
    text = read_text(path)
    if path.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _error(path, exc.lineno, f"not valid JSON: {exc.msg}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _error(path, None if mark is None else mark.line + 1,
                     f"not valid YAML: {what}") from None


def iter_json_lines(path: str) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of every non-blank line of a JSON-lines file."""
    try:
        handle = (sys.stdin if path == "-"
                  else Path(path).open(encoding="utf-8-sig"))  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
    with handle:
        number = 0
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise _error(path, number, f"not valid JSON: {exc.msg}") from None
        except UnicodeDecodeError as exc:
            raise _error(path, number + 1, f"not UTF-8 text (byte {exc.start} of the line)",
                         "unreadable_input") from None


def iter_csv_rows(path: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV file with a header row."""
    try:
        handle = Path(path).open(newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            if not reader.fieldnames:
                raise _error(path, 1, "empty CSV: expected a header row")
            for row in reader:
                if None in row:
                    raise _error(path, reader.line_num, "more cells than header columns")
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise _error(path, reader.line_num + 1, f"not UTF-8 text (byte {exc.start})",
                         "unreadable_input") from None
        except csv.Error as exc:
            raise _error(path, reader.line_num, f"not valid CSV: {exc}") from None


def count_lines(path: str) -> int:
    """The number of lines of ``path`` (for progress bars)."""
    try:
        with Path(path).open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError as exc:
        raise _error(path, None, f"cannot read: {exc.strerror or exc}",
                     "unreadable_input") from None
