"""``finpolicy demo``: evaluate the example inputs shipped with a pack and print the decisions."""

from __future__ import annotations

from pathlib import Path

import click

from finpolicy.cli.common import bundle_option, console, engine_option, load_engine, reports_errors
from finpolicy.domains.registry import domain
from finpolicy.errors import InputError
from finpolicy.testing.cases import load_examples


@click.command("demo")
@bundle_option
@engine_option
@reports_errors
def demo(bundle_path: str | None, engine: str) -> None:
    """Evaluate every example in the pack's `examples/` folder and print the decisions."""
    policy_engine = load_engine(bundle_path, engine)
    bundle = policy_engine.bundle
    examples = load_examples(bundle)
    if not examples:
        raise InputError.one(str(Path(bundle.root) / "examples"), "the pack has no examples",
                             "bad_input")
    console.print(f"[bold]{bundle.name} {bundle.version}[/] "
                  f"({engine} engine, digest {bundle.digest[:12]})")
    shown: str | None = None
    for case in examples:
        if case.file != shown:
            console.rule(f"[bold]{case.domain}[/] — {Path(case.file).name}")
            shown = case.file
        console.print(f"[bold cyan]▶ {case.name}[/]")
        found = domain(case.domain)
        for decision in found.evaluate_input(policy_engine.runtime, case.input,
                                             as_of=case.as_of):
            console.print(decision.explain(), markup=False)
        console.print()


COMMANDS = [demo]
