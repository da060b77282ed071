"""``finpolicy domains``: the registered domains (built in and plug-ins)."""

from __future__ import annotations

import click
from rich.table import Table

from finpolicy.cli.common import console, dump_json, reports_errors
from finpolicy.domains.registry import domains


@click.command("domains")
@click.option("--json", "as_json", is_flag=True, help="Print the domains as JSON.")
@reports_errors
def list_domains(as_json: bool) -> None:
    """List the registered domains: their policy kinds, engine methods and commands."""
    rows = [{"name": d.name, "title": d.title, "package": d.package,
             "kinds": [k.name for k in d.kinds], "methods": sorted(d.operations),
             "commands": sorted(c.name or "" for c in d.commands())} for d in domains()]
    if as_json:
        dump_json(rows)
        return
    table = Table(title="Registered domains")
    for column in ("domain", "policy kinds", "engine methods", "commands", "package"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["name"]), ", ".join(row["kinds"]), ", ".join(row["methods"]),
                      ", ".join(row["commands"]), str(row["package"]))
    console.print(table)


COMMANDS = [list_domains]
