"""Text kept as bytes (a Parquet BINARY column, a SQLite BLOB) is scanned as the text it is."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import finpolicy as fp

ON = dt.date(2026, 3, 1)
ID = "11010519491231002X"


def test_ids_kept_as_bytes_are_found_in_parquet_and_sqlite(tmp_path: Path) -> None:
    engine = fp.PolicyEngine(fp.load_bundle())
    values = [ID.encode(), "客户身份证号110101199003074514，已核实".encode(), b"\xff\xd8\xff\xe0"]
    pq.write_table(pa.table({"col_7": pa.array([values[0]] * 300, pa.binary()),
                             "备注_raw": pa.array(values * 100, pa.binary()),
                             "photo": pa.array([values[2]] * 300, pa.binary())}),
                   tmp_path / "t.parquet")
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("create table t (col_7 blob, 备注_raw blob, photo blob)")
        db.executemany("insert into t values (?, ?, ?)", [(values[0], v, values[2])
                                                          for v in values * 100])
    want = {"col_7": ("core", "cn_resident_id"), "备注_raw": ("core", "cn_resident_id_in_text"),
            "photo": ("ordinary", None)}
    for source, columnar in ((str(tmp_path / "t.parquet"), True),
                             (str(tmp_path / "t.parquet"), False),
                             (f"sqlite:///{tmp_path / 't.db'}?table=t", None)):
        report = engine.scan(source, as_of=ON, columnar=columnar)
        got = {c.column: (str(c.level), c.detector) for c in report.columns}
        assert got == want, source
        assert report["photo"].non_empty == 300
