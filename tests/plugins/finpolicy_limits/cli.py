"""``finpolicy limits FILE``: the toy domain's own command."""

from __future__ import annotations

import click

import finpolicy as fp
from finpolicy.cli.common import bundle_option, console, reports_errors
from finpolicy.readers import read_document
from finpolicy_limits.api import LimitsEngine


@click.command("limits")
@click.argument("file")
@bundle_option
@reports_errors
def limits(file: str, bundle_path: str | None) -> None:
    """Check every transaction in FILE (a YAML or JSON list)."""
    # typed: a type checker does not see plug-in methods on fp.PolicyEngine (see .api)
    engine = LimitsEngine(fp.load_bundle(bundle_path), engine="compiled")
    for txn in read_document(file):
        decision = engine.check_limit(txn, as_of="2026-01-05")
        console.print(f"{decision.transaction_id}: {decision.outcome}")


COMMANDS = [limits]
