"""``finpolicy docs PACK -o DIR``: a standalone HTML site for a pack
(``finpolicy.docgen.site``)."""

from __future__ import annotations

from pathlib import Path

import click

from finpolicy import docgen
from finpolicy.cli.common import console, reports_errors
from finpolicy.docgen.site import build_site, heading, project_files, rst_escape
from finpolicy.documents.bundle import load_bundle
from finpolicy.errors import FinpolicyError

__all__ = ["COMMANDS", "build_site", "heading", "project_files", "rst_escape"]

@click.command("docs")
@click.argument("pack", metavar="PACK")
@click.option("--output", "-o", "output", required=True, type=click.Path(file_okay=False),
              help="Folder to write the HTML site to.")
@click.option("--no-pictures", is_flag=True,
              help="Leave out the suitability matrix, access matrix and other pictures.")
@click.option("--strict", is_flag=True, help="Fail on any Sphinx warning.")
@reports_errors
def docs(pack: str, output: str, no_pictures: bool, strict: bool) -> None:
    """Build a standalone HTML site for PACK (a folder or a shipped pack name).

    One page per policy (metadata, sources, pictures and every rule in plain words) and a
    version history page. Open OUTPUT/index.html in a browser.
    """
    bundle = load_bundle(pack)
    out = Path(output)
    with console.status(f"building the site for {bundle.name} {bundle.version}"):
        status, warnings = build_site(bundle, out, pictures=not no_pictures, strict=strict)
    if warnings.strip():
        click.echo(warnings.rstrip(), err=True)
    if status != 0:
        raise FinpolicyError(f"sphinx failed with status {status}")
    pages = len(docgen.policy_groups(bundle))
    console.print(f"wrote {out / 'index.html'} ({pages} policies, "
                  f"{len(bundle.documents)} documents)")


COMMANDS = [docs]
