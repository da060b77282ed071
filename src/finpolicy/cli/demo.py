"""``finpolicy demo``: evaluate the example inputs shipped with a pack and print the decisions."""

from __future__ import annotations

from pathlib import Path

import click

from finpolicy.cli.common import (
    bundle_option,
    cell,
    chosen_policies,
    console,
    domain_code,
    engine_option,
    load_engine,
    policy_option,
    reports_errors,
    shown,
)
from finpolicy.documents.git import shown_text
from finpolicy.domains.registry import domain
from finpolicy.errors import InputError
from finpolicy.testing.cases import load_examples


@click.command("demo")
@policy_option
@bundle_option
@engine_option
@reports_errors
def demo(policy_ids: tuple[str, ...], bundle_path: str | None, engine: str) -> None:
    """Evaluate every example in the pack's `examples/` folder and print the decisions."""
    policy_engine = load_engine(bundle_path, engine)
    bundle = policy_engine.bundle
    examples = load_examples(bundle)
    if not examples:
        raise InputError.one(shown_text(str(Path(bundle.root) / "examples")),
                             "the pack has no examples", "bad_input")
    decided = []
    with chosen_policies(policy_engine, policy_ids) as runtime:
        for case in examples:
            with domain_code(case.domain, "evaluate_input"):
                decided.append((case, domain(case.domain).evaluate_input(
                    runtime, case.input, as_of=case.as_of)))
    console.print(f"[bold]{cell(bundle.name)} {cell(bundle.version)}[/] "
                  f"({engine} engine, digest {bundle.digest[:12]})")
    last_file: str | None = None
    for case, decisions in decided:
        if case.file != last_file:
            console.rule(f"[bold]{cell(case.domain)}[/] — {cell(Path(case.file).name)}")
            last_file = case.file
        console.print(f"[bold cyan]▶ {cell(case.name)}[/]")
        for decision in decisions:
            console.print(shown(decision.explain()), markup=False)
        console.print()


COMMANDS = [demo]
