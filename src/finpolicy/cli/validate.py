"""``finpolicy validate PATH``."""

from __future__ import annotations

import click

import finpolicy as fp
from finpolicy.cli.common import EXIT_INVALID_POLICY, exit_with
from finpolicy.engines import check_bundle
from finpolicy.errors import PolicyError


@click.command("validate")
@click.argument("path", type=click.Path(file_okay=False))
def validate(path: str) -> None:
    """Validate the bundle in PATH: every problem on its own line as `file:line: path: message`.

    The bundle's rule sets are also built on both engines, so a bundle that validates runs on
    either. Exits 0 when the bundle is valid, 2 otherwise.
    """
    try:
        bundle = fp.load_bundle(path)
        check_bundle(bundle)
    except PolicyError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        click.echo(f"{len(exc.problems)} problem(s) in {path}", err=True)
        exit_with(EXIT_INVALID_POLICY)
    rules = sum(len(rs.rules) for d in bundle.documents for rs in d.policy.rulesets.values())
    click.echo(f"ok: {bundle.name} {bundle.version} — {len(bundle.documents)} documents, "
               f"{rules} rules, digest {bundle.digest[:16]}")


COMMANDS = [validate]
