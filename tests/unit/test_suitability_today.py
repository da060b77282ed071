"""`finpolicy suitability` without --as-of: one day for the whole book, today in the policy's
time zone (Asia/Shanghai in cn-banking), on the CSV and the Parquet routes alike."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from finpolicy.cli import main

BOOK = {"customer.id": ["c1"], "customer.risk_level": ["C3"],
        "customer.assessment_date": ["2026-01-15"], "product.id": ["wm"],
        "product.kind": ["wealth_management"], "product.risk_level": ["R3"]}


@pytest.fixture
def machine_on_another_day(monkeypatch: pytest.MonkeyPatch) -> Iterator[dt.date]:
    """The machine's clock in a zone whose date is not Beijing's right now; yields
    Beijing's date."""
    beijing = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    # UTC-12 is 20 hours behind Beijing, UTC+14 6 hours ahead: one of them is on another day
    monkeypatch.setenv("TZ", "Etc/GMT+12" if beijing.hour < 20 else "Etc/GMT-14")
    time.tzset()
    assert dt.date.today() != beijing.date()
    yield beijing.date()
    monkeypatch.undo()
    time.tzset()


def test_a_parquet_book_is_decided_on_beijing_today_as_a_csv_book_is(
        tmp_path: Path, machine_on_another_day: dt.date) -> None:
    # the Parquet route took the machine's date (dt.date.today()): in the evening in UTC a
    # book was decided on the day before, by the version in force then, where the same rows
    # as CSV and evaluate_table were decided on Beijing's day
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table(BOOK), tmp_path / "book.parquet")
    (tmp_path / "book.csv").write_text(
        ",".join(BOOK) + "\n" + ",".join(v[0] for v in BOOK.values()) + "\n")
    days = []
    for name in ("book.parquet", "book.csv"):
        result = CliRunner().invoke(main, ["suitability", str(tmp_path / name), "--json"])
        assert result.exit_code == 0, result.output
        days.append(json.loads(result.output)["as_of"])
    today = machine_on_another_day
    if dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() != today:  # midnight passed
        pytest.skip("Beijing's midnight passed during the test")
    assert days == [today.isoformat()] * 2
