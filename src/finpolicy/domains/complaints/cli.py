"""``finpolicy sla FILE --as-of ...``: SLA report for a file of complaints (CSV or JSON
lines)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
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
from finpolicy.cli.recoding import Recoded, encoding_option
from finpolicy.docgen.output import file_name
from finpolicy.domains.complaints.batch import (
    SlaBatch,
    SlaSummary,
    report_file,
)
from finpolicy.domains.complaints.models import STATUSES
from finpolicy.domains.complaints.timeline import milestone_pauses, render_timeline
from finpolicy.domains.complaints.versions import policy_at
from finpolicy.errors import InputError
from finpolicy.outputs import output_file, write_output
from finpolicy.readers import count_lines

_STYLE = {"met": "green", "pending": "blue", "at_risk": "yellow", "breached": "red"}


def _print(summary: SlaSummary, now: str) -> None:
    table = Table(title=f"Complaints by status at {now}")
    table.add_column("status")
    table.add_column("complaints", justify="right")
    table.add_column("share", justify="right")
    total = summary.total or 1
    for name in STATUSES:
        count = summary.status.get(name, 0)
        table.add_row(f"[{_STYLE[name]}]{name}[/]", str(count), f"{count / total:.1%}")
    table.add_row("[bold]total[/]", str(summary.total), "")
    console.print(table)
    by = Table(title="Milestones by status")
    by.add_column("milestone")
    for name in STATUSES:
        by.add_column(f"[{_STYLE[name]}]{name}[/]", justify="right")
    for name, counts in summary.milestones.items():
        by.add_row(name, *(str(counts.get(s, 0)) for s in STATUSES))
    console.print(by)
    for said, count in summary.warnings.most_common():
        console.print(f"[yellow]warning[/] ({count} complaint{'s' * (count != 1)}): "
                      f"{cell(said)}")
    nearest = summary.nearest()
    if nearest:
        near = Table(title="Nearest breach (open milestones)")
        for column in ("complaint", "milestone", "status", "due", "hours left"):
            near.add_column(column, justify="right" if column == "hours left" else "left")
        for entry in nearest:
            near.add_row(cell(entry["complaint"]), entry["milestone"],
                         f"[{_STYLE[entry['status']]}]{entry['status']}[/]",
                         _due_text(entry["due_at"]),
                         f"{entry['hours_left']:.1f}")
        console.print(near)
    overdue = summary.overdue()
    if overdue:
        late = Table(title="Most overdue (open milestones past due)")
        for column in ("complaint", "milestone", "due", "hours overdue"):
            late.add_column(column, justify="right" if column == "hours overdue" else "left")
        for entry in overdue:
            late.add_row(cell(entry["complaint"]), entry["milestone"],
                         _due_text(entry["due_at"]), f"{-entry['hours_left']:.1f}")
        console.print(late)


def _due_text(iso: str) -> str:
    """A due time as the table shows it, with its offset: the report's ``--as-of`` may be
    in another zone than the policy's deadlines (``2025-03-26 23:59 +08:00``)."""
    due = dt.datetime.fromisoformat(iso)
    offset = f"{due:%z}"
    return f"{due:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:5]}"


def timeline_target(complaint_id: str, output: str | None) -> Path:
    """Where ``--timeline`` writes: ``output`` when it names a file; inside ``output`` (or the
    current folder) otherwise, under a file name made from the id that cannot leave that
    folder (``docgen.output.file_name``)."""
    if output is not None and not Path(output).is_dir():
        return Path(output)
    folder = Path(output) if output is not None else Path()
    return folder / file_name(complaint_id, ".svg", default="complaint")


@click.command("sla")
@click.argument("file", metavar="FILE")
@as_of_option(help="The time to report at, ISO with an offset, e.g. 2025-10-10T09:00+08:00.",
              legacy=("--now",), required=True, metavar="DATETIME")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--all", "with_reports", is_flag=True,
              help="With --json: include every complaint's report.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="How many open milestones nearest their due time to list, and how "
                   "many of those past it (the longest overdue first).")
@click.option("--timeline", "timeline_id", default=None, metavar="ID",
              help="Draw complaint ID's milestones as SVG (to -o, default ID.svg here).")
@click.option("--output", "-o", "output", default=None, metavar="FILE.svg|DIR", type=click.Path(),
              help="Where --timeline writes its SVG: a file, or a folder to write ID.svg in.")
@click.option("--events", "events_file", default=None, metavar="FILE", type=click.Path(),
              help="The complaints' events in long form (complaint_id, kind, at, and "
                   "optionally states, approved_by, note), a .parquet or .csv file joined to "
                   "FILE's complaints by id (FILE a .parquet or .csv file).")
@encoding_option
@bad_rows_options
@policy_option
@bundle_option
@engine_option
@reports_errors
def sla(file: str, as_of: str, as_json: bool, with_reports: bool, top: int,
        timeline_id: str | None, output: str | None, events_file: str | None,
        encoding: str | None, policy_ids: tuple[str, ...], bundle_path: str | None, engine: str,
        rejects: Rejects | None) -> None:
    """Report complaint SLAs for every complaint in FILE as of --as-of.

    FILE is JSON lines (one complaint per line: id, received_at, channel, category, severity,
    flags, criteria, events: [{kind, at, states, approved_by}]) or CSV (`.csv`: those columns,
    `flags` separated by `;`, `criteria` as `harm=severe;reach=public`, `events` as
    `kind@time;kind@time`, or one column per event kind holding its time). A CSV cell holds
    only when an event happened: what a letter stated (a decision's basis, remedies...) and
    who approved an extension come in JSON lines or in --events.
    Prints counts by status and milestone, the open milestones nearest breach and most overdue.
    A CSV file is read as UTF-8 unless --encoding says otherwise (gb18030 for an export
    saved on Chinese Windows).
    With --bad-rows FILE, complaints refused (and a complaint listed again) are set aside to
    FILE and the others reported (exit 1 when any was set aside).
    """
    target = None if timeline_id is None else output_file(
        timeline_target(timeline_id, output), inputs=(file, events_file))  # before the work
    recoded = Recoded(encoding)
    recoded.check(file, events_file)
    if rejects is not None:
        rejects.check((file, events_file))
    policy_engine = load_engine(bundle_path, engine)
    now = parse_when(as_of, aware=True)
    assert isinstance(now, dt.datetime)  # --as-of is required and parsed with an offset
    show = not as_json and err_console.is_terminal
    progress = Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err_console, transient=True,
                        disable=not show)
    columnar = _columnar(file) and not with_reports and timeline_id is None
    if events_file is not None and not columnar:
        raise InputError.one("--events", "--events joins a long-form events table to a "
                             ".parquet or .csv FILE of complaints (not with --all or "
                             "--timeline)", "bad_option", events_file)
    with recoded, progress, chosen_policies(policy_engine, policy_ids, "complaints") as runtime:
        task = progress.add_task("sla", total=_rows(file) if show else None)
        book = str(recoded(file))
        if columnar:
            batch = _table_summary(policy_engine, runtime, book, now, top,
                                   lambda rows: progress.advance(task, rows),
                                   recoded(events_file), rejects)
        else:
            batch = report_file(runtime, book, as_of=now, top=top,
                                keep_reports=with_reports, find=timeline_id,
                                progress=lambda done: progress.update(task, completed=done),
                                rejects=None if rejects is None else rejects.records)
        doc = None if batch.found is None else policy_at(  # (the timeline's calendar)
            runtime, batch.found[0].received_at, None, "received_at")
        if rejects is not None:
            rejects.records[:] = [recoded.record(r) for r in rejects.records]
    if target is not None:
        _timeline(target, batch, doc, file, str(timeline_id), as_json)
    _report(batch, now, as_json, with_reports)
    if rejects is not None:
        rejects.finish((file, events_file))


def _timeline(target: Path, batch: SlaBatch, doc: Any, file: str, timeline_id: str,
              as_json: bool) -> None:
    """Write ``--timeline``'s complaint (found in ``batch``, decided by ``doc``) to
    ``target``."""
    if batch.found is None:
        raise InputError.one("--timeline", f"no complaint with id `{timeline_id}` in {file}",
                             "bad_option", timeline_id)
    complaint, report = batch.found
    write_output(target, render_timeline(report, doc.policy.calendar,
                                         received_at=complaint.received_at,
                                         pauses=milestone_pauses(doc.policy, complaint,
                                                                 report)))
    if not as_json:
        err_console.print(f"timeline of {cell(timeline_id)} written to {cell(str(target))}")


def _report(batch: SlaBatch, now: dt.datetime, as_json: bool, with_reports: bool) -> None:
    """The summary (and, with ``--all``, every report) on standard output."""
    if as_json:
        out: dict[str, Any] = {"as_of": now.isoformat(), **batch.summary.to_dict()}
        if with_reports:
            out["reports"] = [r.to_dict() for r in batch.reports]
        dump_json(out)
        return
    _print(batch.summary, now.isoformat())


def _columnar(file: str) -> bool:
    """Parquet always, CSV when the columnar extra is installed: evaluated as tables."""
    lower = file.lower()
    if not lower.endswith((".parquet", ".pq", ".csv")):
        return False
    try:
        import numpy  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        if lower.endswith(".csv"):
            return False
        raise InputError.one("FILE", "reading Parquet needs the columnar extra: pip install "
                             "'finpolicy[columnar]'", "missing_extra", file) from None
    return True


def _rows(file: str) -> int | None:
    if file.lower().endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(file).metadata.num_rows)
        except (OSError, ValueError):
            return None
    return count_lines(file)


def _table_summary(engine: Any, runtime: Any, file: str, now: dt.datetime, top: int,
                   advance: Any, events: str | None, rejects: Rejects | None) -> SlaBatch:
    """The summary of a Parquet or CSV file of complaints (and maybe their events in long
    form), evaluated a chunk at a time on ``engine`` (deciding by ``runtime``'s policies);
    with ``rejects``, the complaints refused or listed again are set aside there."""
    from finpolicy.domains.complaints.columnar_out import summarise

    batch = SlaBatch(SlaSummary(top))
    # a complaint id listed again is refused (or set aside) by the table evaluation itself
    for part in engine.iter_tables("complaints", file, as_of=now, progress=advance,
                                   events=events,
                                   bad_rows="raise" if rejects is None else "set_aside"):
        if rejects is None:
            table = part
        else:
            rejects.add(part.rejected.to_pylist())
            table = part.decided
        # due times are shown in the zone of the policy's calendar, as the reports give them
        zone = policy_at(runtime, now, None, "as_of").policy.calendar.zone
        summarise(batch.summary, table, now, zone)
    return batch


COMMANDS = [sla]
