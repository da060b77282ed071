"""``finpolicy docs PACK -o DIR``: a standalone HTML site for a pack
(``finpolicy.docgen.site``); ``--pdf``: its printable edition (``finpolicy.docgen.printed``)."""

from __future__ import annotations

from pathlib import Path

import click

from finpolicy import docgen
from finpolicy.cli.common import cell, console, plural, reports_errors
from finpolicy.docgen.printed import build_pdf
from finpolicy.docgen.site import build_site, heading, project_files, rst_escape
from finpolicy.documents.bundle import Bundle, load_bundle
from finpolicy.errors import FinpolicyError
from finpolicy.outputs import output_file, output_folder

__all__ = ["COMMANDS", "build_site", "heading", "project_files", "rst_escape"]

@click.command("docs")
@click.argument("pack", metavar="PACK")
@click.option("--output", "-o", "output", type=click.Path(),
              help="Folder to write the HTML site to (required for the site); with --pdf, "
                   "the PDF file or a folder for it (default: NAME-VERSION.pdf here).")
@click.option("--pdf", "pdf", is_flag=True,
              help="Write the printable edition (one PDF, the bundle digest on every page) "
                   "instead of the site; needs pip install 'finpolicy[pdf]'.")
@click.option("--no-pictures", is_flag=True,
              help="Leave out the suitability matrix, access matrix and other pictures.")
@click.option("--strict", is_flag=True, help="Fail on any Sphinx warning.")
@reports_errors
def docs(pack: str, output: str | None, pdf: bool, no_pictures: bool, strict: bool) -> None:
    """Build a standalone HTML site for PACK (a folder, a shipped pack name, or `git:REV:PATH`,
    the folder as a git revision holds it), or with --pdf its printable edition.

    One page per policy (metadata, sources, pictures and every rule in plain words) and a
    version history page. Open OUTPUT/index.html in a browser. A description or rule reason
    whose numbers the rules contradict is a warning (an error with --strict).
    """
    if not pdf and output is None:
        raise click.UsageError("Missing option '--output' / '-o' (the folder for the site).")
    if not pdf:
        output_folder(output or "")  # before the build, not after it
    bundle = load_bundle(pack)
    if pdf:
        _printed(bundle, output, pictures=not no_pictures, strict=strict)
        return
    out = Path(output or "")
    # a path or a pack's name may hold `[`: printed as it is, never as markup
    with console.status(f"building the site for {cell(bundle.name)} {cell(bundle.version)}"):
        status, warnings = build_site(bundle, out, pictures=not no_pictures, strict=strict)
    _report(status, warnings)
    pages = len(docgen.policy_groups(bundle))
    console.print(f"wrote {cell(str(out / 'index.html'))} "
                  f"({plural(pages, 'policy', 'policies')}, "
                  f"{plural(len(bundle.documents), 'document')})")


def _report(status: int, warnings: str) -> None:
    if warnings.strip():
        click.echo(warnings.rstrip(), err=True)
    if status != 0:
        raise FinpolicyError(f"sphinx failed with status {status}")


def _printed(bundle: Bundle, output: str | None, *, pictures: bool, strict: bool) -> None:
    name = f"{bundle.name}-{bundle.version}.pdf"
    out = Path(output) if output else Path(name)
    if out.is_dir() or (output is not None and out.suffix.lower() != ".pdf"):
        out = out / name
    output_file(out)  # before the build, not after it
    with console.status(f"setting the printable edition of {cell(bundle.name)} "
                        f"{cell(bundle.version)}"):
        status, warnings = build_pdf(bundle, out, pictures=pictures, strict=strict)
    _report(status, warnings)
    console.print(f"wrote {cell(str(out))} (bundle digest {bundle.digest})")


COMMANDS = [docs]
