"""Complaint tables at their boundaries: a column that is no complaint field is an event
kind, and a problem with its cells names the column (table and CSV file alike)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.domains.complaints.batch import report_file  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
NOW = "2026-03-02T18:00+08:00"
BASE = {"id": ["k1"], "channel": ["phone"], "category": ["service"],
        "received_at": ["2026-03-01T10:00+08:00"]}


def _problem(source: Any) -> Any:
    with pytest.raises(InputError) as caught:
        ENGINE.evaluate_table("complaints", source, as_of=NOW)
    (problem,) = caught.value.problems
    return problem


@pytest.mark.parametrize(("cells", "says"), [
    (["hello"], "valid datetime"),                      # a column of notes, not of times
    (pa.array([dt.date(2026, 3, 1)]), "timezone"),      # a date is no time
    (pa.array([1]), "ISO datetime"),                    # nor a number
])
def test_a_cell_of_an_event_column_that_is_no_time_names_the_column(cells: Any,
                                                                     says: str) -> None:
    # it said `events.0.at` (naming no column), or for a date or a number `contacted: extra
    # inputs are not permitted`, although contacted is an event kind of the policy
    for name in ("contacted", "customer_name"):
        problem = _problem(pa.table({**BASE, name: cells}))
        assert (problem.path, problem.line) == (name, 1)
        assert says in problem.message and "event kind it is named after" in problem.message


@pytest.mark.parametrize(("cells", "column", "message"), [
    (",2026-02-01T10:00+08:00", "contacted", "event at 2026-02-01T10:00:00+08:00 is before"),
    ("call back,", "note", "input should be a valid datetime"),
])
def test_a_csv_file_names_the_event_column_on_both_readers(tmp_path: Path, cells: str,
                                                           column: str, message: str) -> None:
    path = tmp_path / "open.csv"
    path.write_text("id,channel,category,received_at,note,contacted\n"
                    "k0,phone,service,2026-03-01T10:00+08:00,,\n"
                    f"k1,phone,service,2026-03-01T10:00+08:00,{cells}\n", encoding="utf-8")
    now = dt.datetime.fromisoformat(NOW)
    for check in (lambda: report_file(ENGINE.runtime, str(path), as_of=now),
                  lambda: ENGINE.evaluate_table("complaints", path, as_of=NOW)):
        with pytest.raises(InputError) as caught:
            check()
        (problem,) = caught.value.problems
        assert (problem.file, problem.line, problem.path) == (str(path), 3, column)
        assert problem.message.startswith(message)


def test_a_list_of_times_in_an_event_column_is_its_events() -> None:
    times = ["2026-03-01T11:00+08:00", "2026-03-01T12:00+08:00"]
    listed = ENGINE.evaluate_table("complaints", pa.table({**BASE, "contacted": [times]}),
                                   as_of=NOW)
    text = ENGINE.evaluate_table("complaints", pa.table({**BASE, "contacted": [";".join(times)]}),
                                 as_of=NOW)
    assert listed.equals(text)
    row = ENGINE.complaint_sla({"id": "k1", "channel": "phone", "category": "service",
                                "received_at": BASE["received_at"][0],
                                "events": [{"kind": "contacted", "at": t} for t in times]},
                               as_of=NOW)
    assert listed.column("first_contact.status").to_pylist() == [row.milestones[0].status]


def _decoded(table: Any) -> list[dict[str, Any]]:
    return list(table.to_pylist())


@pytest.mark.parametrize("encode", [
    lambda v: pa.array(v, pa.large_string()),           # polars' texts
    lambda v: pa.array(v).dictionary_encode(),          # pandas categoricals, Parquet
])
def test_ids_of_large_or_dictionary_text_are_kept_and_join_their_events(encode: Any) -> None:
    # complaint_id came out null in every row (and every row went to the row engine), and a
    # dictionary-encoded events table was refused ('expected text, got dictionary<…>')
    complaints = {"id": ["k1", "k2", "k3"], "received_at": ["2026-03-01T10:00+08:00"] * 3,
                  "channel": ["phone"] * 3, "category": ["service"] * 3}
    events = {"complaint_id": ["k2", "k3"], "kind": ["contacted", "contacted"],
              "at": ["2026-03-01T11:00+08:00"] * 2}
    want = _decoded(ENGINE.evaluate_table("complaints", pa.table(complaints),
                                          events=pa.table(events), as_of=NOW))
    assert [r["complaint_id"] for r in want] == ["k1", "k2", "k3"]
    for chunk_rows in (1, 10):
        got = ENGINE.evaluate_table(
            "complaints", pa.table({k: encode(v) for k, v in complaints.items()}),
            events=pa.table({k: encode(v) for k, v in events.items()}), as_of=NOW,
            chunk_rows=chunk_rows)
        assert _decoded(got) == want


def test_an_event_without_a_complaint_id_says_so() -> None:
    # it said "(the first: `None` here)"
    events = pa.table({"complaint_id": pa.array([None], pa.string()), "kind": ["contacted"],
                       "at": ["2026-03-01T11:00+08:00"]})
    assert _problem_of(events).message.endswith("(the first: no complaint_id here)")


def _problem_of(events: Any) -> Any:
    with pytest.raises(InputError) as caught:
        ENGINE.evaluate_table("complaints", pa.table(BASE), events=events, as_of=NOW)
    (problem,) = caught.value.problems
    return problem


def test_nanosecond_times_are_decided_as_their_microseconds() -> None:
    # pandas' datetime64[ns]: an ArrowInvalid traceback ('Casting from timestamp[ns, tz=UTC]
    # to timestamp[us, tz=UTC] would lose data') for a time with nanoseconds
    stamp = pa.timestamp("ns", tz="UTC")
    nanos = pa.array([1_772_330_400_000_000_001, None], pa.int64()).cast(stamp)
    micros = nanos.cast(pa.timestamp("us", tz="UTC"), safe=False)
    table = {"id": ["k1", "k2"], "channel": ["phone"] * 2, "category": ["service"] * 2,
             "received_at": ["2026-03-01T09:00+08:00"] * 2}
    for name in ("contacted", "received_at"):
        got = ENGINE.evaluate_table("complaints", pa.table({**table, name: nanos.fill_null(
            nanos[0]) if name == "received_at" else nanos}), as_of=NOW)
        want = ENGINE.evaluate_table("complaints", pa.table({**table, name: micros.fill_null(
            micros[0]) if name == "received_at" else micros}), as_of=NOW)
        assert got.to_pylist() == want.to_pylist()


def test_criteria_in_text_are_read_as_the_complaints_grading_criteria(tmp_path: Path) -> None:
    # a text `criteria` column was taken as an event kind ("input should be a valid datetime")
    received = "2026-03-02T10:00:00+08:00"
    table = pa.table({"id": ["k1", "k2"], "received_at": [received, received],
                      "channel": ["phone", "phone"], "category": ["service", "service"],
                      "criteria": ["harm=severe", None]})
    got = ENGINE.evaluate_table("complaints", table, as_of=NOW)
    expected = [ENGINE.complaint_sla(fp.Complaint(
        id=i, received_at=dt.datetime.fromisoformat(received), channel="phone",
        category="service", criteria=criteria), as_of=NOW).severity
        for i, criteria in (("k1", {"harm": "severe"}), ("k2", None))]
    assert got.column("severity").to_pylist() == expected
    assert expected[0] != expected[1]  # the criteria graded k1 up
    bad = table.set_column(4, "criteria", pa.array(["severe", None]))
    with pytest.raises(InputError, match="criteria: expected criterion=level items"):
        ENGINE.evaluate_table("complaints", bad, as_of=NOW)


@pytest.mark.parametrize("chunk_rows", [10, 1])  # the two rows in one chunk, or in two
def test_a_complaint_twice_in_the_table_with_long_form_events_is_refused(
        chunk_rows: int) -> None:
    # both rows took every event of the id, each decided as if they were its own
    received = "2026-03-02T10:00:00+08:00"
    table = pa.table({"id": ["k1", "k2", "k1"], "received_at": [received] * 3,
                      "channel": ["phone"] * 3, "category": ["service"] * 3})
    events = pa.table({"complaint_id": ["k1"], "kind": ["contacted"],
                       "at": ["2026-03-02T11:00:00+08:00"]})
    with pytest.raises(InputError, match="complaint `k1` is in the table twice"):
        ENGINE.evaluate_table("complaints", table, as_of=NOW, events=events,
                              chunk_rows=chunk_rows)
    alone = table.slice(0, 2)  # each once: decided
    assert ENGINE.evaluate_table("complaints", alone, as_of=NOW, events=events).num_rows == 2
