"""Complaint tables with their events in long form (``events=``): exactly the row engine's
decisions, the contents and approvers the events carry included; plain events decided by
the arrays; a stray event or a malformed events table is an error naming it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import finpolicy as fp  # noqa: E402
import finpolicy.domains.complaints.columnar as complaint_tables  # noqa: E402
from finpolicy.documents.bundle import shipped_packs  # noqa: E402
from finpolicy.domains.complaints.strategies import complaint_cases  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

from .test_columnar_complaints import _expected, _got  # noqa: E402

CN = fp.PolicyEngine()
UK = fp.PolicyEngine(fp.load_bundle(shipped_packs() / "uk-fca"))
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 2, 20, 12, tzinfo=TZ)


def _tables(complaints: list[Any]) -> tuple[Any, Any]:
    """The complaints (no events) and their events, one row per event."""
    base = pa.table({
        "id": [c.id for c in complaints],
        "received_at": [c.received_at.isoformat() for c in complaints],
        "channel": [c.channel for c in complaints],
        "category": [c.category for c in complaints],
        "severity": [c.severity for c in complaints],
        "flags": [";".join(c.flags) or None for c in complaints]})
    events = [(c.id, e) for c in complaints for e in c.events]
    long = pa.table({
        "complaint_id": pa.array([i for i, _ in events], pa.string()),
        "kind": pa.array([e.kind for _, e in events], pa.string()),
        "at": pa.array([e.at.isoformat() for _, e in events], pa.string()),
        "states": pa.array([list(e.states) for _, e in events], pa.list_(pa.string())),
        "approved_by": pa.array([e.approved_by for _, e in events], pa.string()),
        "note": pa.array([e.note for _, e in events], pa.string())})
    return base, long


def _check(engine: Any, cases: list[Any]) -> None:
    now = cases[0]["as_of"]
    complaints = [c["complaint"].model_copy(update={"id": f"c{i}", "criteria": None})
                  for i, c in enumerate(cases)]
    base, long = _tables(complaints)
    try:
        want = [_expected(engine.complaint_sla(c, as_of=now)) for c in complaints]
    except InputError:
        with pytest.raises(InputError):
            engine.evaluate_table("complaints", base, as_of=now, events=long)
        return
    got = engine.evaluate_table("complaints", base, as_of=now, events=long, chunk_rows=7)
    assert _got(got) == want


_SETTINGS = settings(max_examples=50, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_SETTINGS
@given(st.lists(complaint_cases(), min_size=1, max_size=30))
def test_long_form_events_with_contents_get_the_row_engines_decisions(cases: Any) -> None:
    _check(CN, cases)


@_SETTINGS
@given(st.lists(complaint_cases(UK.bundle), min_size=1, max_size=30))
def test_long_form_events_of_the_fca_pack_get_the_row_engines_decisions(cases: Any) -> None:
    _check(UK, cases)


def _plain_book(n: int) -> tuple[list[Any], Any, Any]:
    received = [dt.datetime(2026, 1, 5, 9, tzinfo=TZ) + dt.timedelta(minutes=160 * i)
                for i in range(n)]
    complaints = []
    for i, r in enumerate(received):
        events = [{"kind": "acknowledged", "at": r + dt.timedelta(hours=3)}] if i % 2 else []
        if i % 3:
            events.append({"kind": "responded", "at": r + dt.timedelta(days=i % 11)})
        complaints.append(fp.Complaint(id=f"k{i}", received_at=r,
                                       channel=["branch", "phone", "online"][i % 3],
                                       category=["product", "service"][i % 2],
                                       severity=["general", "major"][i % 2], events=events))
    base, long = _tables(complaints)
    return complaints, base, long.drop_columns(["states", "approved_by", "note"])


def test_plain_long_form_events_are_decided_by_the_arrays(monkeypatch: Any) -> None:
    complaints, base, long = _plain_book(400)
    calls: list[int] = []
    original = complaint_tables._row_decision
    monkeypatch.setattr(complaint_tables, "_row_decision",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    got = CN.evaluate_table("complaints", base, as_of=NOW, events=long, chunk_rows=64)
    assert calls == []  # no row needed the row engine
    assert _got(got) == [_expected(d) for d in CN.complaint_sla_batch(complaints, as_of=NOW)]


def test_an_event_kind_twice_goes_to_the_row_engine_and_still_agrees() -> None:
    complaints, base, long = _plain_book(30)
    again = long.slice(0, 1)  # the first event once more, an hour later
    later = (dt.datetime.fromisoformat(again["at"][0].as_py())
             + dt.timedelta(hours=1)).isoformat()
    extra = pa.table({"complaint_id": again["complaint_id"], "kind": again["kind"],
                      "at": [later]})
    owner = int(again["complaint_id"][0].as_py()[1:])
    data = complaints[owner].model_dump()
    data["events"].append({"kind": again["kind"][0].as_py(),
                           "at": dt.datetime.fromisoformat(later)})
    complaints[owner] = fp.Complaint.model_validate(data)
    got = CN.evaluate_table("complaints", base, as_of=NOW, events=pa.concat_tables([long, extra]))
    assert _got(got) == [_expected(d) for d in CN.complaint_sla_batch(complaints, as_of=NOW)]


def test_an_event_of_no_complaint_is_an_error_naming_it() -> None:
    _, base, long = _plain_book(20)
    stray = pa.table({"complaint_id": ["k999"], "kind": ["responded"],
                      "at": ["2026-01-20T10:00+08:00"]})
    with pytest.raises(InputError) as caught:
        CN.evaluate_table("complaints", base, as_of=NOW, events=pa.concat_tables([long, stray]))
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.path) == ("events", long.num_rows + 1,
                                                          "complaint_id")
    assert "k999" in problem.message


def test_an_events_table_without_its_columns_is_an_error_naming_them() -> None:
    _, base, long = _plain_book(5)
    with pytest.raises(InputError) as caught:
        CN.evaluate_table("complaints", base, as_of=NOW, events=long.drop_columns(["at"]))
    assert caught.value.problems[0].path == "events"
    assert "at" in caught.value.problems[0].message


def test_an_unknown_events_column_is_refused_not_dropped() -> None:
    _, base, long = _plain_book(5)
    extra = long.append_column("source", pa.array(["crm"] * long.num_rows))
    with pytest.raises(InputError) as caught:
        CN.evaluate_table("complaints", base, as_of=NOW, events=extra)
    assert "`source`" in caught.value.problems[0].message


def test_a_naive_event_time_is_the_row_engines_error_at_the_events_row() -> None:
    _, base, long = _plain_book(10)
    naive = pa.table({"complaint_id": ["k4"], "kind": ["responded"],
                      "at": ["2026-01-20T10:00"]})
    others = long.filter(pa.compute.not_equal(long["complaint_id"], "k4"))
    with pytest.raises(InputError) as caught:
        CN.evaluate_table("complaints", base, as_of=NOW,
                          events=pa.concat_tables([others, naive]))
    problem = caught.value.problems[0]  # the event's row of the events, counting from 1
    assert (problem.file, problem.line, problem.path) == ("events", others.num_rows + 1, "at")


def test_events_from_parquet_and_csv_files_and_on_the_command_line(tmp_path: Any) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from finpolicy.cli import main

    complaints, base, long = _plain_book(120)
    pq.write_table(base, tmp_path / "c.parquet")
    pq.write_table(long, tmp_path / "e.parquet")
    pacsv.write_csv(long, tmp_path / "e.csv")
    want = _got(CN.evaluate_table("complaints", base, as_of=NOW, events=long))
    for events in (tmp_path / "e.parquet", str(tmp_path / "e.csv"), long.to_pandas()):
        got = CN.evaluate_table("complaints", tmp_path / "c.parquet", as_of=NOW, events=events)
        assert _got(got) == want
    lines = tmp_path / "c.jsonl"
    lines.write_text("".join(json.dumps(c.model_dump(mode="json")) + "\n"
                             for c in complaints), encoding="utf-8")
    outputs = []
    for args in (["sla", str(lines)],
                 ["sla", str(tmp_path / "c.parquet"), "--events", str(tmp_path / "e.parquet")]):
        result = CliRunner().invoke(main, [*args, "--as-of", NOW.isoformat(), "--json"])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1]
    result = CliRunner().invoke(main, ["sla", str(lines), "--events", str(tmp_path / "e.csv"),
                                       "--as-of", NOW.isoformat()])
    assert result.exit_code == 3 and "--events" in result.output


def test_contents_and_approvers_are_decided_by_the_arrays(monkeypatch: Any) -> None:
    # letters stating all, some or none of what the final response and the regulatory
    # decision require; extensions approved by the right person, the wrong one, or no one
    stated = [("cause", "improvements", "measures", "basis", "reasons", "remedies",
               "verification"), ("cause", "measures"), (), ("basis", "reasons", "remedies",
                                                              "verification")]
    approvers = ["higher_branch", "handling_branch", None]
    complaints = []
    for i in range(240):
        received = dt.datetime(2025, 11, 3, 9, tzinfo=TZ) + dt.timedelta(hours=9 * i)
        events: list[dict[str, Any]] = [
            {"kind": "responded", "at": received + dt.timedelta(days=5 + i % 50),
             "states": list(stated[i % 4])}]
        if i % 5 == 0:
            events.append({"kind": "extended_further", "at": received + dt.timedelta(days=2),
                           "approved_by": approvers[i % 3],
                           "states": ["complainant_told"] if i % 2 else []})
        complaints.append(fp.Complaint(id=f"k{i}", received_at=received, channel="branch",
                                       category=["product", "service"][i % 2],
                                       severity=["general", "major"][i % 2], events=events))
    base, long = _tables(complaints)
    calls: list[int] = []
    original = complaint_tables._row_decision
    monkeypatch.setattr(complaint_tables, "_row_decision",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    got = CN.evaluate_table("complaints", base, as_of=NOW, events=long, chunk_rows=100)
    assert calls == []
    want = CN.complaint_sla_batch(complaints, as_of=NOW)
    assert _got(got) == [_expected(d) for d in want]
    statuses = {s.status for d in want for s in d.milestones if s.name == "final_response"}
    assert {"met", "breached"} <= statuses  # letters that state enough, and that do not


def test_an_unknown_content_is_the_row_engines_error_at_the_events_row() -> None:
    _, base, long = _plain_book(10)
    odd = pa.table({"complaint_id": ["k3"], "kind": ["acknowledged"],
                    "at": ["2026-01-05T23:00+08:00"], "states": [["no_such_content"]]})
    with pytest.raises(InputError) as caught:
        CN.evaluate_table("complaints", base, as_of=NOW, events=pa.concat_tables(
            [long.filter(pa.compute.not_equal(long["complaint_id"], "k3")), odd],
            promote_options="default"))
    problem = caught.value.problems[0]
    assert problem.code == "unknown_content" and problem.file == "events"
    assert problem.line == long.filter(pa.compute.not_equal(long["complaint_id"],
                                                            "k3")).num_rows + 1


@pytest.mark.parametrize(("kind", "at", "message"), [
    ("nosuch", "2026-01-20T10:00+08:00", "e.csv line 3: kind: unknown event kind `nosuch`"),
    ("responded", "2026-02-30T10:00+08:00", "e.csv line 3: at: input should be a valid "
                                            "datetime"),
])
def test_a_bad_event_of_an_events_file_names_that_file_and_line(
        tmp_path: Any, kind: str, at: str, message: str) -> None:
    """It named the complaints file and the complaint's line: `c.csv line 2: events.1.kind`."""
    from click.testing import CliRunner

    from finpolicy.cli import main

    (tmp_path / "c.csv").write_text("id,received_at,channel,category\n"
                                    "k1,2026-01-05T10:00:00+08:00,phone,service\n",
                                    encoding="utf-8")
    (tmp_path / "e.csv").write_text("complaint_id,kind,at\n"
                                    "k1,acknowledged,2026-01-06T10:00:00+08:00\n"
                                    f"k1,{kind},{at}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sla", str(tmp_path / "c.csv"), "--events",
                                       str(tmp_path / "e.csv"), "--as-of", NOW.isoformat()])
    assert result.exit_code == 3, result.output
    assert f"{tmp_path}/{message}" in result.output


def _event(kind: str, day: int, **fields: Any) -> fp.ComplaintEvent:
    return fp.ComplaintEvent(kind=kind, at=dt.datetime(2025, 6, day, 10, tzinfo=TZ), **fields)


FURTHER = {"approved_by": "head_office_senior_manager", "states": ["complainant_told"]}


@pytest.mark.parametrize("events", [
    [_event("extended", 10), _event("extended_further", 13, **FURTHER)],  # counts
    [_event("extended_further", 13, **FURTHER)],  # no first extension: does not count
    [_event("extended_further", 10, **FURTHER), _event("extended", 13)],  # before the first
    [_event("appraisal_started", 5, states=["complainant_told"]),
     _event("appraisal_finished", 20)],  # stops the clock
    [_event("appraisal_started", 5), _event("appraisal_finished", 20)],  # not told: stops none
])
def test_further_extensions_and_pauses_that_require_a_statement_agree_with_the_rows(
        events: list[Any]) -> None:
    complaint = fp.Complaint(id="c", received_at=dt.datetime(2025, 6, 3, 10, tzinfo=TZ),
                             channel="letter", category="product", severity="major",
                             flags=["complex"], events=events)
    _check(CN, [{"complaint": complaint, "as_of": dt.datetime(2025, 7, 25, tzinfo=TZ)}])
