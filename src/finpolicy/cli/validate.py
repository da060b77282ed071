"""``finpolicy validate PATH``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from finpolicy.cli.common import (
    EXIT_INVALID_INPUT,
    EXIT_INVALID_POLICY,
    exit_with,
    plural,
    policy_exit,
)
from finpolicy.errors import InputError, PolicyError, Problem, one_line
from finpolicy.validation import validate_pack

__all__ = ["COMMANDS", "PackPath", "validate"]


class PackPath(click.ParamType[str]):
    """A pack folder (a shipped pack's name, ``git:REV:PATH``); a policy file named in its
    place is refused with the folder to give instead."""

    name = "pack"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        path = Path(str(value))
        if path.is_file():
            folder = path.parent.as_posix() if path.parent != Path() else "."
            self.fail(f"`{value}` is a file; give the pack folder that holds it (`{folder}`): "
                      "a pack is checked as a whole", param, ctx)
        return str(value)


@click.command("validate")
@click.argument("path", type=PackPath())
def validate(path: str) -> None:
    """Validate the pack in PATH: every problem on its own line as `file:line: path: message`.

    PATH is a pack folder, a shipped pack's name, or `git:REV:PATH` (the folder as a git
    revision holds it; its files are named `REV:PATH/file`).

    One run reports every problem: schema and semantic problems of each document (a document
    with a schema error is still checked as far as it can be), declared vocabularies, rule
    sets either engine cannot build, and checks across the pack's policies (an access policy
    must require a grant for every level its classification policy says needs approval).
    Exits 0 when the pack is valid, 2 otherwise.
    """
    try:
        report = validate_pack(path)
    except PolicyError as exc:  # no pack at PATH
        _fail(exc.problems, path)
    except InputError as exc:  # a git revision or path git cannot find
        click.echo(f"error: {exc}", err=True)
        exit_with(EXIT_INVALID_INPUT)
    bundle = report.bundle
    if report.problems or bundle is None:
        _fail(report.problems, path)
    click.echo(one_line(f"ok: {bundle.name} {bundle.version} — "  # the name is the pack's
                        f"{plural(len(bundle.documents), 'document')}, "
                        f"{plural(report.rules, 'rule')}, digest {bundle.digest[:16]}"))


def _fail(problems: Sequence[Problem], path: str) -> NoReturn:
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{plural(len(problems), 'problem')} in {path}", err=True)
    exit_with(policy_exit(PolicyError(problems)) if problems else EXIT_INVALID_POLICY)


COMMANDS = [validate]
