"""The ``finpolicy`` command line: one module per subcommand, this module only assembles them
(the generic commands here, and each registered domain's own, ``Domain.cli``, found when the
command line is used, so a broken plug-in is reported as an error, not a traceback). Each
command's options are checked as ``finpolicy.cli.params`` says, and every usage error exits 3."""

from __future__ import annotations

import importlib
import warnings
from typing import Any, TextIO

import click

from finpolicy import __version__
from finpolicy.cli.common import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_INVALID_POLICY, EXIT_OK
from finpolicy.cli.params import harden
from finpolicy.domains.registry import DomainError, domains

__all__ = ["EXIT_FAILED", "EXIT_INVALID_INPUT", "EXIT_INVALID_POLICY", "EXIT_OK", "main"]

_COMMANDS = ("validate", "evaluate", "demo", "testing", "docs", "plugins", "bundle", "audit",
             "serve",
             "authoring")


class _Broken(click.ClickException):
    exit_code = EXIT_INVALID_POLICY


def _invalid_input(exc: click.UsageError) -> None:
    """Make a usage error exit 3 (click's class says 2)."""
    setattr(exc, "exit_code", EXIT_INVALID_INPUT)  # noqa: B010 (an instance's, not the class's)


class _Group(click.Group):
    """Adds the registered domains' commands the first time commands are looked up, and makes
    every usage error exit 3 (invalid input), not click's 2, which means an invalid policy here:
    an unknown command or option, a missing argument or option, a bad option value — in this
    group's own arguments or in any command's below it."""

    _domains_added = False

    def _add_domains(self) -> None:
        if self._domains_added:
            return
        self._domains_added = True
        try:
            commands = [c for domain in domains() for c in domain.commands()]
        except DomainError as exc:
            raise _Broken(str(exc)) from None
        for command in commands:
            self.add_command(command)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(harden(cmd), name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_domains()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._add_domains()
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            _invalid_input(exc)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():  # (restores Python's own way after the command)
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except click.UsageError as exc:  # parsing a command's arguments, or raised by it
                _invalid_input(exc)
                raise


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """A warning as a command line user reads it: ``warning: ...`` on standard error, without
    the Python file, line and source Python's own way shows."""
    click.echo(f"warning: {message}", err=True)


@click.group(cls=_Group,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="finpolicy")
def main() -> None:
    """Policy-as-code for banks: validate, evaluate, test, diff and document policy packs.

    Exit codes: 0 success; 1 a check failed (tests, diff under --fail-on, a denied request,
    an outcome eval --fail-on names); 2 invalid policy; 3 invalid input (a bad file, a bad
    option value, a usage error).
    """


for _name in _COMMANDS:
    for _command in importlib.import_module(f"finpolicy.cli.{_name}").COMMANDS:
        main.add_command(_command)
