"""Helpers the subcommands share: loading bundles and input files, reporting errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from rich.console import Console

import finpolicy as fp
from finpolicy.errors import FinpolicyError, InputError, NotInForceError, PolicyError

F = TypeVar("F", bound=Callable[..., Any])

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(func: F) -> F:
    """Turn finpolicy errors into readable messages and exit codes, never tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(2)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(3)
        except NotInForceError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except FinpolicyError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def bundle_option(func: F) -> F:
    return click.option("--bundle", "-b", "bundle_path", default=None, metavar="PATH",
                        help="Bundle folder or shipped pack name (default: cn-banking).")(func)


def engine_option(func: F) -> F:
    return click.option("--engine", "-e", type=click.Choice(["compiled", "durable"]),
                        default="compiled", show_default=True,
                        help="Which engine evaluates the rules.")(func)


def load_engine(bundle_path: str | None, engine: str) -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle(bundle_path), engine=engine)


def read_data(path: str) -> Any:
    """Read a JSON or YAML input file (``-`` for stdin)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([fp.errors.InputProblem(path, f"cannot read: {exc.strerror}")]) from None
    try:
        if path.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError([fp.errors.InputProblem(path, f"not valid JSON or YAML: "
                                                       f"{str(exc).splitlines()[0]}")]) from None


def parse_when(value: str | None, *, aware: bool) -> dt.date | dt.datetime | None:
    """Parse ``--as-of`` / ``--now``: a date, or an ISO datetime with an offset."""
    if value is None:
        return None
    try:
        if aware:
            when = dt.datetime.fromisoformat(value)
            if when.tzinfo is None:
                raise click.BadParameter("needs a time zone offset, e.g. 2026-02-01T09:00+08:00")
            return when
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
