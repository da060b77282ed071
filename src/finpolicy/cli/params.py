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

import math
from typing import Any

import click

__all__ = ["harden", "not_text"]


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
