"""``finpolicy lint``, ``finpolicy fmt`` and ``finpolicy schema``: tools for policy authors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

import finpolicy as fp
from finpolicy.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID_INPUT,
    dump_json,
    exit_with,
    reports_errors,
)
from finpolicy.cli.validate import PackPath
from finpolicy.errors import InputError
from finpolicy.lint import SEVERITIES, lint_bundle


@click.command("lint")
@click.argument("path", type=PackPath())
@click.option("--fail-on", "fail_on", type=click.Choice(SEVERITIES), default="error",
              show_default=True,
              help="Exit 1 when a finding of this severity or a more severe one is found.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@reports_errors
def lint_command(path: str, fail_on: str, as_json: bool) -> None:
    """Find rules in the pack at PATH that cannot matter.

    Rules whose condition can never hold, rules shadowed by a rule with the same effect and a
    weaker condition, rules that stronger rules always override, cites without an article or
    section, comparisons with values a fact never takes and facts no input carries under the
    policy. Each finding prints as `file:line: severity CODE: rule `id`: message`; a finding
    is silenced by `# finpolicy-lint: ignore[CODE] reason` on its line or its rule's id line.
    Exits 0, or 1 when a finding reaches --fail-on (2 when the pack is invalid).
    """
    bundle = fp.load_bundle(path)
    findings = lint_bundle(bundle)
    if as_json:
        dump_json({"bundle": bundle.name, "findings": [f.as_json() for f in findings]})
    else:
        for finding in findings:
            click.echo(str(finding))
        counts = Counter(f.severity for f in findings)
        summary = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}"
                            for s in SEVERITIES if counts[s])
        click.echo(f"{bundle.name}: {summary or 'no findings'}", err=True)
    limit = [str(s) for s in SEVERITIES].index(fail_on)
    if any(SEVERITIES.index(f.severity) <= limit for f in findings):
        exit_with(EXIT_FAILED)


@click.command("fmt")
@click.argument("paths", nargs=-1)
@click.option("--check", is_flag=True,
              help="Change nothing; list the files that would change and exit 1 if any.")
@click.option("--schemas", "schemas", type=click.Path(file_okay=False), default=None,
              help="Also make each policy file's first line point editors at its schema in "
                   "this folder (see `finpolicy schema -o`).")
@reports_errors
def fmt_command(paths: tuple[str, ...], check: bool, schemas: str | None) -> None:
    """Rewrite policy YAML files in PATHS (files, folders or a shipped pack's name, as
    `finpolicy lint` takes it; default `.`) in one layout. With --check, a path may also be
    `git:REV:PATH`, the folder as a git revision holds it.

    Comments are kept; formatting a formatted file changes nothing. Exits 0, or 1 with
    --check when a file would change (3 when a file cannot be read as YAML or a path names
    nothing).
    """
    from finpolicy.authoring.fmt import FormatError, format_paths
    from finpolicy.documents.git import shown_text

    warnings: list[str] = []
    try:
        changed = format_paths([_existing(p, write=not check) for p in paths or (".",)],
                               write=not check, schemas=schemas, warnings=warnings)
    except FormatError as exc:
        click.echo(f"error: {shown_text(str(exc))}", err=True)
        exit_with(EXIT_INVALID_INPUT)
    for file in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {shown_text(str(file))}")
    for warning in warnings:
        click.echo(f"warning: {shown_text(warning)}", err=True)
    if check and changed:
        exit_with(EXIT_FAILED)


def _existing(path: str, *, write: bool) -> Path:
    """``path`` as a file or folder that exists: a shipped pack's name is its folder, and
    ``git:REV:PATH`` the folder as the revision holds it (to check only: it is read-only)."""
    from finpolicy.documents.git import is_git_spec
    from finpolicy.documents.packpaths import resolve_bundle_path

    if write and is_git_spec(path) and not Path(path).exists():
        raise InputError.one("PATHS", f"`{path}` is a pack as a git revision holds it, "
                                      "read-only: format the folder itself, or check it with "
                                      "--check", "bad_option", path)
    found = Path(path) if Path(path).exists() else resolve_bundle_path(path)
    if not found.exists():
        raise InputError.one("PATHS", f"`{path}` is no file, folder or shipped pack",
                             "unreadable_input", path)
    return found


@click.command("schema")
@click.option("--output", "-o", "output", type=click.Path(file_okay=False), default=None,
              help="Write one `<Kind>.schema.json` per policy kind (and `bundle.schema.json`) "
                   "into this folder instead of printing them.")
@reports_errors
def schema_command(output: str | None) -> None:
    """Print (or write) the JSON Schema of every policy kind, for editors.

    Generated from the kinds' spec models, with their descriptions. Point an editor at one
    with a first line `# yaml-language-server: $schema=<file>` in a policy file.
    """
    from finpolicy.authoring.schema import schemas, write_schemas

    if output is None:
        dump_json(schemas())
        return
    for file in write_schemas(output, option="--output"):
        click.echo(f"wrote {file}")


COMMANDS = [lint_command, fmt_command, schema_command]
