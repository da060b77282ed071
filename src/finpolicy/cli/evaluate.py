"""``finpolicy eval DOMAIN FILE``."""

from __future__ import annotations

import click

from finpolicy.cli.common import (
    bundle_option,
    console,
    dump_json,
    engine_option,
    load_engine,
    parse_when,
    read_data,
    reports_errors,
)
from finpolicy.domains import DOMAINS, domain_module


@click.command("eval")
@click.argument("domain", type=click.Choice(DOMAINS))
@click.argument("input_file", metavar="FILE")
@click.option("--as-of", "as_of", default=None, metavar="DATE|DATETIME",
              help="Evaluation date (ISO); a datetime with offset for access and complaints.")
@click.option("--json", "as_json", is_flag=True, help="Print decisions as JSON.")
@bundle_option
@engine_option
@reports_errors
def evaluate(domain: str, input_file: str, as_of: str | None, as_json: bool,
             bundle_path: str | None, engine: str) -> None:
    """Evaluate the input in FILE (JSON or YAML; one input or a list) in DOMAIN.

    The input has the shape of the domain's API, e.g. for suitability
    `{customer: {...}, product: {...}, amount: 50000}`.
    """
    policy_engine = load_engine(bundle_path, engine)
    data = read_data(input_file)
    items = data if isinstance(data, list) else [data]
    when = parse_when(as_of, aware=domain in ("access", "complaints"))
    module = domain_module(domain)
    decisions = [d for item in items for d in module.evaluate_input(policy_engine, item,
                                                                    as_of=when)]
    if as_json:
        dump_json([d.to_dict() for d in decisions])
    else:
        for decision in decisions:
            console.print(decision.explain(), markup=False)
            console.print()


COMMANDS = [evaluate]
