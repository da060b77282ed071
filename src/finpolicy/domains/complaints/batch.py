"""Complaint files and SLA reports over them: read CSV or JSON lines, evaluate in chunks,
summarise (``finpolicy sla`` prints what ``report_file`` returns)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from typing import Any

import attrs

from finpolicy.columnar.rejected import reject_record
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


Entry = tuple[int, Any, frozenset[str]]  # a complaint's line, its mapping, its CSV columns


def read_complaints(path: str) -> Iterator[tuple[int, Any]]:
    """``(line, complaint mapping)`` from a CSV (``.csv``) or JSON-lines file."""
    for line, data, _ in _read(path):
        yield line, data


def _read(path: str, rejects: list[dict[str, Any]] | None = None) -> Iterator[Entry]:
    """``read_complaints`` with each CSV row's columns (none for JSON lines); a row refused
    is set aside in ``rejects`` when given."""
    if not path.lower().endswith(".csv"):
        for line, data in iter_json_lines(path):
            yield line, data, frozenset()
        return
    for line, row in iter_csv_rows(path):
        try:
            data = _csv_complaint(row)
        except InputError as exc:
            if rejects is None:
                raise exc.located(path, line) from None
            rejects.append(reject_record(path, line, row.get("id") or None, exc.problems))
            continue
        yield line, data, frozenset(row)


class SlaSummary:
    """Counts by overall status and by milestone × status, the complaints each warning was
    given to (a deadline in a year whose holiday schedule is not confirmed), the open
    milestones nearest their due time and those overdue the most (kept in bounded heaps, so
    memory stays flat over big files)."""

    def __init__(self, top: int) -> None:
        self.total = 0
        self.status: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.milestones: dict[str, Counter[str]] = {}
        self.top = top
        self._heap: list[tuple[float, int, dict[str, Any]]] = []  # (-left, -order, entry)
        self._late: list[tuple[float, int, dict[str, Any]]] = []  # the same, past due
        self._seq = 0

    def add(self, report: SlaDecision) -> None:
        self.total += 1
        self.status[report.outcome] += 1
        self.warnings.update(set(report.warnings))
        now = report.as_of
        assert isinstance(now, dt.datetime)  # SLA decisions are always taken at a time
        for m in report.milestones:
            counts = self.milestones.get(m.name)
            if counts is None:
                counts = self.milestones[m.name] = Counter()
            counts[m.status] += 1
            if m.completed_at is None and m.due_at is not None:
                left = (m.due_at - now).total_seconds()
                self.keep(left, {"complaint": report.complaint_id, "milestone": m.name,
                                 "status": m.status, "due_at": m.due_at.isoformat(),
                                 "hours_left": round(left / 3600, 2)},
                          overdue=m.status == "breached")

    def keep(self, left: float, entry: dict[str, Any], *, overdue: bool = False) -> None:
        """Offer an open milestone ``left`` seconds from its due time (``overdue``: past it):
        kept while among the ``top`` nearest (or overdue the most), of those due at the same
        time the ones offered first (the file's order, then the milestones' order), whatever
        the order they were offered in."""
        self._seq += 1
        heap = self._late if overdue else self._heap
        # the heap's least item is the one to drop: the farthest, and of those the latest
        item = (-left, -self._seq, entry)
        if len(heap) < self.top:
            heapq.heappush(heap, item)
        elif heap and item[:2] > heap[0][:2]:  # (none kept with --top 0)
            heapq.heapreplace(heap, item)

    def nearest(self) -> list[dict[str, Any]]:
        """The open milestones nearest their due time, nearest first."""
        return [entry for _, _, entry in sorted(self._heap, key=lambda i: (-i[0], -i[1]))]

    def overdue(self) -> list[dict[str, Any]]:
        """The open milestones past their due time, the longest overdue first."""
        return [entry for _, _, entry in sorted(self._late, key=lambda i: (-i[0], -i[1]))]

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total,
                "status": {s: self.status.get(s, 0) for s in STATUSES},
                "milestones": {name: {s: c.get(s, 0) for s in STATUSES}
                               for name, c in self.milestones.items()},
                "warnings": dict(self.warnings.most_common()),
                "nearest_breach": self.nearest(), "overdue": self.overdue()}


@attrs.define
class SlaBatch:
    """What ``report_file`` found: the summary, every report (when kept) and the complaint
    asked for by id (with its report), if any."""

    summary: SlaSummary
    reports: list[SlaDecision] = attrs.field(factory=list)
    found: tuple[Complaint, SlaDecision] | None = None


def _evaluate_chunk(runtime: Runtime, path: str, chunk: list[Entry], as_of: dt.datetime,
                    rejects: list[dict[str, Any]] | None = None
                    ) -> list[tuple[Entry, Complaint, SlaDecision]]:
    """The decisions of ``chunk``, each with its entry and complaint; with ``rejects``, the
    complaints refused are set aside there (at their lines) and the others decided."""
    parsed: list[tuple[Entry, Complaint]] = []
    for entry in chunk:
        line, data, columns = entry
        try:
            parsed.append((entry, Complaint.parse(data, field="")))
        except InputError as exc:
            error = InputError([event_column(p, data, columns) for p in exc.problems],
                               model=exc.model)
            if rejects is None:
                raise error.located(path, line) from None
            rejects.append(_rejected(path, entry, error))
    while True:
        try:
            return _decided(runtime, path, parsed, as_of)
        except InputError as exc:
            if rejects is None:
                raise
            at = {(p.file, p.line) for p in exc.problems}
            refused = [e for e in parsed if (path, e[0][0]) in at]
            if not refused:  # no complaint's error: the run's
                raise
            rejects.extend(_rejected(path, e[0], exc) for e in refused)
            parsed = [e for e in parsed if e not in refused]


def _rejected(path: str, entry: Entry, exc: InputError) -> dict[str, Any]:
    data = entry[1]
    key = data.get("id") if isinstance(data, dict) else None
    return reject_record(path, entry[0], key if key != "" else None,
                         [attrs.evolve(p, file=None, line=None)
                          if (p.file, p.line) in ((path, entry[0]), (None, None)) else p
                          for p in exc.problems])


def _decided(runtime: Runtime, path: str, parsed: list[tuple[Entry, Complaint]],
             as_of: dt.datetime) -> list[tuple[Entry, Complaint, SlaDecision]]:
    """The decisions of ``parsed``, or the error of the first complaint refused, located at
    its line."""
    chunk = [entry for entry, _ in parsed]
    complaints = [complaint for _, complaint in parsed]
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
    return list(zip(chunk, complaints, results, strict=True))


def _not_in_force(runtime: Runtime, path: str, chunk: list[Entry],
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
                progress: Callable[[int], None] | None = None,
                rejects: list[dict[str, Any]] | None = None) -> SlaBatch:
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
        rejects: when given, a complaint refused (or listed again) is set aside there
            (``columnar.rejected.reject_record``, at its line) and the others reported.
    """
    batch = SlaBatch(SlaSummary(top))
    chunk: list[Entry] = []
    done = 0
    lines: dict[str, int] = {}  # complaint id -> its line

    def flush() -> None:
        nonlocal done
        for entry, complaint, report in _evaluate_chunk(runtime, path, chunk, as_of, rejects):
            first = lines.setdefault(complaint.id, entry[0])
            if first != entry[0]:
                error = listed_twice(path, complaint.id, first, entry[0])
                if rejects is None:
                    raise error
                rejects.append(_rejected(path, entry, error))
                continue
            batch.summary.add(report)
            if keep_reports:
                batch.reports.append(report)
            if find is not None and complaint.id == find:
                batch.found = (complaint, report)
        done += len(chunk)
        chunk.clear()
        if progress is not None:
            progress(done)

    for entry in _read(path, rejects):
        chunk.append(entry)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return batch
