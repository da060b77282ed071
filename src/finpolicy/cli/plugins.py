"""``finpolicy domains``: the registered domains (built in and plug-ins)."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from finpolicy.cli.common import console, dump_json, reports_errors
from finpolicy.domains.base import Domain
from finpolicy.domains.registry import domains


def _row(d: Domain) -> dict[str, Any]:
    """What ``finpolicy domains`` says of one domain: besides its parts, the engine methods the
    decision log leaves out and those ``finpolicy serve`` does not serve (a plug-in's method
    given no ``LoggedCall`` or ``Call``), and how each kind combines its rules."""
    return {"name": d.name, "title": d.title, "package": d.package,
            "kinds": [k.name for k in d.kinds], "methods": sorted(d.operations),
            "unlogged": sorted(set(d.operations) - set(d.logged)),
            "unserved": sorted(set(d.operations) - set(d.calls)),
            "combining": {k.name: k.combining for k in d.kinds},
            "commands": sorted(c.name or "" for c in d.commands())}


@click.command("domains")
@click.option("--json", "as_json", is_flag=True, help="Print the domains as JSON.")
@reports_errors
def list_domains(as_json: bool) -> None:
    """List the registered domains: their policy kinds, engine methods (those the decision log
    does not record or the service does not serve marked) and commands."""
    rows = [_row(d) for d in domains()]
    if as_json:
        dump_json(rows)
        return
    table = Table(title="Registered domains")
    for column in ("domain", "policy kinds", "engine methods", "commands", "package"):
        table.add_column(column, overflow="fold")
    for row in rows:
        methods = [m + "".join(mark for mark, key in (("¹", "unlogged"), ("²", "unserved"))
                               if m in row[key]) for m in row["methods"]]
        table.add_row(str(row["name"]), ", ".join(row["kinds"]), ", ".join(methods),
                      ", ".join(row["commands"]), str(row["package"]))
    console.print(table)
    if any(row["unlogged"] or row["unserved"] for row in rows):
        console.print("¹ not recorded by a decision log (no LoggedCall in Domain.logged); "
                      "² not served by `finpolicy serve` (no Call in Domain.calls)")


COMMANDS = [list_domains]
