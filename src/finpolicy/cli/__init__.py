"""The ``finpolicy`` command line: one module per subcommand, this module only assembles them
(the generic commands here, and each registered domain's own, ``Domain.cli``)."""

from __future__ import annotations

import importlib

import click

from finpolicy import __version__
from finpolicy.cli.common import EXIT_FAILED, EXIT_INVALID_INPUT, EXIT_INVALID_POLICY, EXIT_OK
from finpolicy.domains.registry import domains

__all__ = ["EXIT_FAILED", "EXIT_INVALID_INPUT", "EXIT_INVALID_POLICY", "EXIT_OK", "main"]

_COMMANDS = ("validate", "evaluate", "demo", "testing", "docs")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="finpolicy")
def main() -> None:
    """Policy-as-code for banks: validate, evaluate, test, diff and document policy packs.

    Exit codes: 0 success; 1 a check failed (tests, diff under --fail-on, a denied request);
    2 invalid policy; 3 invalid input.
    """


for _name in _COMMANDS:
    for _command in importlib.import_module(f"finpolicy.cli.{_name}").COMMANDS:
        main.add_command(_command)
for _domain in domains():
    for _command in _domain.commands():
        main.add_command(_command)
