"""The ``finpolicy`` command line: one module per subcommand, this module only assembles them."""

from __future__ import annotations

import importlib

import click

from finpolicy import __version__

# Distinct exit codes per outcome (documented in `finpolicy --help` and the CLI docs page).
EXIT_OK = 0
EXIT_FAILED = 1  # e.g. tests failed, diff found changes under --fail-on, a deny
EXIT_INVALID_POLICY = 2
EXIT_INVALID_INPUT = 3

_COMMANDS = ("validate", "evaluate", "demo", "classification", "access", "suitability",
             "complaints", "testing", "docs", "bundle", "audit")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="finpolicy")
def main() -> None:
    """Policy-as-code for banks: validate, evaluate, test, diff and document policy packs.

    Exit codes: 0 success; 1 a check failed (tests, diff under --fail-on, a denied request);
    2 invalid policy; 3 invalid input.
    """


for _name in _COMMANDS:
    try:
        _module = importlib.import_module(f"finpolicy.cli.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"finpolicy.cli.{_name}":
            raise
        continue
    for _command in getattr(_module, "COMMANDS", ()):
        main.add_command(_command)
