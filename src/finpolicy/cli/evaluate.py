"""``finpolicy eval DOMAIN FILE``."""

from __future__ import annotations

import click

from finpolicy.cli.common import (
    as_of_option,
    bundle_option,
    console,
    dump_json,
    engine_option,
    load_engine,
    parse_when,
    reports_errors,
)
from finpolicy.domains.registry import domain
from finpolicy.readers import read_document


@click.command("eval")
@click.argument("domain_name", metavar="DOMAIN")
@click.argument("input_file", metavar="FILE")
@as_of_option(help="Evaluation time (ISO): a date, or a datetime with an offset for domains "
                   "that measure time of day (access, complaints).")
@click.option("--json", "as_json", is_flag=True, help="Print decisions as JSON.")
@bundle_option
@engine_option
@reports_errors
def evaluate(domain_name: str, input_file: str, as_of: str | None, as_json: bool,
             bundle_path: str | None, engine: str) -> None:
    """Evaluate the input in FILE (JSON or YAML; one input or a list) in DOMAIN.

    DOMAIN is a registered domain (`finpolicy domains` lists them).

    The input has the shape of the domain's API, e.g. for suitability
    `{customer: {...}, product: {...}, amount: 50000}`.
    """
    chosen = domain(domain_name)
    policy_engine = load_engine(bundle_path, engine)
    data = read_document(input_file)
    items = data if isinstance(data, list) else [data]
    when = parse_when(as_of, aware=chosen.time == "datetime")
    decisions = [d for item in items
                 for d in chosen.evaluate_input(policy_engine.runtime, item, as_of=when)]
    if as_json:
        dump_json([d.to_dict() for d in decisions])
    else:
        for decision in decisions:
            console.print(decision.explain(), markup=False)
            console.print()


COMMANDS = [evaluate]
