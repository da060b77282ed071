"""``finpolicy limits FILE``: the toy domain's own command."""

from __future__ import annotations

import click

from finpolicy.cli.common import bundle_option, console, load_engine, reports_errors
from finpolicy.readers import read_document


@click.command("limits")
@click.argument("file")
@bundle_option
@reports_errors
def limits(file: str, bundle_path: str | None) -> None:
    """Check every transaction in FILE (a YAML or JSON list)."""
    engine = load_engine(bundle_path, "compiled")
    for txn in read_document(file):
        decision = engine.check_limit(txn, as_of="2026-01-05")
        console.print(f"{decision.transaction_id}: {decision.outcome}")


COMMANDS = [limits]
