"""Complaint files and SLA reports over them: read CSV or JSON lines, evaluate in chunks,
summarise (``finpolicy sla`` prints what ``report_file`` returns)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from typing import Any

import attrs

from finpolicy.domains.complaints.evaluate import complaint_sla_batch
from finpolicy.domains.complaints.models import STATUSES, Complaint, SlaDecision
from finpolicy.errors import InputError, InputProblem, NotInForceError
from finpolicy.readers import iter_csv_rows, iter_json_lines
from finpolicy.runtime import Runtime

__all__ = ["SlaBatch", "SlaSummary", "event_column", "read_complaints", "report_file"]

_BASE = ("id", "received_at", "channel", "category", "severity", "flags", "events")
CHUNK = 2000


def _split(cell: str) -> list[str]:
    return [v.strip() for v in cell.replace("|", ";").split(";") if v.strip()]


def _csv_complaint(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a complaint mapping.

    Columns ``id, received_at, channel, category, severity, flags`` (flags separated by ``;``);
    ``criteria`` holds ``criterion=level`` items separated by ``;``; ``events`` holds
    ``kind@time`` items separated by ``;``; any other column is an event kind whose cell holds
    its time(s). Empty cells are absent.
    """
    out: dict[str, Any] = {}
    events: list[dict[str, str]] = []
    for column, cell in row.items():
        value = (cell or "").strip()
        if not value:
            continue
        if column == "flags":
            out["flags"] = _split(value)
        elif column == "criteria":
            out["criteria"] = _criteria(value)
        elif column == "events":
            for item in _split(value):
                kind, sep, at = item.partition("@")
                if not sep:
                    raise InputError.one("events", f"expected kind@time, got `{item}`",
                                         "bad_event", item)
                events.append({"kind": kind.strip(), "at": at.strip()})
        elif column in _BASE:
            out[column] = value
        else:
            events.extend({"kind": column, "at": at} for at in _split(value))
    if events:
        out["events"] = events
    return out


def _criteria(cell: str) -> dict[str, str]:
    """``harm=severe;reach=public`` as the grading criteria it states."""
    out: dict[str, str] = {}
    for item in _split(cell):
        name, sep, level = item.partition("=")
        if not sep or not name.strip() or not level.strip():
            raise InputError.one("criteria", f"expected criterion=level items separated by "
                                 f"`;`, got `{item}`", "bad_input", item)
        out[name.strip()] = level.strip()
    return out


_EVENT_COLUMN = ("a column that is no field of a complaint holds the times of the event kind "
                 "it is named after")


def event_column(problem: InputProblem, data: Any, columns: Collection[str]
                 ) -> InputProblem:
    """``problem``, when it is about an event that came from an event-kind column (one of
    ``columns``), placed at that column: ``events.0.at`` named neither the column nor why
    its cells must be times."""
    head, _, rest = problem.path.partition(".")
    number, _, _ = rest.partition(".")
    events = data.get("events") if isinstance(data, dict) else None
    if head != "events" or not number.isdecimal() or not isinstance(events, list) \
            or int(number) >= len(events) or not isinstance(events[int(number)], dict):
        return problem
    kind = events[int(number)].get("kind")
    if kind not in columns or kind in _BASE:
        return problem
    if problem.code in ("before_receipt", "early_start", "early_completion"):
        return attrs.evolve(problem, path=kind)  # a time, but too early: no need to say why
    return attrs.evolve(problem, path=kind, message=f"{problem.message} ({_EVENT_COLUMN})")


def read_complaints(path: str) -> Iterator[tuple[int, Any]]:
    """``(line, complaint mapping)`` from a CSV (``.csv``) or JSON-lines file."""
    for line, data, _ in _read(path):
        yield line, data


def _read(path: str) -> Iterator[tuple[int, Any, frozenset[str]]]:
    """``read_complaints`` with each CSV row's columns (none for JSON lines)."""
    if not path.lower().endswith(".csv"):
        for line, data in iter_json_lines(path):
            yield line, data, frozenset()
        return
    for line, row in iter_csv_rows(path):
        try:
            yield line, _csv_complaint(row), frozenset(row)
        except InputError as exc:
            raise exc.located(path, line) from None


class SlaSummary:
    """Counts by overall status and by milestone × status, and the open milestones nearest
    their due time (kept in a bounded heap, so memory stays flat over big files)."""

    def __init__(self, top: int) -> None:
        self.total = 0
        self.status: Counter[str] = Counter()
        self.milestones: dict[str, Counter[str]] = {}
        self.top = top
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = 0

    def add(self, report: SlaDecision) -> None:
        self.total += 1
        self.status[report.outcome] += 1
        now = report.as_of
        assert isinstance(now, dt.datetime)  # SLA decisions are always taken at a time
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
        """The open milestones nearest their due time, nearest first."""
        return [entry for _, _, entry in sorted(self._heap, key=lambda i: (-i[0], i[1]))]

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total,
                "status": {s: self.status.get(s, 0) for s in STATUSES},
                "milestones": {name: {s: c.get(s, 0) for s in STATUSES}
                               for name, c in self.milestones.items()},
                "nearest_breach": self.nearest()}


@attrs.define
class SlaBatch:
    """What ``report_file`` found: the summary, every report (when kept) and the complaint
    asked for by id (with its report), if any."""

    summary: SlaSummary
    reports: list[SlaDecision] = attrs.field(factory=list)
    found: tuple[Complaint, SlaDecision] | None = None


def _evaluate_chunk(runtime: Runtime, path: str, chunk: list[tuple[int, Any, frozenset[str]]],
                    as_of: dt.datetime) -> list[tuple[Complaint, SlaDecision]]:
    complaints = []
    for line, data, columns in chunk:
        try:
            complaints.append(Complaint.parse(data, field=""))
        except InputError as exc:
            raise InputError([event_column(p, data, columns) for p in exc.problems],
                             model=exc.model).located(path, line) from None
    try:
        results = complaint_sla_batch(runtime, complaints, as_of=as_of)
    except NotInForceError as exc:  # a receipt day no version covers: name its line
        _not_in_force(runtime, path, chunk, complaints, as_of, exc)
        raise
    except InputError as exc:  # name the file's line, not the position inside the chunk
        problem = exc.problems[0]
        parts = problem.path.split(".", 2)
        if len(parts) < 2 or not parts[1].isdecimal():
            raise
        line, data, columns = chunk[int(parts[1])]
        rest = parts[2] if len(parts) > 2 else ""
        raise InputError([event_column(
            InputProblem(rest, problem.message, problem.code, problem.value, file=path,
                         line=line), data, columns)]) from None
    return list(zip(complaints, results, strict=True))


def _not_in_force(runtime: Runtime, path: str, chunk: list[tuple[int, Any, frozenset[str]]],
                  complaints: list[Complaint], as_of: dt.datetime,
                  exc: NotInForceError) -> None:
    """Raise ``exc`` as an error of the first complaint of ``chunk`` that no version of the
    policy covers, at its line (returns when none is found alone). Several policies in
    force is no complaint's error: the caller chooses one (``policy=``, ``--policy``)."""
    if exc.several:
        raise exc
    for (line, data, _), complaint in zip(chunk, complaints, strict=True):
        try:
            complaint_sla_batch(runtime, [complaint], as_of=as_of)
        except NotInForceError as own:
            raise InputError.one("received_at", str(own), "not_in_force",
                                 data.get("received_at")).located(path, line) from exc


def listed_twice(path: str, complaint_id: str, first: int, again: int) -> InputError:
    """The error for a complaint id on two lines of one file (each would be counted)."""
    return InputError.one("id", f"complaint `{complaint_id}` is listed twice (lines {first} "
                          f"and {again}): give each complaint one line", "duplicate_value",
                          complaint_id).located(path, again)


def report_file(runtime: Runtime, path: str, *, as_of: dt.datetime, top: int = 10,
                keep_reports: bool = False, find: str | None = None,
                progress: Callable[[int], None] | None = None) -> SlaBatch:
    """Evaluate every complaint of ``path`` as of ``as_of``, in chunks (an id on two lines
    is an ``InputError`` naming both: the summary would count the complaint twice).

    Args:
        runtime: the engine (or its runtime).
        path: a CSV or JSON-lines file (see ``read_complaints``).
        as_of: the aware time to report at.
        top: how many open milestones nearest their due time the summary keeps.
        keep_reports: keep every complaint's report (memory grows with the file).
        find: a complaint id whose complaint and report to keep (for a timeline).
        progress: called with the number of complaints done after each chunk.
    """
    batch = SlaBatch(SlaSummary(top))
    chunk: list[tuple[int, Any, frozenset[str]]] = []
    done = 0
    lines: dict[str, int] = {}  # complaint id -> its line

    def flush() -> None:
        nonlocal done
        decided = _evaluate_chunk(runtime, path, chunk, as_of)
        for (line, _, _), (complaint, _) in zip(chunk, decided, strict=True):
            first = lines.setdefault(complaint.id, line)
            if first != line:
                raise listed_twice(path, complaint.id, first, line)
        for complaint, report in decided:
            batch.summary.add(report)
            if keep_reports:
                batch.reports.append(report)
            if find is not None and complaint.id == find:
                batch.found = (complaint, report)
        done += len(chunk)
        chunk.clear()
        if progress is not None:
            progress(done)

    for entry in _read(path):
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return batch
