"""``finpolicy sla`` over complaints whose deadlines run into a year whose holiday schedule
is not confirmed (2027 with the installed data): the summary says so, with how many
complaints, and ``--top 0`` (no list) is taken as the help allows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

_ROWS = [  # received at the year end, before and after the 17:00 cut-off, and in 2027
    ("ye-1659", "2026-12-31T16:59+08:00"), ("ye-1701", "2026-12-31T17:01+08:00"),
    ("cny", "2027-02-04T17:30+08:00"), ("plain", "2026-11-02T10:00+08:00")]


def _book(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"book{suffix}"
    if suffix == ".csv":
        lines = ["id,received_at,channel,category,severity,events"]
        lines += [f"{i},{at},phone,product,general," for i, at in _ROWS]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps({"id": i, "received_at": at, "channel": "phone",
                                            "category": "product", "severity": "general",
                                            "events": []}) + "\n" for i, at in _ROWS),
                        encoding="utf-8")
    return path


def _sla(*args: str) -> str:
    result = CliRunner().invoke(main, ["sla", *args])
    assert result.exit_code == 0, result.output[-2000:]
    return result.output


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_the_summary_counts_the_complaints_warned_of_an_unconfirmed_year(
        tmp_path: Path, suffix: str) -> None:
    book = str(_book(tmp_path, suffix))
    as_of = "2027-02-08T12:00+08:00"  # every complaint received by then
    data = json.loads(_sla(book, "--as-of", as_of, "--json"))
    # the November complaint's deadlines all end in 2026: no warning for it
    [(said, count)] = data["warnings"].items()
    assert count == 3
    assert "2027 is not confirmed" in said and "spec.calendar.confirmed_years" in said
    text = " ".join(_sla(book, "--as-of", as_of).split())
    assert "warning (3 complaints): the CN holiday schedule for 2027 is not confirmed" in text


def test_top_zero_prints_the_counts_without_a_list(tmp_path: Path) -> None:
    book = str(_book(tmp_path, ".jsonl"))
    data = json.loads(_sla(book, "--as-of", "2027-02-08T12:00+08:00", "--json", "--top", "0"))
    assert data["nearest_breach"] == [] and data["total"] == 4


def test_of_milestones_due_at_the_same_time_the_first_in_the_file_are_listed(
        tmp_path: Path) -> None:
    # five complaints received together (their first contact due at the same time), then one
    # received an hour earlier: its nearer deadline used to push out the file's first one
    # (c1), and a CSV of the same complaints listed other ones
    rows = [(f"c{i}", "2026-12-05T12:00+08:00") for i in range(1, 6)]
    rows.append(("c6", "2026-12-05T11:00+08:00"))
    listed = []
    for suffix in (".jsonl", ".csv"):
        path = tmp_path / f"tied{suffix}"
        if suffix == ".csv":
            path.write_text("id,received_at,channel,category,severity\n" + "".join(
                f"{i},{at},phone,product,general\n" for i, at in rows), encoding="utf-8")
        else:
            path.write_text("".join(json.dumps({"id": i, "received_at": at, "channel": "phone",
                                                "category": "product"}) + "\n"
                                    for i, at in rows), encoding="utf-8")
        data = json.loads(_sla(str(path), "--as-of", "2026-12-05T13:00+08:00", "--json",
                               "--top", "3"))
        listed.append([(n["complaint"], n["milestone"]) for n in data["nearest_breach"]])
    assert listed[0] == [("c6", "first_contact"), ("c1", "first_contact"),
                         ("c2", "first_contact")]
    assert listed[1] == listed[0]


def test_the_summary_lists_the_open_milestones_overdue_the_most(tmp_path: Path) -> None:
    # by 2026-11-20 c-old's deadlines have passed (not its regulatory decision, met by its
    # letter); c-new is late only for its first contact. The list said nothing of either: it
    # held only milestones not yet due.
    letter = {"kind": "responded", "at": "2026-11-03T10:00+08:00",
              "states": ["verification", "basis", "reasons", "remedies"]}
    rows = [{"id": "c-new", "received_at": "2026-11-18T10:00+08:00", "channel": "phone",
             "category": "product"},
            {"id": "c-old", "received_at": "2026-11-02T10:00+08:00", "channel": "phone",
             "category": "product", "events": [letter]}]
    path = tmp_path / "book.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    data = json.loads(_sla(str(path), "--as-of", "2026-11-20T12:00+08:00", "--json",
                           "--top", "4"))
    assert [(n["complaint"], n["milestone"], n["due_at"][:10], n["hours_left"])
            for n in data["overdue"]] == [
        ("c-old", "first_contact", "2026-11-03", -410.0),
        ("c-old", "initial_response", "2026-11-04", -372.0),
        ("c-old", "handling_opinion", "2026-11-09", -252.0),
        ("c-old", "final_response", "2026-11-11", -204.0)]   # (c-new's is 26 hours late)
    # the same complaints as CSV, their events in long form (evaluated as tables)
    table, events = tmp_path / "book.csv", tmp_path / "events.csv"
    table.write_text("id,received_at,channel,category\n" + "".join(
        f"{r['id']},{r['received_at']},phone,product\n" for r in rows), encoding="utf-8")
    events.write_text("complaint_id,kind,at,states\nc-old,responded,2026-11-03T10:00+08:00,"
                      "verification;basis;reasons;remedies\n", encoding="utf-8")
    tabled = json.loads(_sla(str(table), "--events", str(events), "--as-of",
                             "2026-11-20T12:00+08:00", "--json", "--top", "4"))
    assert tabled["overdue"] == data["overdue"]
    text = " ".join(_sla(str(path), "--as-of", "2026-11-20T12:00+08:00", "--top", "1").split())
    assert "Most overdue (open milestones past due)" in text
    assert "c-old │ first_contact │ 2026-11-03 10:00 +08:00 │ 410.0" in text
