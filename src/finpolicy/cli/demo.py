"""``finpolicy demo``: evaluate the example inputs shipped with a pack and print the decisions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import yaml

from finpolicy.cli.common import bundle_option, console, engine_option, load_engine, reports_errors
from finpolicy.domains import domain_module
from finpolicy.errors import InputError, InputProblem


def _when(value: object) -> dt.date | dt.datetime | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


@click.command("demo")
@bundle_option
@engine_option
@reports_errors
def demo(bundle_path: str | None, engine: str) -> None:
    """Evaluate every example in the pack's `examples/` folder and print the decisions."""
    policy_engine = load_engine(bundle_path, engine)
    root = Path(policy_engine.bundle.root) / "examples"
    files = sorted(root.glob("*.yaml")) if root.is_dir() else []
    if not files:
        raise InputError([InputProblem(str(root), "the pack has no examples")])
    console.print(f"[bold]{policy_engine.bundle.name} {policy_engine.bundle.version}[/] "
                  f"({engine} engine, digest {policy_engine.bundle.digest[:12]})")
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        module = domain_module(data["domain"])
        console.rule(f"[bold]{data['domain']}[/] — {file.name}")
        for case in data["cases"]:
            console.print(f"[bold cyan]▶ {case['name']}[/]")
            for decision in module.evaluate_input(policy_engine, case["input"],
                                                  as_of=_when(case.get("as_of"))):
                console.print(decision.explain(), markup=False)
            console.print()


COMMANDS = [demo]
