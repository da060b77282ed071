"""``finpolicy eval DOMAIN FILE``."""

from __future__ import annotations

from typing import Any

import click

from finpolicy.cli.common import (
    EXIT_FAILED,
    as_of_option,
    bundle_option,
    chosen_policies,
    console,
    domain_code,
    dump_json,
    engine_option,
    exit_with,
    load_engine,
    parse_when,
    policy_option,
    reports_errors,
    shown,
)
from finpolicy.domains.registry import domain
from finpolicy.errors import InputError, InputProblem
from finpolicy.readers import read_located
from finpolicy.runtime import Runtime


@click.command("eval")
@click.argument("domain_name", metavar="DOMAIN")
@click.argument("input_file", metavar="FILE")
@as_of_option(help="Evaluation time (ISO): a date, or a datetime with an offset for domains "
                   "that measure time of day (access, complaints, consent). It takes the "
                   "place of an input's own as_of; without it, an input's own counts.")
@click.option("--json", "as_json", is_flag=True, help="Print decisions as JSON.")
@click.option("--why", is_flag=True, help="Explain each decision: the rules in the way of a "
                                          "better outcome and the smallest changes of the "
                                          "input that would give one, each checked.")
@click.option("--trace", is_flag=True, help="With --why: also every rule's condition, "
                                            "evaluated clause by clause.")
@policy_option
@bundle_option
@engine_option
@reports_errors
def evaluate(domain_name: str, input_file: str, as_of: str | None, as_json: bool, why: bool,
             trace: bool, policy_ids: tuple[str, ...], bundle_path: str | None,
             engine: str) -> None:
    """Evaluate the input in FILE (JSON or YAML; one input or a list) in DOMAIN.

    DOMAIN is a registered domain (`finpolicy domains` lists them).

    The input has the shape of the domain's API, e.g. for suitability
    `{customer: {...}, product: {...}, amount: 50000}`.

    Exits 0 when every decision is positive, 1 when any refuses what was asked (outcome
    `deny` or `unsuitable`, or a plug-in domain's own refusals), 2 for an invalid policy, 3
    for an invalid input or option.
    """
    chosen = domain(domain_name)
    policy_engine = load_engine(bundle_path, engine)
    document = read_located(input_file)
    data = document.data
    items = data if isinstance(data, list) else [data]
    if not items:  # exit 0 says every decision is positive: none is not one of them
        raise InputError([InputProblem("", "an empty list: expected an input or a list of "
                                           "inputs to evaluate", "bad_input",
                                       file=input_file, line=1)])
    when = parse_when(as_of, aware=chosen.time == "datetime", moment_ok=True)
    # evaluated first with --why too: an input is refused exactly as without it
    decisions: list[Any] = []
    with chosen_policies(policy_engine, policy_ids, domain_name) as runtime:
        for i, item in enumerate(items):
            try:
                with domain_code(domain_name, "evaluate_input"):
                    decisions += chosen.evaluate_input(runtime, item, as_of=when)
            except InputError as exc:  # named in the file, at the field's line
                raise document.located(exc, (i,) if isinstance(data, list) else ()) from None
    if why or trace:
        with chosen_policies(policy_engine, policy_ids, domain_name) as runtime:
            outcomes = _explain(runtime, domain_name, items, when, as_json=as_json,
                                detail=trace)
    if not (why or trace):
        outcomes = [d.outcome for d in decisions]
        if as_json:
            dump_json([d.to_dict() for d in decisions])
        else:
            for decision in decisions:
                console.print(shown(decision.explain()), markup=False)
                console.print()
    if any(outcome in chosen.refusals for outcome in outcomes):
        exit_with(EXIT_FAILED)


def _explain(runtime: Runtime, domain_name: str, items: list[Any], when: Any, *,
             as_json: bool, detail: bool) -> list[str]:
    """Print the explanations; return the outcomes explained."""
    from finpolicy.explain import explain

    explanations = [explain(runtime, domain_name, item, as_of=when) for item in items]
    if as_json:
        dump_json([x.to_dict(detail=detail) for x in explanations])
    else:
        for explanation in explanations:
            console.print(shown(explanation.text(detail=detail)), markup=False,
                          highlight=False)
            console.print()
    return [x.outcome for x in explanations]


COMMANDS = [evaluate]
