"""``finpolicy review FILE``: the periodic access review (seed 000 §5.4, seed 002 §2.3)."""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table

from finpolicy.cli.common import (
    EXIT_FAILED,
    as_of_option,
    bundle_option,
    cell,
    console,
    dump_json,
    engine_option,
    exit_with,
    load_engine,
    parse_when,
    reports_errors,
)
from finpolicy.domains.access.inputs import read_review_file
from finpolicy.domains.access.model import AccessReviewReport

_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_RANK = {"high": 0, "medium": 1, "low": 2}


@click.command("review")
@click.argument("input_file", metavar="FILE")
@as_of_option(help="Review time, ISO with offset (default: now).", legacy=("--at",))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--policy", default=None, metavar="ID", help="Access policy id, if several.")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low", "never"]),
              default="never", show_default=True,
              help="Exit 1 when a finding is at least this severe.")
@bundle_option
@engine_option
@reports_errors
def review(input_file: str, as_of: str | None, as_json: bool, policy: str | None, fail_on: str,
           bundle_path: str | None, engine: str) -> None:
    """Review the grants, role assignments and usage records in FILE.

    FILE is JSON or YAML (`{grants: [...], assignments: [...], usage: [...]}`) or JSONL (one
    `{"grant": {...}}`, `{"assignment": {...}}` or `{"usage": {...}}` a line). Reports expired,
    over-long, self-approved and wrongly approved grants, dormant grants (when usage is given),
    separation-of-duties conflicts and the role assignments the policy's role review rules
    flag (role changes without approval, reviews overdue), most severe first.
    """
    when = parse_when(as_of, aware=True, option="--as-of")
    policy_engine = load_engine(bundle_path, engine)
    data = read_review_file(input_file)
    assert when is None or isinstance(when, dt.datetime)  # aware=True parses datetimes only
    result = policy_engine.review_access(data["grants"], data["assignments"], as_of=when,
                                         usage=data["usage"], policy=policy)
    if as_json:
        dump_json(result.to_dict())
    else:
        _print(result)
    if fail_on != "never" and any(_RANK[f.severity] <= _RANK[fail_on]
                                  for f in result.findings):
        exit_with(EXIT_FAILED)


def _print(result: AccessReviewReport) -> None:
    counts = result.by_severity()
    console.print(f"access review as of {result.as_of.isoformat()} — {result.policy.id} "
                  f"{result.policy.version} ({result.engine} engine): "
                  f"{result.grants_reviewed} grants, {result.subjects_reviewed} subjects, "
                  f"{len(result.findings)} findings "
                  f"({', '.join(f'{n} {s}' for s, n in counts.items())})", markup=False)
    if not result.findings:
        return
    table = Table(show_lines=False)
    for column in ("severity", "kind", "grant", "subject", "message"):
        table.add_column(column, overflow="fold")
    for f in result.findings:
        table.add_row(f"[{_STYLE.get(f.severity, '')}]{f.severity}[/]", f.kind,
                      cell(f.grant_id or ""), cell(f.subject_id or ""), cell(f.message))
    console.print(table)


COMMANDS = [review]
