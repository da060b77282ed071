"""Checks every command's options get, whoever wrote the command: applied once to each command
as the ``finpolicy`` group adds it (``harden``), so a new option is covered without a word.

- A text option (click's plain string type) must be text: a terminal passes bytes that are
  not UTF-8 (``--signer $'\\xff'``) as lone surrogates, which fail wherever the value is
  written or encoded later (a signature file, an encoding name, a JSON report). Paths are
  not text options: an option or argument naming a file has click's ``Path`` type (a file
  name may hold such bytes), and arguments are left alone.
- A number option of click's float types must be finite: ``nan`` passes every range check
  (``--min-coverage nan`` turned the coverage check off) and ``inf`` none makes sense.

Both are usage errors naming the option (exit 3, see ``finpolicy.cli``).
"""

from __future__ import annotations

import codecs
import math
from typing import Any

import click

__all__ = ["COLUMN", "DELIMITER", "ENCODING", "harden", "not_text"]


def not_text(value: str) -> str | None:
    """Why ``value`` is no text (it holds bytes that are not UTF-8), or ``None``."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
        return f"`{shown}` is not text: it holds bytes that are not UTF-8"
    return None


class _Text(click.types.StringParamType):
    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        converted = super().convert(value, param, ctx)
        why = not_text(converted) if isinstance(converted, str) else None
        if why is not None:
            self.fail(why, param, ctx)
        return converted


def _finite(value: Any, kind: click.ParamType[Any], param: click.Parameter | None,
            ctx: click.Context | None) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        kind.fail(f"{value} is not a finite number", param, ctx)
    return value


class _FiniteFloat(click.types.FloatParamType):
    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        return _finite(super().convert(value, param, ctx), self, param, ctx)


class _FiniteFloatRange(click.FloatRange):
    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        # checked first: a range would clamp inf to its bound or let nan through
        _finite(click.FLOAT.convert(value, param, ctx), self, param, ctx)
        return super().convert(value, param, ctx)


class _Encoding(click.ParamType[str]):
    """A text encoding Python knows (``gb18030``, ``gbk``, ``utf-8``), by its own name."""

    name = "encoding"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            name = codecs.lookup(value).name
        except (LookupError, ValueError):
            self.fail(f"unknown encoding `{value}`; e.g. gb18030 or gbk (a Chinese Windows "
                      "export), utf-8", param, ctx)
        return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


class _Delimiter(click.ParamType[str]):
    """The one character separating a CSV file's cells (``tab`` or ``\\t`` for a tab)."""

    name = "delimiter"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        found = {"tab": "\t", "\\t": "\t"}.get(value, value)
        if len(found) != 1 or found in "\"\r\n":
            self.fail(f"`{value}` is not one character other than a quote or a line break, "
                      "such as `,`, `;`, `|` or tab", param, ctx)
        return found


class _Column(click.ParamType[tuple[str, str]]):
    """``NAME=FIELD``: a file's column NAME read as FIELD, as a ``(name, field)`` pair."""

    name = "column"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        name, _, field = str(value).rpartition("=")
        if not name or not field.strip():
            self.fail(f"`{value}`: expected NAME=FIELD, the column's name in the file and "
                      "the field it holds, e.g. 客户号=customer.id", param, ctx)
        return name, field.strip()


ENCODING = _Encoding()
DELIMITER = _Delimiter()
COLUMN = _Column()


def _checked(param: click.Parameter) -> click.ParamType[Any] | None:
    """The checking type for ``param``, or ``None`` to keep its own."""
    kind = param.type
    if type(kind) is click.types.StringParamType and isinstance(param, click.Option):
        return _Text()
    if type(kind) is click.FloatRange:
        return _FiniteFloatRange(kind.min, kind.max, min_open=kind.min_open,
                                 max_open=kind.max_open, clamp=kind.clamp)
    if type(kind) is click.types.FloatParamType:
        return _FiniteFloat()
    return None


def harden(command: click.Command) -> click.Command:
    """``command`` (and every command of a group) with the checks above on its options."""
    for param in command.params:
        checked = _checked(param)
        if checked is not None:
            param.type = checked
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            harden(sub)
    return command
