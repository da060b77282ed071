"""Complaint tables read ids as ``Complaint`` and the CSV reader do: trimmed, and one that is
blank once invisible characters are removed refused at its row."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

import finpolicy as fp
from finpolicy.errors import InputError

ENGINE = fp.PolicyEngine(fp.load_bundle())
RECEIVED = "2026-01-05T09:00:00+08:00"
AS_OF = "2026-01-06T09:00:00+08:00"


def _table(ids: list[Any], **extra: Any) -> pa.Table:
    n = len(ids)
    return pa.table({"id": ids, "received_at": [RECEIVED] * n, "channel": ["branch"] * n,
                     "category": ["product"] * n, **extra})


@pytest.mark.parametrize("blank", ["\u200b", "   ", " \u200b\u2060 "])
def test_a_complaint_with_a_blank_id_is_refused_at_its_row(blank: str) -> None:
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("complaints", _table(["x1", blank, " x3 "]), as_of=AS_OF)
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (2, "id")
    with pytest.raises(InputError):  # as the typed API refuses it
        ENGINE.complaint_sla({"id": blank, "received_at": RECEIVED, "channel": "branch",
                              "category": "product"}, as_of=AS_OF)


def test_a_padded_id_is_trimmed_as_every_other_text_cell() -> None:
    # the second row has an events cell, so the row engine decides it (from trimmed cells)
    table = _table([" x3 ", "\tx4 ", "投诉-5 "],
                   events=[None, "responded@2026-01-05T12:00:00+08:00", None])
    got = ENGINE.evaluate_table("complaints", table, as_of=AS_OF)
    assert got.column("complaint_id").to_pylist() == ["x3", "x4", "投诉-5"]


def test_long_form_events_join_a_padded_id_to_its_trimmed_complaint() -> None:
    events = pa.table({"complaint_id": [" x3", "x1 "], "kind": ["responded"] * 2,
                       "at": ["2026-01-05T12:00:00+08:00"] * 2})
    got = ENGINE.evaluate_table("complaints", _table(["x1", " x3 "]), as_of=AS_OF,
                                events=events).to_pylist()
    want = ENGINE.complaint_sla({"id": "x1", "received_at": RECEIVED, "channel": "branch",
                                 "category": "product", "events": [
                                     {"kind": "responded", "at": "2026-01-05T12:00:00+08:00"}]},
                                as_of=AS_OF)
    assert [r["complaint_id"] for r in got] == ["x1", "x3"]
    assert [r["final_response.completed_at"] for r in got] == [
        want.milestone("final_response").completed_at] * 2


def test_ids_in_chinese_are_read_without_checking_each_one(monkeypatch: Any) -> None:
    # a book of 20,000 ids such as 投诉-00000001 took 0.7 s checking each id alone
    from finpolicy.domains.complaints import columnar

    checked: list[str] = []
    original = columnar._reference
    monkeypatch.setattr(columnar, "_reference", lambda v: checked.append(v) or original(v))
    ids = [f"投诉-{i:08d}" for i in range(50)] + ["ｶ-1", "가-2", " 投诉-x "]
    got = ENGINE.evaluate_table("complaints", _table(ids), as_of=AS_OF)
    assert got.column("complaint_id").to_pylist() == [*ids[:-1], "投诉-x"]
    assert checked == [" 投诉-x "]
