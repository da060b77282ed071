"""Campaign files with records set aside (``plan_file(rejects=...)``, ``finpolicy campaign
--bad-rows FILE``): a refused customer record is set aside alone; a refused consent or
contact takes its customer with it (planned without a withdrawal, the customer could be
contacted against it); a record that names no customer stops the campaign, as by default."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains.consent.batch import plan_file
from finpolicy.errors import InputError

AT = "2026-03-02T10:00:00+08:00"
GIVEN = "2026-01-01T10:00:00+08:00"


def _consent(i: str, customer: str, **changes: Any) -> dict[str, Any]:
    return {"consent": {"id": i, "customer": customer, "purpose": "marketing",
                        "given_at": GIVEN, "channels": ["sms"], **changes}}


RECORDS = [
    {"customer": {"id": "cu-1", "channels": ["sms"]}},                         # 1
    {"customer": {"id": "cu-2", "channels": ["sms"]}},                         # 2
    _consent("k2", "cu-2", withdrawn_at="yesterday"),                           # 3 bad
    {"customer": {"id": "cu-3", "time_zone": "Mars/Olympus"}},                  # 4 bad
    {"customer": {"id": "CU-1"}},                                               # 5 again
    _consent("k4", "cu-4", channels=["pigeon"]),                                # 6 bad
    {"customer": {"id": "cu-4"}},                                               # 7
    _consent("k1", "cu-1"),                                                     # 8
    {"contact": {"customer": "cu-5", "channel": "sms", "purpose": "marketing",
                 "at": "soon"}},                                            # 9 bad
    {"customer": {"id": "cu-5"}},                                               # 10
    {"customer": {"id": "cu-6", "channels": ["sms"]}},                          # 11
    _consent("k6", "cu-6"),                                                     # 12
]
GOOD = [RECORDS[i - 1] for i in (1, 8, 11, 12)]


def _write(path: Path, records: list[Any]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


def _plan(path: str, **options: Any) -> Any:
    return plan_file(fp.PolicyEngine().runtime, path, as_of=dt.datetime.fromisoformat(AT),
                     **options)


def test_bad_records_are_set_aside_with_the_customers_they_concern(tmp_path: Path) -> None:
    book = _write(tmp_path / "book.jsonl", RECORDS)
    with pytest.raises(InputError, match="line 3"):
        _plan(book)
    rejects: list[dict[str, Any]] = []
    got = _plan(book, rejects=rejects)
    want = _plan(_write(tmp_path / "good.jsonl", GOOD))
    assert [e.to_dict() for e in got.entries] == [e.to_dict() for e in want.entries]
    assert sorted((r["row"], r["key"], r["code"]) for r in rejects) == [
        (2, "cu-2", "set_aside_with_record"), (3, "cu-2", "datetime_from_date_parsing"),
        (4, "cu-3", "value_error"), (5, "CU-1", "duplicate_value"),
        (6, "cu-4", "unknown_channel"), (7, "cu-4", "set_aside_with_record"),
        (9, "cu-5", "datetime_from_date_parsing"), (10, "cu-5", "set_aside_with_record")]


@pytest.mark.parametrize("record", [
    {"consent": {"purpose": "marketing", "given_at": GIVEN}},   # whose consent?
    {"contact": {"customer": "", "channel": "sms", "at": AT}},
    {"customr": {"id": "cu-9"}},                                # not a kind of record
])
def test_a_bad_record_that_names_no_customer_stops_the_campaign(tmp_path: Path,
                                                                record: Any) -> None:
    book = _write(tmp_path / "book.jsonl", [RECORDS[0], record])
    with pytest.raises(InputError, match="line 2"):
        _plan(book, rejects=[])


def test_a_document_has_no_lines_to_set_aside(tmp_path: Path) -> None:
    document = tmp_path / "book.json"
    document.write_text(json.dumps({"customers": [{"id": "cu-1"}]}), encoding="utf-8")
    with pytest.raises(InputError, match="JSON-lines campaign file"):
        _plan(str(document), rejects=[])


def test_campaign_bad_rows_writes_them_and_exits_1(tmp_path: Path) -> None:
    book = _write(tmp_path / "book.jsonl", RECORDS)
    out = tmp_path / "rejects.jsonl"
    result = CliRunner().invoke(main, ["campaign", book, "--as-of", AT, "--json",
                                       "--bad-rows", str(out)])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["customers"] == 2
    assert "8 row(s) set aside" in result.stderr
    rows = [json.loads(line)["row"] for line in out.read_text().splitlines()]
    assert rows == [2, 3, 4, 5, 6, 7, 9, 10]
