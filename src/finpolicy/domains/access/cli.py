"""``finpolicy review FILE``: the periodic access review (seed 000 §5.4, seed 002 §2.3)."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from finpolicy.cli.badrows import Rejects, bad_rows_options
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
from finpolicy.cli.recoding import Recoded, encoding_option
from finpolicy.domains.access.inputs import read_review_file
from finpolicy.domains.access.model import AccessReviewReport
from finpolicy.domains.access.review import review_time
from finpolicy.domains.access.review_tables import is_table, read_review_tables
from finpolicy.errors import InputError

_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_RANK = {"high": 0, "medium": 1, "low": 2}
_SHOWN = 10  # unmatched grant ids named in the summary


@click.command("review")
@click.argument("input_file", metavar="FILE")
@as_of_option(help="Review time, ISO with offset; a date is its midnight UTC (default: now).",
              legacy=("--at",))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--policy", default=None, metavar="ID", help="Access policy id, if several.")
@click.option("--assignments", "assignments_file", default=None, metavar="TABLE",
              type=click.Path(), help="With a grants table: the role assignments table.")
@click.option("--usage", "usage_file", default=None, metavar="TABLE", type=click.Path(),
              help="With a grants table: the usage records table (finds dormant grants).")
@click.option("--fail-on", type=click.Choice(["high", "medium", "low", "never"]),
              default="never", show_default=True,
              help="Exit 1 when a finding is at least this severe.")
@encoding_option
@bad_rows_options
@bundle_option
@engine_option
@reports_errors
def review(input_file: str, as_of: str | None, as_json: bool, policy: str | None,
           assignments_file: str | None, usage_file: str | None, fail_on: str,
           encoding: str | None, bundle_path: str | None, engine: str,
           rejects: Rejects | None) -> None:
    """Review the grants, role assignments and usage records in FILE.

    FILE is JSON or YAML (`{grants: [...], assignments: [...], usage: [...]}`) or JSONL (one
    `{"grant": {...}}`, `{"assignment": {...}}` or `{"usage": {...}}` a line), or a grants
    table as an IAM system exports it (CSV or Parquet, one grant a row, the columns named by
    its fields, `approver_roles` separated by `;`) with an --assignments table and optionally a
    --usage table of the same kind; an error names its file and line.

    Reports expired, over-long, unapproved, self-approved and wrongly approved grants,
    dormant grants (when usage is given), separation-of-duties conflicts and the role
    assignments the policy's role review rules flag (role changes without a confirmed
    approval, reviews overdue), most severe first. With tables, --bad-rows FILE sets the
    rows refused aside to FILE and reviews the others (exit 1 when any was set aside). A CSV
    table is read as UTF-8 unless --encoding says otherwise (gb18030 for an export saved on
    Chinese Windows).
    """
    # a date is its midnight UTC, as review_access and a review file's as_of read it
    when = review_time(parse_when(as_of, aware=False, moment_ok=True, option="--as-of"))
    policy_engine = load_engine(bundle_path, engine)
    inputs = (input_file, assignments_file, usage_file)
    recoded = Recoded(encoding)
    recoded.check(*inputs)
    if rejects is not None:
        rejects.check(inputs)
    with recoded:
        data = _read(str(recoded(input_file)), recoded(assignments_file),
                     recoded(usage_file), rejects)
        if rejects is not None:
            rejects.records[:] = [recoded.record(r) for r in rejects.records]
    result = policy_engine.review_access(data["grants"], data["assignments"], as_of=when,
                                         usage=data["usage"], policy=policy)
    if as_json:
        dump_json(result.to_dict())
    else:
        _print(result)
    if rejects is not None:
        rejects.finish(inputs)
    if fail_on != "never" and any(_RANK[f.severity] <= _RANK[fail_on]
                                  for f in result.findings):
        exit_with(EXIT_FAILED)


def _read(path: str, assignments: str | None, usage: str | None,
          rejects: Rejects | None) -> dict[str, Any]:
    """The review's records: a review document, or a grants table with its companions (with
    ``rejects``, its rows refused set aside there)."""
    if not is_table(path) and rejects is not None:
        raise InputError.one("--bad-rows", f"--bad-rows goes with a grants table (CSV or "
                                           f"Parquet); {path} is a review document",
                             "bad_option")
    if not is_table(path):
        given = "--assignments" if assignments is not None else "--usage"
        if assignments is not None or usage is not None:
            raise InputError.one(given, f"{given} goes with a grants table (CSV or Parquet); "
                                        f"{path} holds its own", "bad_option")
        return read_review_file(path)
    if assignments is None:
        raise InputError.one("--assignments", f"a grants table ({path}) needs --assignments "
                                              "TABLE: the role assignments that confirm its "
                                              "approvers and are reviewed with it",
                             "bad_option")
    return read_review_tables(path, assignments, usage,
                              None if rejects is None else rejects.records)


def _print(result: AccessReviewReport) -> None:
    counts = result.by_severity()
    console.print(f"access review as of {result.as_of.isoformat()} — {result.policy.id} "
                  f"{result.policy.version} ({result.engine} engine): "
                  f"{result.grants_reviewed} grants, {result.subjects_reviewed} subjects, "
                  f"{len(result.findings)} findings "
                  f"({', '.join(f'{n} {s}' for s, n in counts.items())})", markup=False)
    unmatched = result.unmatched_usage
    if unmatched:
        shown = ", ".join(unmatched[:_SHOWN]) + (", …" if len(unmatched) > _SHOWN else "")
        console.print(f"usage records name {len(unmatched)} grant"
                      f"{'' if len(unmatched) == 1 else 's'} this review was not given "
                      f"({shown}): uses of grants it cannot see (revoked, deleted or kept "
                      "elsewhere); list them to review them", markup=False)
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
