"""``finpolicy sla FILE --now ...``: SLA report for a file of complaints (CSV or JSON lines)."""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from finpolicy.cli.common import (
    bundle_option,
    console,
    dump_json,
    engine_option,
    err_console,
    load_engine,
    parse_when,
    reports_errors,
)
from finpolicy.errors import InputError, InputProblem

_STYLE = {"met": "green", "pending": "blue", "at_risk": "yellow", "breached": "red"}
_STATUSES = ("met", "pending", "at_risk", "breached")
_BASE = ("id", "received_at", "channel", "category", "severity", "flags", "events")
_CHUNK = 2000


def _split(cell: str) -> list[str]:
    return [v.strip() for v in cell.replace("|", ";").split(";") if v.strip()]


def _csv_complaint(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a complaint mapping.

    Columns ``id, received_at, channel, category, severity, flags`` (flags separated by ``;``);
    ``events`` holds ``kind@time`` items separated by ``;``; any other column is an event kind
    whose cell holds its time(s). Empty cells are absent.
    """
    out: dict[str, Any] = {}
    events: list[dict[str, str]] = []
    for column, cell in row.items():
        value = (cell or "").strip()
        if not value:
            continue
        if column == "flags":
            out["flags"] = _split(value)
        elif column == "events":
            for item in _split(value):
                kind, sep, at = item.partition("@")
                if not sep:
                    raise InputError([InputProblem("events", f"expected kind@time, got "
                                                             f"`{item}`", "bad_event", item)])
                events.append({"kind": kind.strip(), "at": at.strip()})
        elif column in _BASE:
            out[column] = value
        else:
            events.extend({"kind": column, "at": at} for at in _split(value))
    if events:
        out["events"] = events
    return out


def _records(path: str) -> Iterator[tuple[int, Any]]:
    """``(line number, complaint mapping)`` from a CSV file or a JSON-lines file."""
    file = Path(path)
    try:
        handle = file.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([InputProblem(path, f"cannot read: {exc.strerror}")]) from None
    with handle:
        if file.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise InputError([InputProblem(path, "empty CSV: expected a header row")])
            for row in reader:
                if None in row:
                    raise InputError([InputProblem(f"{path} line {reader.line_num}",
                                                   "more cells than header columns")])
                try:
                    yield reader.line_num, _csv_complaint(row)
                except InputError as exc:
                    raise _at_line(f"{path} line {reader.line_num}", exc) from None
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError([InputProblem(f"{path} line {number}",
                                               f"not valid JSON: {exc.msg}")]) from None


def _count_lines(path: str) -> int:
    with Path(path).open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _at_line(where: str, exc: InputError) -> InputError:
    return InputError([InputProblem(f"{where}: {p.path}" if p.path else where, p.message,
                                    p.code, p.value) for p in exc.problems], model=exc.model)


class Summary:
    """Counts by overall status and by milestone × status, and the open milestones nearest
    their due time (kept in a bounded heap, so memory stays flat over big files)."""

    def __init__(self, top: int) -> None:
        self.total = 0
        self.status: Counter[str] = Counter()
        self.milestones: dict[str, Counter[str]] = {}
        self.top = top
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = 0

    def add(self, report: Any) -> None:
        self.total += 1
        self.status[report.outcome] += 1
        now = report.as_of
        for m in report.milestones:
            counts = self.milestones.get(m.name)
            if counts is None:
                counts = self.milestones[m.name] = Counter()
            counts[m.status] += 1
            if m.completed_at is None and m.due_at is not None and m.status != "breached":
                left = (m.due_at - now).total_seconds()
                self._seq += 1
                item = (-left, self._seq, {"complaint": report.complaint_id,
                                           "milestone": m.name, "status": m.status,
                                           "due_at": m.due_at.isoformat(),
                                           "hours_left": round(left / 3600, 2)})
                if len(self._heap) < self.top:
                    heapq.heappush(self._heap, item)
                elif item[0] > self._heap[0][0]:
                    heapq.heapreplace(self._heap, item)

    def nearest(self) -> list[dict[str, Any]]:
        return [entry for _, _, entry in sorted(self._heap, key=lambda i: (-i[0], i[1]))]

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total,
                "status": {s: self.status.get(s, 0) for s in _STATUSES},
                "milestones": {name: {s: c.get(s, 0) for s in _STATUSES}
                               for name, c in self.milestones.items()},
                "nearest_breach": self.nearest()}


def _print(summary: Summary, now: str) -> None:
    table = Table(title=f"Complaints by status at {now}")
    table.add_column("status")
    table.add_column("complaints", justify="right")
    table.add_column("share", justify="right")
    total = summary.total or 1
    for name in _STATUSES:
        count = summary.status.get(name, 0)
        table.add_row(f"[{_STYLE[name]}]{name}[/]", str(count), f"{count / total:.1%}")
    table.add_row("[bold]total[/]", str(summary.total), "")
    console.print(table)
    by = Table(title="Milestones by status")
    by.add_column("milestone")
    for name in _STATUSES:
        by.add_column(f"[{_STYLE[name]}]{name}[/]", justify="right")
    for name, counts in summary.milestones.items():
        by.add_row(name, *(str(counts.get(s, 0)) for s in _STATUSES))
    console.print(by)
    nearest = summary.nearest()
    if nearest:
        near = Table(title="Nearest breach (open milestones)")
        for column in ("complaint", "milestone", "status", "due", "hours left"):
            near.add_column(column, justify="right" if column == "hours left" else "left")
        for entry in nearest:
            near.add_row(entry["complaint"], entry["milestone"],
                         f"[{_STYLE[entry['status']]}]{entry['status']}[/]",
                         entry["due_at"][:16].replace("T", " "),
                         f"{entry['hours_left']:.1f}")
        console.print(near)


@click.command("sla")
@click.argument("file", metavar="FILE")
@click.option("--now", "now_text", required=True, metavar="DATETIME",
              help="The time to report at, ISO with an offset, e.g. 2025-10-10T09:00+08:00.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--all", "with_reports", is_flag=True,
              help="With --json: include every complaint's report.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, 1000),
              help="How many open milestones nearest their due time to list.")
@click.option("--timeline", "timeline_id", default=None, metavar="ID",
              help="Draw complaint ID's milestones as SVG (to -o, default ID.svg).")
@click.option("--output", "-o", "output", default=None, metavar="FILE.svg",
              help="Where --timeline writes its SVG.")
@bundle_option
@engine_option
@reports_errors
def sla(file: str, now_text: str, as_json: bool, with_reports: bool, top: int,
        timeline_id: str | None, output: str | None, bundle_path: str | None,
        engine: str) -> None:
    """Report complaint SLAs for every complaint in FILE at --now.

    FILE is JSON lines (one complaint per line: id, received_at, channel, category, severity,
    flags, events: [{kind, at}]) or CSV (`.csv`: those columns, `flags` separated by `;`,
    `events` as `kind@time;kind@time`, or one column per event kind holding its time).
    Prints counts by status and by milestone and the open milestones nearest breach.
    """
    from finpolicy.domains.complaints import Complaint, complaint_sla_batch
    from finpolicy.domains.complaints.timeline import render_timeline

    policy_engine = load_engine(bundle_path, engine)
    now = parse_when(now_text, aware=True)
    assert isinstance(now, dt.datetime)  # --now is required and parsed with an offset
    summary = Summary(top)
    reports: list[Any] = []
    found: tuple[Any, Any] | None = None
    show = not as_json and err_console.is_terminal
    progress = Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err_console, transient=True,
                        disable=not show)
    with progress:
        task = progress.add_task("sla", total=_count_lines(file) if show else None)
        batch: list[tuple[int, Any]] = []

        def flush() -> None:
            nonlocal found
            complaints = []
            for line, data in batch:
                try:
                    complaints.append(Complaint.parse(data, field=""))
                except InputError as exc:
                    raise _at_line(f"{file} line {line}", exc) from None
            try:
                results = complaint_sla_batch(policy_engine, complaints, now=now)
            except InputError as exc:
                # name the line, not the position inside the chunk
                problem = exc.problems[0]
                parts = problem.path.split(".", 2)
                if len(parts) < 2 or not parts[1].isdigit():
                    raise
                index, rest = int(parts[1]), (parts[2] if len(parts) > 2 else "")
                raise InputError([InputProblem(f"{file} line {batch[index][0]}: {rest}",
                                               problem.message, problem.code,
                                               problem.value)]) from None
            for complaint, report in zip(complaints, results, strict=True):
                summary.add(report)
                if with_reports:
                    reports.append(report.to_dict())
                if timeline_id is not None and complaint.id == timeline_id:
                    found = (complaint, report)
            progress.advance(task, len(batch))
            batch.clear()

        for line, data in _records(file):
            batch.append((line, data))
            if len(batch) >= _CHUNK:
                flush()
        if batch:
            flush()
    if timeline_id is not None:
        if found is None:
            raise InputError([InputProblem("--timeline", f"no complaint with id `{timeline_id}` "
                                                         f"in {file}", value=timeline_id)])
        complaint, report = found
        doc = policy_engine.policy("ComplaintPolicy", complaint.received_at.date())
        target = Path(output or f"{timeline_id}.svg")
        target.write_text(render_timeline(report, doc.policy.calendar,  # type: ignore[attr-defined]
                                          received_at=complaint.received_at), encoding="utf-8")
        if not as_json:
            err_console.print(f"timeline of {timeline_id} written to {target}")
    if as_json:
        out: dict[str, Any] = {"now": now.isoformat(), **summary.to_dict()}
        if with_reports:
            out["reports"] = reports
        dump_json(out)
        return
    _print(summary, now.isoformat())


COMMANDS = [sla]
