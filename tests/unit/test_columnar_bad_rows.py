"""``bad_rows="set_aside"``: a book with bad rows gives, for its good rows, exactly the
decisions of a book of its good rows alone, and every bad row once in the rejects with the
error that refused it; by default the first bad row still stops the table, named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402
from finpolicy.readers import iter_csv_rows  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
OFFER = [fp.Product(id="p1", kind="fund", risk_level="R3"),
         fp.Product(id="p2", kind="bond", risk_level="R1")]
CUSTOMERS = ["id,risk_level,birth_date", "c1,C3,1980-01-02", "c2,C9,1980-01-02",
             "c3,C1,1990-05-06", ",C3,1980-01-02", "c5,C5,1970-03-04"]
COMPLAINTS = [
    {"id": "k1", "received_at": "2026-02-20T09:00:00+08:00", "channel": "branch",
     "category": "service"},
    {"id": "k2", "received_at": "last tuesday", "channel": "branch", "category": "service"},
    {"id": "k3", "received_at": "2026-02-25T09:00:00+08:00", "channel": "phone",
     "category": "product"},
    {"id": "", "received_at": "2026-02-26T09:00:00+08:00", "channel": "branch",
     "category": "service"},
    {"id": "k5", "received_at": "2026-02-27T09:00:00+08:00", "channel": "online",
     "category": "fees"},
    {"id": "k6", "received_at": "2026-03-01T09:00:00+08:00", "channel": "online",
     "category": "product"},
]
REQUEST = {"subject.id": "u1", "subject.roles": "teller", "action": "read",
           "purpose": "service", "resource.type": "customer_record",
           "resource.data_level": "ordinary", "resource.category": "basic_identity"}


def _rows(table: Any) -> list[str]:
    """Decisions as sorted canonical texts (pairs come product by product in each piece)."""
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())


def _same_as_good_alone(domain: str, book: Any, good: Any, bad: dict[int, str],
                        **options: Any) -> Any:
    """Set aside, ``book`` decides its good rows as ``good`` alone is decided, and rejects
    exactly the rows ``bad`` (row → field); returns the rejects."""
    got = ENGINE.evaluate_table(domain, book, bad_rows="set_aside", **options)
    want = ENGINE.evaluate_table(domain, good, **options)
    assert _rows(got.decided) == _rows(want)
    assert got.decided.schema == want.schema
    assert {r["row"]: r["field"] for r in got.rejected.to_pylist()} == bad
    assert all(r["reason"] and r["code"] for r in got.rejected.to_pylist())
    return got.rejected


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_suitability_sets_aside_an_unknown_risk_level_and_an_empty_id(tmp_path: Path
                                                                     ) -> None:
    book = _csv(tmp_path / "book.csv", ["", *CUSTOMERS[:3], "", *CUSTOMERS[3:]])
    good = _csv(tmp_path / "good.csv", [CUSTOMERS[i] for i in (0, 1, 3, 5)])
    with pytest.raises(InputError, match="C9") as caught:
        ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER)
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == (str(book), 4)
    rejects = _same_as_good_alone("suitability", book, good, {4: "customer.risk_level",
                                                               7: "customer.id"},
                                  as_of=ON, products=OFFER)
    # the file's own lines (a blank first line, a blank line between rows), ids, reasons
    assert rejects.to_pylist() == [
        {"file": str(book), "row": 4, "key": "c2", "field": "customer.risk_level",
         "code": "unknown_level",
         "reason": "customer.risk_level: unknown level `C9`, expected one of C1, C2, C3, "
                   "C4, C5"},
        {"file": str(book), "row": 7, "key": None, "field": "customer.id", "code": "missing",
         "reason": "customer.id: field required"}]


def test_suitability_pairs_and_a_key_set_aside_in_memory() -> None:
    pairs = pa.table({"sale": ["s1", "s2", "s3"], "customer.id": ["c1", "c2", "c3"],
                      "customer.risk_level": ["C3", "C3", "C4"],
                      "product.id": ["p1", "p1", "p1"], "product.kind": ["fund", "fund", "fund"],
                      "product.risk_level": ["R3", "R7", "R3"]})
    good = pairs.take([0, 2])
    rejects = _same_as_good_alone("suitability", pairs, good, {2: "product.risk_level"},
                                  as_of=ON, key="sale")
    assert rejects.column("key").to_pylist() == ["s2"]
    assert rejects.column("file").to_pylist() == ["table"]


def test_complaints_set_aside_an_unparseable_date_and_an_empty_id() -> None:
    book = pa.Table.from_pylist(COMPLAINTS)
    with pytest.raises(InputError, match="received_at") as caught:
        ENGINE.evaluate_table("complaints", book, as_of=NOW)
    assert caught.value.problems[0].line == 2
    good = book.take([0, 2, 5])
    rejects = _same_as_good_alone("complaints", book, good,
                                  {2: "received_at", 4: "id", 5: "category"}, as_of=NOW)
    assert rejects.column("key").to_pylist() == ["k2", "", "k5"]


def test_a_complaints_bad_event_sets_its_complaint_aside_with_all_its_events(
        tmp_path: Path) -> None:
    book = pa.Table.from_pylist([COMPLAINTS[i] for i in (0, 2, 5)])
    events = _csv(tmp_path / "events.csv", [
        "complaint_id,kind,at",
        "k1,acknowledged,2026-02-20T12:00:00+08:00",
        "k3,acknowledged,2026-02-25T10:00:00+08:00",
        "k3,resolved,not a time",
        "k6,acknowledged,2026-03-01T10:00:00+08:00"])
    with pytest.raises(InputError, match="at"):
        ENGINE.evaluate_table("complaints", book, as_of=NOW, events=str(events))
    good_events = _csv(tmp_path / "good.csv", [
        "complaint_id,kind,at", "k1,acknowledged,2026-02-20T12:00:00+08:00",
        "k6,acknowledged,2026-03-01T10:00:00+08:00"])
    got = ENGINE.evaluate_table("complaints", book, as_of=NOW, events=str(events),
                                bad_rows="set_aside")
    want = ENGINE.evaluate_table("complaints", book.take([0, 2]), as_of=NOW,
                                 events=str(good_events))
    assert _rows(got.decided) == _rows(want)
    [reject] = got.rejected.to_pylist()
    # the complaint's row, and its event's own file and line in the reason; k3's good
    # event went with it (no stray event refused at the end)
    assert (reject["file"], reject["row"], reject["key"]) == ("table", 2, "k3")
    assert f"{events} line 4" in reject["reason"]


def test_access_requests_set_aside_an_unknown_action() -> None:
    book = pa.Table.from_pylist([REQUEST, {**REQUEST, "subject.id": "u2", "action": "fly"},
                                 {**REQUEST, "subject.id": "u3"}])
    with pytest.raises(InputError, match="fly"):
        ENGINE.evaluate_table("access", book, as_of=NOW)
    rejects = _same_as_good_alone("access", book, book.take([0, 2]), {2: "action"}, as_of=NOW)
    assert rejects.column("key").to_pylist() == ["u2"]


def _grant(i: int, **changes: Any) -> dict[str, Any]:
    day = dt.timedelta(days=1)
    return {"id": f"g{i}", "grantee": "u-1", "purpose": "account_service",
            "resource_type": "customer_record", "data_level": "core", "category": "business",
            "requested_at": (NOW - 20 * day).isoformat(), "approved_by": "u-head",
            "approver_roles": "department_head", "approved_at": (NOW - 19 * day).isoformat(),
            "expires_at": (NOW + 5 * day).isoformat(), **changes}


def test_an_access_review_sets_aside_a_bad_grant_and_a_grant_given_twice() -> None:
    assignments = [{"subject_id": "u-head", "role": "department_head",
                    "assigned_at": (NOW - dt.timedelta(days=400)).isoformat()},
                   {"subject_id": "u-9", "role": "auditor",
                    "assigned_at": (NOW - dt.timedelta(days=900)).isoformat()}]
    grants = [_grant(0, expires_at="soon"), _grant(1), _grant(2, approved_by="u-1"),
              _grant(1), _grant(3)]
    book = pa.Table.from_pylist(grants)
    options = {"as_of": NOW, "what": "review", "assignments": assignments}
    with pytest.raises(InputError, match="expires_at"):
        ENGINE.evaluate_table("access", book, **options)
    # the first row refused: the role assignments' findings still come, once
    rejects = _same_as_good_alone("access", book, book.take([1, 2, 4]),
                                  {1: "expires_at", 4: "id"}, **options)
    assert rejects.column("key").to_pylist() == ["g0", "g1"]


def test_classification_sets_aside_a_number_that_is_not_finite() -> None:
    book = pa.table({"id": ["r1", "r2", "r3"], "name": ["张三", "李四", "王五"],
                     "score": [1.0, float("nan"), 3.0]})
    rejects = _same_as_good_alone("classification", book, book.take([0, 2]),
                                  {2: "record.score"}, as_of=ON, key="id")
    assert rejects.column("key").to_pylist() == ["r2"]


@pytest.mark.parametrize("chunk_rows", [1, 3, 64, 10_000])
def test_many_bad_rows_across_chunks_each_set_aside_once(chunk_rows: int) -> None:
    levels = ["C3", "C9", "C1", "", "C5", "X", "C2", "C4"] * 25
    ids = [f"c{i}" if i % 7 else "" for i in range(len(levels))]
    book = pa.table({"id": ids, "risk_level": [v or None for v in levels]})
    bad = {i for i, (c, v) in enumerate(zip(ids, levels, strict=True))
           if not c or v in ("C9", "X")}
    good = book.take(sorted(set(range(len(levels))) - bad))
    got = ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER,
                                bad_rows="set_aside", chunk_rows=chunk_rows)
    assert _rows(got.decided) == _rows(ENGINE.evaluate_table("suitability", good, as_of=ON,
                                                             products=OFFER))
    assert got.rejected.column("row").to_pylist() == sorted(i + 1 for i in bad)
    parts = list(ENGINE.iter_tables("suitability", book, as_of=ON, products=OFFER,
                                    bad_rows="set_aside", chunk_rows=chunk_rows))
    assert sum(p.rejected.num_rows for p in parts) == len(bad)
    assert sum(p.decided.num_rows for p in parts) == 2 * (len(levels) - len(bad))


def test_every_row_bad_gives_no_decisions_with_the_columns() -> None:
    book = pa.table({"id": ["c1", "c2"], "risk_level": ["C9", "C0"]})
    got = ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER,
                                bad_rows="set_aside")
    assert got.decided.num_rows == 0
    assert got.decided.schema == ENGINE.evaluate_table(
        "suitability", book.slice(0, 0), as_of=ON, products=OFFER).schema
    assert got.rejected.column("key").to_pylist() == ["c1", "c2"]


def test_an_error_about_no_row_still_stops_the_table() -> None:
    # an unknown column is the table's error, not a row's: nothing can be set aside
    book = pa.table({"id": ["c1"], "risk_level": ["C3"], "colour": ["red"]})
    with pytest.raises(InputError, match="colour"):
        ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER,
                              bad_rows="set_aside")
    twice = pa.Table.from_pylist([COMPLAINTS[0], COMPLAINTS[0]])
    with pytest.raises(InputError, match="twice"):
        ENGINE.evaluate_table("complaints", twice, as_of=NOW, bad_rows="set_aside",
                              events=pa.table({"complaint_id": ["k1"], "kind": ["acknowledged"],
                                               "at": ["2026-02-20T12:00:00+08:00"]}))


@pytest.mark.parametrize("value", ["skip", "SET_ASIDE", None, True])
def test_an_unknown_bad_rows_value_is_refused(value: Any) -> None:
    with pytest.raises(InputError, match="bad_rows: expected `raise` or `set_aside`"):
        ENGINE.evaluate_table("suitability", pa.table({"id": ["c1"]}), as_of=ON,
                              products=OFFER, bad_rows=value)


def test_csv_rejects_name_lines_after_quoted_line_breaks(tmp_path: Path) -> None:
    book = _csv(tmp_path / "book.csv", ['id,risk_level,sale', 'c1,C3,"two', 'lines"',
                                        'c2,C9,x', '', 'c3,C3,y', 'c4,Z,z'])
    got = ENGINE.evaluate_table("suitability", book, as_of=ON, products=OFFER,
                                bad_rows="set_aside", chunk_rows=1, key="sale")
    assert got.rejected.column("row").to_pylist() == [4, 7]
    assert got.rejected.column("key").to_pylist() == ["x", "z"]
    assert [line for line, _ in iter_csv_rows(str(book))] == [3, 4, 6, 7]


def test_the_row_reader_takes_a_csv_file_whose_first_line_is_blank(tmp_path: Path) -> None:
    path = _csv(tmp_path / "book.csv", ["", "", "id,risk_level", "c1,C3", "", "c2,C4"])
    assert list(iter_csv_rows(str(path))) == [(4, {"id": "c1", "risk_level": "C3"}),
                                              (6, {"id": "c2", "risk_level": "C4"})]
    blank = _csv(tmp_path / "blank.csv", ["", ""])
    with pytest.raises(InputError, match="empty CSV"):
        list(iter_csv_rows(str(blank)))


def test_a_chunk_with_many_bad_rows_is_evaluated_a_few_times_not_once_per_row() -> None:
    # bisecting around one bad row at a time evaluated a chunk of 1,000 customers with 50
    # bad ones some 300 times; the rows the row engine refuses are now named together
    from finpolicy.columnar import api
    from finpolicy.columnar.rejects import decide_chunk

    evaluate = api._prepare("suitability")(ENGINE.runtime, as_of=ON, policy=None,
                                           products=OFFER)
    calls: list[int] = []

    def counted(batch: Any, first_row: int) -> Any:
        calls.append(batch.num_rows)
        return evaluate(batch, first_row)

    levels = ["C9" if i % 20 == 7 else "C3" for i in range(1_000)]
    book = pa.table({"id": [f"c{i}" for i in range(1_000)], "risk_level": levels})
    tables, rejected = decide_chunk(counted, lambda batch, first: None,
                                    book.to_batches()[0], 0)
    assert sorted(rejected) == [i + 1 for i in range(1_000) if i % 20 == 7]
    assert calls == [1_000, 950]
    assert sum(t.num_rows for t in tables) == 2 * 950


def test_events_that_name_no_complaint_of_the_table_are_set_aside(tmp_path: Path) -> None:
    # by default they stop the table once every complaint is decided; set aside, each is a
    # row of the rejects at its own line of the events file, the complaints all decided
    book = pa.Table.from_pylist([COMPLAINTS[i] for i in (0, 2)])
    events = _csv(tmp_path / "events.csv", [
        "complaint_id,kind,at", "k1,acknowledged,2026-02-20T12:00:00+08:00",
        "k9,acknowledged,2026-02-25T10:00:00+08:00", "",
        ",resolved,2026-02-26T10:00:00+08:00"])
    with pytest.raises(InputError, match="name no complaint of the table"):
        ENGINE.evaluate_table("complaints", book, as_of=NOW, events=str(events))
    got = ENGINE.evaluate_table("complaints", book, as_of=NOW, events=str(events),
                                bad_rows="set_aside")
    want = ENGINE.evaluate_table("complaints", book, as_of=NOW, events=pa.table({
        "complaint_id": ["k1"], "kind": ["acknowledged"],
        "at": ["2026-02-20T12:00:00+08:00"]}))
    assert _rows(got.decided) == _rows(want)
    assert [(r["file"], r["row"], r["key"], r["code"]) for r in got.rejected.to_pylist()] == [
        (str(events), 3, "k9", "unknown_complaint"),
        (str(events), 5, None, "unknown_complaint")]
