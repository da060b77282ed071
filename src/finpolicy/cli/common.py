"""What the subcommands share: exit codes, options, loading bundles, reporting errors."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, cast

import click
from rich.console import Console
from rich.markup import escape

import finpolicy as fp
from finpolicy.engines import ENGINES
from finpolicy.errors import FinpolicyError, InputError, NotInForceError, PolicyError, one_line

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID_INPUT",
    "EXIT_INVALID_POLICY",
    "EXIT_OK",
    "BadValue",
    "as_of_option",
    "bundle_option",
    "console",
    "dump_json",
    "engine_option",
    "err_console",
    "exit_with",
    "load_engine",
    "parse_when",
    "plural",
    "policy_exit",
    "reports_errors",
    "shown",
]

# The only exit codes finpolicy's CLI uses (documented in `finpolicy --help`).
EXIT_OK = 0
EXIT_FAILED = 1  # a check failed: tests, diff under --fail-on, a denied request …
EXIT_INVALID_POLICY = 2
EXIT_INVALID_INPUT = 3

F = TypeVar("F", bound=Callable[..., Any])
_AS_OF_NAME = "finpolicy.as_of_option"

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def exit_with(code: int) -> NoReturn:
    """End the command with one of the ``EXIT_*`` codes."""
    if code not in (EXIT_OK, EXIT_FAILED, EXIT_INVALID_POLICY, EXIT_INVALID_INPUT):
        raise ValueError(f"not a finpolicy exit code: {code}")
    sys.exit(code)


def reports_errors(func: F) -> F:
    """Turn finpolicy errors into readable messages and exit codes, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            exit_with(policy_exit(exc))
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            exit_with(EXIT_INVALID_INPUT)
        except NotInForceError as exc:  # the time (or policy id) asked for is the input's
            click.echo(f"error: {exc}", err=True)
            exit_with(EXIT_INVALID_INPUT)
        except FinpolicyError as exc:
            click.echo(f"error: {exc}", err=True)
            exit_with(EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


_PATH_CODES = ("no_bundle", "ambiguous_bundle")


def policy_exit(exc: PolicyError) -> int:
    """The exit code of a ``PolicyError``: 2 (invalid policy), but 3 (invalid input) when it
    only says that the path given names no pack, or names two (``no_bundle``,
    ``ambiguous_bundle``)."""
    if exc.problems and all(p.code in _PATH_CODES for p in exc.problems):
        return EXIT_INVALID_INPUT
    return EXIT_INVALID_POLICY


class _BundlePath(click.Path):
    """A bundle folder, a shipped pack's name or ``git:REV:PATH`` (checked before any work;
    a revision's folder is extracted then, once, and refused as ``load_bundle`` refuses it)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        from finpolicy.documents.bundle import shipped_packs
        from finpolicy.documents.git import checkout, is_git_spec

        path = super().convert(value, param, ctx)
        text = str(path)
        if is_git_spec(text):
            try:
                checkout(text)
            except InputError as exc:  # load_bundle's own words
                self.fail(str(exc), param, ctx)
            except PolicyError:  # (a link out of the folder: reported when loaded)
                pass
            return path
        if os.path.isdir(text) or (text and "/" not in text and "\\" not in text
                                   and (shipped_packs() / text).is_dir()):
            return path  # (a name both shipped and a folder here is refused when loaded)
        shipped = sorted(p.name for p in shipped_packs().iterdir()
                         if (p / "bundle.yaml").is_file())
        what = ("an empty name" if not text else f"`{text}`, a file" if os.path.exists(text)
                else f"`{text}`, which does not exist")
        self.fail(f"expected a bundle folder, the name of a shipped pack "
                  f"({', '.join(shipped)}) or git:REV:PATH, got {what}", param, ctx)


def bundle_option(func: F) -> F:
    return click.option("--bundle", "-b", "bundle_path", default=None, metavar="PATH",
                        type=_BundlePath(),
                        help="Bundle folder, shipped pack name or git:REV:PATH (the folder as "
                             "a git revision holds it; default: cn-banking).")(func)


def engine_option(func: F) -> F:
    return click.option("--engine", "-e", type=click.Choice(ENGINES),
                        default="compiled", show_default=True,
                        help="Which engine evaluates the rules.")(func)


def _legacy_key(name: str) -> str:
    return "legacy_" + name.lstrip("-").replace("-", "_")


def as_of_option(*, help: str, legacy: tuple[str, ...] = (), required: bool = False,
                 metavar: str = "DATE|DATETIME") -> Callable[[F], F]:
    """The ``--as-of`` option (the evaluation time, one name across the CLI), with its old
    spellings (``--now``, ``--at``) still accepted, hidden, with a warning."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.get("as_of")
            for name in legacy:
                old = kwargs.pop(_legacy_key(name), None)
                if old is None:
                    continue
                click.echo(f"warning: {name} is deprecated, use --as-of", err=True)
                if value is not None:
                    raise click.UsageError(f"give --as-of or {name}, not both")
                value = old
                # a bad value is reported under the name the user typed
                click.get_current_context().meta[_AS_OF_NAME] = name
            if required and value is None:
                raise click.UsageError("Missing option '--as-of'.")
            kwargs["as_of"] = value
            return func(*args, **kwargs)

        command = cast(F, wrapper)
        for name in legacy:
            command = click.option(name, _legacy_key(name), default=None, hidden=True)(command)
        suffix = "" if not required else " Required."
        return click.option("--as-of", "as_of", default=None, metavar=metavar,
                            help=help + suffix)(command)

    return decorate


def load_engine(bundle_path: str | None, engine: str) -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle(bundle_path), engine=engine)


class BadValue(click.BadParameter):
    """An option's value is invalid: exit 3 (invalid input), like any other bad input."""

    exit_code = EXIT_INVALID_INPUT


def parse_when(value: str | None, *, aware: bool, option: str = "--as-of",
               moment_ok: bool = False) -> dt.date | dt.datetime | None:
    """Parse ``--as-of`` (or the deprecated spelling the user gave): a date, or (``aware``)
    an ISO datetime with an offset; ``moment_ok``: a date or an ISO datetime with an offset
    (for domains that decide by day but take an instant, as their APIs do).

    Raises:
        BadValue: naming the option (exit 3).
    """
    if value is None:
        return None
    context = click.get_current_context(silent=True)
    if context is not None and option == "--as-of":
        option = context.meta.get(_AS_OF_NAME, option)
    try:
        if aware or (moment_ok and len(value) > 10):  # more than a date: an instant
            when = dt.datetime.fromisoformat(value)
            if when.tzinfo is None:
                raise BadValue(f"`{value}` needs a time zone offset, e.g. "
                               "2026-02-01T09:00+08:00", param_hint=option)
            return when
        return dt.date.fromisoformat(value)
    except ValueError:
        expected = "an ISO datetime with an offset" if aware else \
            "an ISO date, or an ISO datetime with an offset" if moment_ok else \
            "an ISO date (YYYY-MM-DD)"
        raise BadValue(f"`{value}` is not {expected}", param_hint=option) from None


def shown(text: str) -> str:
    """``text`` to print on a terminal: its lines kept, and in each the control, format and
    lone surrogate characters an input may hold written as escapes (``\\x1b``, ``\\u202e``),
    so an id such as ``c1\\x1b[1A…`` cannot move the cursor and overwrite what was printed."""
    return "\n".join(one_line(line) for line in text.split("\n"))


def cell(text: str) -> str:
    """An input's text for a rich table cell or markup string: ``shown``, and rich's markup
    escaped (an id such as ``[red]c1`` is printed as it is, not as a colour)."""
    return escape(shown(text))


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 rule``, ``2 rules`` (``nouns`` for an irregular plural)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
