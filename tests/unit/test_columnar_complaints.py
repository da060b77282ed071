"""Complaint SLAs over tables give exactly ``complaint_sla``'s decisions (event kinds as
columns, as the CSV reader takes them), and working days by index agree with the calendar."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import finpolicy as fp  # noqa: E402
from finpolicy.calendars import WorkingCalendar  # noqa: E402
from finpolicy.columnar.workdays import to_micros, workday_index  # noqa: E402
from finpolicy.documents.bundle import shipped_packs  # noqa: E402
from finpolicy.domains.complaints.strategies import complaint_cases  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
TIMES = ("due_at", "started_at", "completed_at")


def _wide(complaint: Any) -> dict[str, Any]:
    row = {"id": complaint.id, "received_at": complaint.received_at.isoformat(),
           "channel": complaint.channel, "category": complaint.category,
           "severity": complaint.severity, "flags": ";".join(complaint.flags) or None}
    for event in complaint.events:
        earlier = row.get(event.kind)
        row[event.kind] = (f"{earlier};" if earlier else "") + event.at.isoformat()
    return row


def _plain(complaint: Any, i: int) -> Any:
    """The complaint as event columns can carry it: no criteria, contents or approvers."""
    events = [e.model_copy(update={"states": (), "approved_by": None, "note": None})
              for e in complaint.events]
    return complaint.model_copy(update={"id": f"c{i}", "criteria": None, "events": events})


def _expected(decision: Any) -> dict[str, Any]:
    out = {"complaint_id": decision.complaint_id, "outcome": decision.outcome,
           "severity": decision.severity, "route": decision.route,
           "rule_ids": [h.rule_id for h in decision.hits],
           "obligations": list(decision.obligations),
           "escalations": list(decision.escalations), "paused": decision.paused,
           "warnings": list(decision.warnings),
           "next_due": None if decision.next_due is None else to_micros(decision.next_due)}
    for m in decision.milestones:
        out[m.name] = (m.status, *(None if getattr(m, t) is None else to_micros(getattr(m, t))
                                   for t in TIMES))
    return out


def _got(table: Any) -> list[dict[str, Any]]:
    names = [n[:-len(".status")] for n in table.schema.names if n.endswith(".status")]
    rows = []
    for r in table.to_pylist():
        out = {k: r[k] for k in ("complaint_id", "outcome", "severity", "route", "rule_ids",
                                 "obligations", "escalations", "paused", "warnings")}
        out["next_due"] = None if r["next_due"] is None else to_micros(r["next_due"])
        for m in names:
            if r[f"{m}.status"] is not None:
                out[m] = (r[f"{m}.status"], *(None if r[f"{m}.{t}"] is None
                                              else to_micros(r[f"{m}.{t}"]) for t in TIMES))
        rows.append(out)
    return rows


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(complaint_cases(), min_size=1, max_size=25))
def test_complaint_tables_get_exactly_the_row_engines_decisions(cases: list[Any]) -> None:
    _check_table(ENGINE, cases)


UK = fp.PolicyEngine(fp.load_bundle(shipped_packs() / "uk-fca"))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(complaint_cases(UK.bundle), min_size=1, max_size=40))
def test_uk_complaint_tables_get_exactly_the_row_engines_decisions(cases: list[Any]) -> None:
    # the FCA pack's milestones: conditional ones, windows, optional (non-binding) targets
    _check_table(UK, cases)


def _check_table(engine: Any, cases: list[Any]) -> None:
    now = cases[0]["as_of"]
    complaints = [_plain(c["complaint"], i) for i, c in enumerate(cases)]
    rows = [_wide(c) for c in complaints]
    names = sorted({k for r in rows for k in r})
    table = pa.table({k: pa.array([r.get(k) for r in rows], pa.string()) for k in names})
    try:
        want = [_expected(engine.complaint_sla(c, as_of=now)) for c in complaints]
    except InputError:
        with pytest.raises(InputError):
            engine.evaluate_table("complaints", table, as_of=now)
        return
    got = engine.evaluate_table("complaints", table, as_of=now, chunk_rows=9)
    assert _got(got) == want


def test_typed_timestamps_and_event_columns_decide_without_the_row_engine() -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    received = [dt.datetime(2026, 1, 5, 9, tzinfo=tz) + dt.timedelta(hours=5 * i)
                for i in range(200)]  # (all received by as_of)
    responded = [r + dt.timedelta(days=3) if i % 2 else None for i, r in enumerate(received)]
    table = pa.table({
        "id": [f"c{i}" for i in range(200)],
        "received_at": pa.array(received, pa.timestamp("us", tz="UTC")),
        "channel": ["branch"] * 200, "category": ["product", "service"] * 100,
        "severity": ["general"] * 200,
        "responded": pa.array(responded, pa.timestamp("us", tz="UTC"))})
    now = dt.datetime(2026, 2, 20, 12, tzinfo=tz)
    complaints = [fp.Complaint(id=f"c{i}", received_at=r, channel="branch",
                               category=["product", "service"][i % 2],
                               events=[{"kind": "responded", "at": responded[i]}]
                               if responded[i] else []) for i, r in enumerate(received)]
    want = [_expected(d) for d in ENGINE.complaint_sla_batch(complaints, as_of=now)]
    assert _got(ENGINE.evaluate_table("complaints", table, as_of=now)) == want


def test_an_unknown_category_is_the_row_engines_error_at_its_row() -> None:
    table = pa.table({"id": ["a", "b"], "received_at": ["2026-01-05T09:00:00+08:00"] * 2,
                      "channel": ["branch"] * 2, "category": ["product", "lunch"]})
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("complaints", table, as_of="2026-01-06T09:00:00+08:00")
    (problem,) = info.value.problems
    assert (problem.code, problem.line) == ("unknown_category", 2)


@pytest.mark.parametrize(("jurisdiction", "subdivision", "zone"), [
    ("CN", None, "Asia/Shanghai"), ("GB", "ENG", "Europe/London")])
def test_working_days_by_index_agree_with_the_calendar(jurisdiction: str, subdivision: Any,
                                                       zone: str) -> None:
    calendar = WorkingCalendar(jurisdiction, subdivision, zone)
    index = workday_index(calendar, 2024, 2028)
    rng = random.Random(7)
    starts = [dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randint(0, 3 * 365 * 86_400)) for _ in range(400)]
    micros = np.array([to_micros(s) for s in starts])
    for unit, due_of in (("working_days", index.working_days_due),
                         ("calendar_days", index.calendar_days_due),
                         ("weeks", index.weeks_due)):
        for n in (0, 1, 5, 15, 60):
            got = index.end_of(due_of(micros, n))
            regular = index.regular[index.local_day(micros)]
            for s, found, plain in zip(starts, got, regular, strict=True):
                if plain:
                    assert found == to_micros(calendar.deadline(s, n, unit)), (unit, n, s)


def test_finpolicy_sla_reads_parquet_and_csv_as_tables_with_the_same_report(
        tmp_path: Any) -> None:
    import json

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from finpolicy.cli import main

    tz = dt.timezone(dt.timedelta(hours=8))
    received = [dt.datetime(2026, 1, 5, 9, tzinfo=tz) + dt.timedelta(hours=3 * i)
                for i in range(300)]  # (all received by as_of)
    responded = [r + dt.timedelta(days=i % 9) if i % 3 else None
                 for i, r in enumerate(received)]
    stamp = pa.timestamp("us", tz="UTC")
    table = pa.table({"id": [f"c{i}" for i in range(300)],
                      "received_at": pa.array(received, stamp),
                      "channel": ["branch", "phone", "online"] * 100,
                      "category": ["product", "service", "policy"] * 100,
                      "severity": ["general", "major"] * 150,
                      "responded": pa.array(responded, stamp)})
    lines = tmp_path / "c.jsonl"
    lines.write_text("".join(json.dumps({
        "id": f"c{i}", "received_at": r.isoformat(), "channel": table["channel"][i].as_py(),
        "category": table["category"][i].as_py(), "severity": table["severity"][i].as_py(),
        "events": [{"kind": "responded", "at": responded[i].isoformat()}]
        if responded[i] else []}) + "\n" for i, r in enumerate(received)), encoding="utf-8")
    pq.write_table(table, tmp_path / "c.parquet")
    pacsv.write_csv(table, tmp_path / "c.csv")
    outputs = {}
    for name in ("c.jsonl", "c.parquet", "c.csv"):
        result = CliRunner().invoke(main, ["sla", str(tmp_path / name), "--as-of",
                                           "2026-02-20T12:00+08:00", "--json"])
        assert result.exit_code == 0, result.output
        outputs[name] = json.loads(result.stdout)
    assert outputs["c.parquet"] == outputs["c.jsonl"] == outputs["c.csv"]
    assert outputs["c.parquet"]["total"] == 300
