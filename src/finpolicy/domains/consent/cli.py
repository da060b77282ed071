"""``finpolicy campaign FILE``: who of a campaign list may be contacted, on which channel, when.

The library does the work (``batch.plan_file``); this module parses options, shows progress
and prints tables.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import attrs
import click
from rich.progress import track
from rich.table import Table

from finpolicy.cli.badrows import Rejects, bad_rows_options
from finpolicy.cli.common import (
    as_of_option,
    bundle_option,
    cell,
    chosen_policies,
    console,
    dump_json,
    engine_option,
    err_console,
    load_engine,
    parse_when,
    policy_option,
    reports_errors,
)
from finpolicy.domains.consent.batch import file_lines, plan_file
from finpolicy.domains.consent.campaign import STATUSES, CampaignReport
from finpolicy.errors import InputError
from finpolicy.outputs import output_file, writing

_STYLE = {"now": "green", "later": "yellow", "never": "red"}
# the campaign's arguments as the command's options (an error names the option as typed)
_OPTIONS = {"purpose": "--purpose", "channels": "--channel", "data_levels": "--data-level",
            "categories": "--category", "as_of": "--as-of", "bad_rows": "--bad-rows"}


def _as_options(exc: InputError) -> InputError:
    """``exc`` with the problems of the campaign's arguments named by their options."""
    return InputError([attrs.evolve(p, path=_OPTIONS[p.path])
                       if p.file is None and p.path in _OPTIONS else p
                       for p in exc.problems], model=exc.model)


def _print(report: CampaignReport, details: bool) -> None:
    if details:
        table = Table(title="Customers")
        for name in ("customer", "status", "channel", "when", "rules"):
            table.add_column(name, overflow="fold")
        for e in report.entries:
            table.add_row(cell(e.customer), f"[{_STYLE[e.status]}]{e.status}[/]",
                          cell(e.channel or "—"),
                          "" if e.at is None else e.at.isoformat(timespec="minutes"),
                          cell(", ".join(e.decision.rule_ids)) if e.decision else "no channel")
        console.print(table)
    counts = report.counts()
    total = len(report.entries) or 1
    summary = Table(title=f"Campaign for {cell(report.purpose)} as of "
                          f"{report.as_of.isoformat(timespec='minutes')} "
                          f"({cell(report.policy.id)} {cell(report.policy.version)})")
    summary.add_column("channel")
    for status in STATUSES:
        summary.add_column(status, justify="right")
    for channel, row in report.by_channel().items():
        summary.add_row(cell(channel), *[str(row[s]) for s in STATUSES])
    summary.add_row("[bold]customers[/]", *[f"{counts[s]} ({counts[s] / total:.0%})"
                                            for s in STATUSES])
    console.print(summary)
    reasons = report.reasons()
    if reasons:
        why = Table(title="Why customers cannot be contacted")
        why.add_column("rule")
        why.add_column("customers", justify="right")
        for rule, n in reasons.items():
            why.add_row(cell(rule), str(n))
        console.print(why)


@click.command("campaign")
@click.argument("campaign_file", metavar="FILE")
@click.option("--purpose", default="marketing", show_default=True,
              help="The campaign's purpose (one of the consent policy's purposes).")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="A channel the campaign uses (repeat; default: each customer's own, or every "
                   "channel of the purpose for a customer without preferences).")
@click.option("--data-level", "data_levels", multiple=True, metavar="LEVEL",
              help="A data level the campaign uses (repeat).")
@click.option("--category", "categories", multiple=True, metavar="NAME",
              help="A data category the campaign uses (repeat).")
@click.option("--personalised", is_flag=True,
              help="The list was drawn by automated decision-making (PIPL Art. 24).")
@as_of_option(help="The campaign's time: an ISO datetime with an offset (default now).",
              metavar="DATETIME")
@click.option("--output", "-o", "output", default=None, metavar="FILE", type=click.Path(),
              help="Write one JSON line per customer to FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--details/--no-details", default=None,
              help="Show one row per customer (default: when there are at most 50).")
@bad_rows_options
@policy_option
@bundle_option
@engine_option
@reports_errors
def campaign(campaign_file: str, purpose: str, channels: tuple[str, ...],
             data_levels: tuple[str, ...], categories: tuple[str, ...], personalised: bool,
             as_of: str | None, output: str | None, as_json: bool, details: bool | None,
             policy_ids: tuple[str, ...], bundle_path: str | None, engine: str,
             rejects: Rejects | None) -> None:
    """Plan a campaign: for every customer in FILE, whether, on which channel and when they
    may be contacted (now, at the next allowed time, or never, with the reason).

    FILE is JSON lines (`{"customer": {...}}`, `{"consent": {...}}`, `{"contact": {...}}` one
    a line) or a JSON/YAML mapping with `customers`, `consents` and `contacts` lists. A
    customer has an `id`, an optional `time_zone`, `channels` in order of preference and an
    optional `birth_date` (a minor's consent counts only when a guardian gave it).
    With --bad-rows FILE (JSON lines only), records refused are set aside to FILE with the
    customers they concern, the others planned (exit 1 when any was set aside).
    """
    if output is not None:
        output_file(output, inputs=(campaign_file,))  # before the work, not after it
    if rejects is not None:
        rejects.check((campaign_file, output))
    policy_engine = load_engine(bundle_path, engine)
    when = parse_when(as_of, aware=True)
    assert when is None or isinstance(when, dt.datetime)  # aware=True parses datetimes
    show = not as_json and err_console.is_terminal
    lines = file_lines(campaign_file) if show else None

    def bar(description: str, total: int | None) -> Any:
        def wrap(rows: Iterable[Any]) -> Iterable[Any]:
            return track(rows, description=description, total=total, console=err_console,
                         transient=True, disable=not show)
        return wrap

    with chosen_policies(policy_engine, policy_ids, "consent") as runtime:
        try:
            report = plan_file(runtime, campaign_file, channels=channels, purpose=purpose,
                               as_of=when, data_levels=data_levels, categories=categories,
                               personalised=personalised, reading=bar("reading", lines),
                               deciding=bar("deciding", None),
                               rejects=None if rejects is None else rejects.records)
        except InputError as exc:
            raise _as_options(exc) from None
    if output is not None:
        with writing(output, inputs=(campaign_file,)) as handle:
            for entry in report.entries:
                handle.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
    if as_json:
        dump_json(report.summary())
    else:
        _print(report, len(report.entries) <= 50 if details is None else details)
    if rejects is not None:
        rejects.finish((campaign_file, output))


COMMANDS = [campaign]
