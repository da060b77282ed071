"""Events that come after the deadline they would move: new material after the handling
period ran out does not restart it (CBIRC 2020 No. 3 Art. 18: 在消费投诉处理期限内), and an
extension granted after its deadline does not extend it; the report says why, and every
route (one complaint, a batch, a table with events in long form) gives the same deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp

SH = ZoneInfo("Asia/Shanghai")
ENGINE = fp.PolicyEngine()


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def eod(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, 999999, tzinfo=SH)


def complaint(*events: tuple[str, dt.datetime]) -> fp.Complaint:
    # received Monday 3 March 2025: the 15 days end on Tuesday 18 March
    return fp.Complaint(id="c1", received_at=sh(2025, 3, 3, 10), channel="phone",
                        category="product",
                        events=[fp.ComplaintEvent(kind=k, at=at) for k, at in events])


def regulatory(c: fp.Complaint, now: dt.datetime) -> Any:
    return ENGINE.complaint_sla(c, as_of=now).milestone("regulatory_decision")


def test_new_material_after_the_deadline_does_not_clear_the_breach() -> None:
    # the 15 days ran out on 18 March with no decision: material on 20 March cannot make
    # the complaint on time again
    m = regulatory(complaint(("new_material", sh(2025, 3, 20, 10))), sh(2025, 3, 25, 12))
    assert (m.status, m.due_at) == ("breached", eod(2025, 3, 18))
    assert any("after the deadline" in n and "2025-03-20 10:00" in n for n in m.notes), m.notes
    assert not any("restarted" in n for n in m.notes)


def test_new_material_on_the_last_day_restarts_the_count() -> None:
    # 18 March is still within the period: 15 days from it end on 2 April
    m = regulatory(complaint(("new_material", sh(2025, 3, 18, 22))), sh(2025, 3, 25, 12))
    assert (m.status, m.due_at) == ("pending", eod(2025, 4, 2))


def test_a_restart_chain_stops_at_the_first_late_material() -> None:
    # 10 March restarts to 25 March; the reply of 27 March came after that deadline
    c = complaint(("new_material", sh(2025, 3, 10, 10)),
                  ("waiting_for_customer", sh(2025, 3, 11, 10)),
                  ("customer_replied", sh(2025, 3, 27, 10)))
    m = regulatory(c, sh(2025, 3, 28, 12))
    assert (m.status, m.due_at) == ("breached", eod(2025, 3, 25))
    assert any("restarted at 2025-03-10 10:00" in n for n in m.notes), m.notes
    assert any("`customer_replied` at 2025-03-27 10:00" in n for n in m.notes), m.notes


def test_material_within_an_extended_period_restarts_it() -> None:
    # extended to 30 days (2 April); material on 20 March restarts 30 days: 19 April, a
    # Saturday, moves to Monday 21 April
    c = complaint(("extended", sh(2025, 3, 10, 10)), ("new_material", sh(2025, 3, 20, 10)))
    m = regulatory(c, sh(2025, 3, 25, 12))
    assert (m.status, m.due_at) == ("pending", eod(2025, 4, 21))


def test_an_extension_after_its_deadline_says_why_it_did_not_count() -> None:
    m = regulatory(complaint(("extended", sh(2025, 3, 20, 10))), sh(2025, 3, 21, 12))
    assert (m.status, m.due_at) == ("breached", eod(2025, 3, 18))
    assert any("`extended` at 2025-03-20 10:00 not counted" in n and "2025-03-18" in n
               for n in m.notes), m.notes


@pytest.mark.parametrize("events", [
    [("new_material", sh(2025, 3, 20, 10))],
    [("new_material", sh(2025, 3, 18, 22))],
    [("new_material", sh(2025, 3, 10, 10)), ("waiting_for_customer", sh(2025, 3, 11, 10)),
     ("customer_replied", sh(2025, 3, 27, 10))],
    [("extended", sh(2025, 3, 10, 10)), ("new_material", sh(2025, 3, 20, 10))],
    [("extended", sh(2025, 3, 20, 10))],
])
def test_every_route_gives_the_same_deadline(events: list[tuple[str, dt.datetime]]) -> None:
    pa = pytest.importorskip("pyarrow")
    now = sh(2025, 3, 28, 12)
    c = complaint(*events)
    one = regulatory(c, now)
    batch = ENGINE.complaint_sla_batch([c], as_of=now)[0].milestone("regulatory_decision")
    columns = {"id": ["c1"], "received_at": [c.received_at.isoformat()], "channel": ["phone"],
               "category": ["product"], "severity": ["general"], "flags": [""]}
    long = pa.table({"complaint_id": ["c1"] * len(events), "kind": [k for k, _ in events],
                     "at": [at.isoformat() for _, at in events]})
    wide = columns | {kind: [";".join(at.isoformat() for k, at in events if k == kind)]
                      for kind, _ in events}
    for table in (ENGINE.evaluate_table("complaints", pa.table(columns), events=long,
                                        as_of=now),
                  ENGINE.evaluate_table("complaints", pa.table(wide), as_of=now)):
        got = table.to_pylist()[0]
        assert got["regulatory_decision.status"] == one.status == batch.status
        assert got["regulatory_decision.due_at"] == one.due_at == batch.due_at


def test_one_new_material_is_decided_by_the_arrays_as_the_row_engine_decides(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pa = pytest.importorskip("pyarrow")
    import finpolicy.domains.complaints.columnar as complaint_tables

    calls: list[int] = []
    original = complaint_tables._row_decision
    monkeypatch.setattr(complaint_tables, "_row_decision",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    now = sh(2025, 4, 30, 12)
    # new material each day from 4 to 25 March, with and without an extension on 10 March
    cases = [complaint(("new_material", sh(2025, 3, day, 15)), *extra)
             for day in range(4, 26) for extra in ([], [("extended", sh(2025, 3, 10, 9))])]
    columns: dict[str, list[Any]] = {
        "id": [f"c{i}" for i in range(len(cases))],
        "received_at": [c.received_at.isoformat() for c in cases],
        "channel": ["phone"] * len(cases), "category": ["product"] * len(cases),
        "severity": ["general"] * len(cases), "flags": [""] * len(cases)}
    for kind in ("new_material", "extended"):
        columns[kind] = [next((e.at.isoformat() for e in c.events if e.kind == kind), None)
                         for c in cases]
    rows = ENGINE.evaluate_table("complaints", pa.table(columns), as_of=now).to_pylist()
    assert calls == []  # the arrays decided every row
    for row, c in zip(rows, cases, strict=True):
        m = regulatory(c, now)
        assert (row["regulatory_decision.status"], row["regulatory_decision.due_at"],
                row["regulatory_decision.started_at"]) == (m.status, m.due_at, m.started_at)
