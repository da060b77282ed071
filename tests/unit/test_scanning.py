"""Scanning tables: CSV, Parquet and SQLite read in chunks, sampled, classified per column;
``finpolicy scan`` and its errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sqlite3
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains.scanning import _Sampler
from finpolicy.testing.fakes import customer_rows

ON = dt.date(2026, 3, 1)
EXPECTED = {  # column → (level, detector)
    "name": ("ordinary", None), "id_number": ("core", "cn_resident_id"),
    "mobile": ("ordinary", "cn_mobile"), "card_number": ("core", "bank_card"),
    "email": ("ordinary", "email"), "balance": ("important", None),
}
BY_CONTENT = {  # the same columns under meaningless names
    "col1": ("ordinary", None), "col2": ("core", "cn_resident_id"),
    "col3": ("ordinary", "cn_mobile"), "col4": ("core", "bank_card"),
    "col5": ("ordinary", "email"), "col6": ("ordinary", None),
}


def _write_csv(path: Path, n: int, *, header: list[str] | None = None, seed: int = 1) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or list(EXPECTED))
        for row in customer_rows(random.Random(seed), n):
            writer.writerow(row.values())
    return path


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 rows of realistic customer data (about 18 MB)."""
    return _write_csv(tmp_path_factory.mktemp("scan") / "customers.csv", 200_000)


def _levels(result: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {c["column"]: (c["level"], c["detector"]) for c in result["columns"]}


@pytest.mark.slow
def test_scan_cli_classifies_every_column_of_a_200k_row_csv(big_csv: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(big_csv), "--json", "--as-of", "2026-03-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"] == 200_000 and data["complete"] and data["level"] == "core"
    assert _levels(data) == EXPECTED
    for c in data["columns"]:
        assert c["sampled"] == 1000 and c["non_empty"] == 200_000
        if c["detector"]:
            assert c["share"] == 1.0


def test_scan_cli_prints_a_table(big_csv: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(big_csv), "--sample", "200",
                                       "--engine", "durable"])
    assert result.exit_code == 0, result.output
    for word in ("id_number", "cn_resident_id", "100%", "core", "important", "cn-classification"):
        assert word in result.stdout


def test_meaningless_column_names_are_classified_by_content(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "anon.csv", 3000, header=list(BY_CONTENT))
    result = CliRunner().invoke(main, ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert _levels(json.loads(result.stdout)) == BY_CONTENT


def test_both_engines_scan_alike(engines: dict[str, fp.PolicyEngine], tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "c.csv", 2000, header=list(BY_CONTENT))
    a = engines["compiled"].scan(path, as_of=ON).to_dict()
    b = engines["durable"].scan(path, as_of=ON).to_dict()
    assert b.pop("engine") == "durable" and a.pop("engine") == "compiled"
    assert a == b


@pytest.mark.slow
@pytest.mark.parametrize("columnar", [False, True])
def test_reading_is_chunked_and_memory_stays_small(engines: dict[str, fp.PolicyEngine],
                                                   big_csv: Path, columnar: bool) -> None:
    seen: list[tuple[int, int | None]] = []
    tracemalloc.start()
    try:
        result = engines["compiled"].scan(big_csv, as_of=ON, sample=100, chunk_rows=2000,
                                          progress=lambda d, t: seen.append((d, t)),
                                          columnar=columnar)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = big_csv.stat().st_size
    assert result.rows == 200_000
    assert peak < size / 4, f"peak {peak} bytes for a {size}-byte file"
    # by rows, progress comes every chunk of rows; column-wise, every block pyarrow parses
    assert len(seen) >= (5 if columnar else 90) and seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_samples_are_deterministic_and_spread_over_the_file(tmp_path: Path) -> None:
    values = [str(i) for i in range(10_000)]
    a, b, c = (_Sampler(50, random.Random(s), first=False) for s in (1, 1, 2))
    for s in (a, b, c):
        for i in range(0, len(values), 700):  # chunk boundaries must not matter
            s.extend(values[i:i + 700])
    assert a.items == b.items != c.items and a.seen == 10_000 and len(a.items) == 50
    assert max(int(v) for v in a.items) > 5000  # not just the head of the file
    first = _Sampler(50, random.Random(1), first=True)
    first.extend(values)
    assert first.items == values[:50]


def test_first_n_sampling_stops_reading_early(engines: dict[str, fp.PolicyEngine],
                                              tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "c.csv", 20_000)
    r = engines["compiled"].scan(path, as_of=ON, sample=10, sample_mode="first",
                                 chunk_rows=100)
    assert not r.complete and r.rows == 100
    assert {c.column: (str(c.level), c.detector) for c in r.columns} == EXPECTED


def test_parquet_files_are_read_by_batches(engines: dict[str, fp.PolicyEngine],
                                           tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = list(customer_rows(random.Random(3), 5000))
    table = pa.table({k: [r[k] for r in rows] for k in EXPECTED}
                     | {"card_as_int": [int(r["card_number"]) for r in rows],
                        "opened": [dt.date(2020, 1, 1)] * len(rows),
                        "blob": [b"x"] * len(rows)})
    pq.write_table(table, tmp_path / "c.parquet", row_group_size=1000)
    r = engines["durable"].scan(tmp_path / "c.parquet", as_of=ON, chunk_rows=700)
    assert r.format == "parquet" and r.rows == 5000
    levels = {c.column: (str(c.level), c.detector) for c in r.columns}
    assert levels == EXPECTED | {"card_as_int": ("core", "bank_card"),
                                 "opened": ("ordinary", None), "blob": ("ordinary", None)}


def _sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (name TEXT, id_number TEXT, mobile INTEGER, "
                 "card_number TEXT, email TEXT, balance REAL)")
    conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
                     [(r["name"], r["id_number"], int(r["mobile"]), r["card_number"],
                       r["email"], float(r["balance"]))
                      for r in customer_rows(random.Random(4), 3000)])
    conn.execute('CREATE TABLE "odd ""name""" (x TEXT)')
    conn.commit()
    conn.close()
    return path


def test_sqlite_tables_are_read_with_fetchmany(engines: dict[str, fp.PolicyEngine],
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db = _sqlite(tmp_path / "bank.db")
    monkeypatch.chdir(tmp_path)
    r = engines["compiled"].scan("sqlite:///bank.db?table=customers", as_of=ON, chunk_rows=500)
    assert r.format == "sqlite" and r.rows == 3000
    assert {c.column: (str(c.level), c.detector) for c in r.columns} == EXPECTED
    absolute = f"sqlite:///{db.resolve()}?table=odd%20%22name%22"
    assert engines["durable"].scan(absolute, as_of=ON).rows == 0


def test_csv_details_blank_duplicate_headers_ragged_rows_delimiters(
        engines: dict[str, fp.PolicyEngine], tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("id_number;;id_number;x\n11010519491231002X;a;b\n;;;;\n",
                    encoding="utf-8")
    r = engines["compiled"].scan(path, as_of=ON)
    assert [c.column for c in r.columns] == ["id_number", "column_2", "id_number_2", "x"]
    assert r.rows == 2 and r["id_number"].non_empty == 1 and r["x"].non_empty == 0
    # a value under no column was dropped: an ID number there went unseen, the scan complete
    path.write_text("name,notes\nzhang,hello,11010519491231002X\n", encoding="utf-8")
    with pytest.raises(fp.InputError, match="line 2: a value beyond the header's 2 columns"):
        engines["compiled"].scan(path, as_of=ON)
    header_only = tmp_path / "h.csv"
    header_only.write_text("身份证号,备注\n", encoding="utf-8")
    r = engines["compiled"].scan(header_only, as_of=ON)
    assert r.rows == 0 and str(r["身份证号"].level) == "core"


def test_gbk_files_need_their_encoding(engines: dict[str, fp.PolicyEngine],
                                       tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("姓名,身份证号\n张三,11010519491231002X\n".encode("gbk"))
    with pytest.raises(fp.InputError, match="gbk"):
        engines["compiled"].scan(path, as_of=ON)
    r = engines["compiled"].scan(path, as_of=ON, encoding="gbk")
    assert [str(c.level) for c in r.columns] == ["ordinary", "core"]


@pytest.mark.parametrize(("content", "what"), [
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + b"a,b\n" * 20, "a zip archive (an Excel .xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"a,b\n" * 20, "an Excel 97-2003 workbook"),
    (b"\x1f\x8b\x08\x00" + b"a,b\n" * 20, "gzip-compressed"),
    (b"SQLite format 3\x00" + b"a,b\n" * 20, "a SQLite database (scan it as sqlite:///"),
    (b"%PDF-1.7\n" + b"a,b\n" * 20, "a PDF document"),
])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "latin-1"])
def test_a_workbook_archive_database_or_pdf_is_refused_as_what_it_is(
        engines: dict[str, fp.PolicyEngine], tmp_path: Path, content: bytes, what: str,
        encoding: str) -> None:
    # latin-1 reads any bytes as text: the scan classified the bytes of a workbook as a table
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    for columnar in (True, False):
        with pytest.raises(fp.InputError, match="not CSV text") as info:
            engines["compiled"].scan(path, as_of=ON, encoding=encoding, columnar=columnar)
        assert what in str(info.value) and info.value.problems[0].code == "not_a_table"
    result = CliRunner().invoke(main, ["scan", str(path), "--encoding", encoding])
    assert result.exit_code == 3 and what in result.stderr


def test_a_parquet_file_under_another_name_is_read_as_parquet(
        engines: dict[str, fp.PolicyEngine], tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "export.csv"
    pq.write_table(pa.table({"证件号码": ["11010519491231002X"], "x": ["ok"]}), path)
    for columnar in (True, False):
        report = engines["compiled"].scan(path, as_of=ON, columnar=columnar)
        assert report.format == "parquet"
        assert [str(c.level) for c in report.columns] == ["core", "ordinary"]


def test_utf16_text_as_excel_saves_unicode_text_names_its_encoding(
        engines: dict[str, fp.PolicyEngine], tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("客户姓名\t证件号码\n张三\t11010519491231002X\n", encoding="utf-16")
    with pytest.raises(fp.InputError, match="is UTF-16 text .* give the encoding utf-16"):
        engines["compiled"].scan(path, as_of=ON)
    report = engines["compiled"].scan(path, as_of=ON, encoding="utf-16")
    assert [str(c.level) for c in report.columns] == ["ordinary", "core"]


@pytest.mark.parametrize(("source", "message"), [
    ("missing.csv", "no such file"),
    ("empty.csv", "is empty"),
    ("blank.csv", "no header row"),
    ("folder", "is a folder"),
    ("sqlite:///bank.db?table=nope", "no table `nope`"),
    ("sqlite:///bank.db", "name the table"),
    ("sqlite:///none.db?table=x", "no such database file"),
    ("sqlite:///bad.parquet?table=x", "not a SQLite database"),
    ("bad.parquet", "not a readable Parquet file"),
])
def test_bad_sources_give_clear_errors(engines: dict[str, fp.PolicyEngine], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, source: str,
                                       message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "bad.parquet").write_text("not parquet", encoding="utf-8")
    _sqlite(tmp_path / "bank.db")
    with pytest.raises(fp.InputError, match=message):
        engines["compiled"].scan(source, as_of=ON)
    result = CliRunner().invoke(main, ["scan", source])
    assert result.exit_code == 3
    assert message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(("options", "where"), [
    ({"sample": 0}, "sample"), ({"sample": "10"}, "sample"), ({"chunk_rows": -1}, "chunk_rows"),
    ({"sample_mode": "random"}, "sample_mode"), ({"colour": 1}, "colour"),
    ({"encoding": "klingon"}, "encoding"), ({"delimiter": ",,"}, "delimiter"),
    ({"delimiter": "，"}, "delimiter"), ({"delimiter": "\n"}, "delimiter"),
    ({"encoding": "\udcff"}, "encoding"),
    ({"progress": 3}, "progress"), ({"as_of": "soon"}, "as_of"),
])
def test_bad_options_raise_input_errors(engines: dict[str, fp.PolicyEngine], big_csv: Path,
                                        options: dict[str, Any], where: str) -> None:
    with pytest.raises(fp.InputError) as info:
        engines["compiled"].scan(big_csv, **options)
    assert info.value.problems[0].path == where


def test_a_source_of_the_wrong_type_is_an_input_error(
        engines: dict[str, fp.PolicyEngine]) -> None:
    with pytest.raises(fp.InputError, match="expected a path"):
        engines["compiled"].scan(42)


def test_broken_csv_is_an_input_error(engines: dict[str, fp.PolicyEngine],
                                      tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("a,b\n1,\"" + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(fp.InputError, match="not valid CSV"):
        engines["compiled"].scan(path, as_of=ON)


def test_parquet_without_pyarrow_says_what_to_install(
        engines: dict[str, fp.PolicyEngine], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    (tmp_path / "c.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(fp.InputError, match="pip install pyarrow"):
        engines["compiled"].scan(tmp_path / "c.parquet", as_of=ON)


@pytest.mark.parametrize(("args", "message"), [
    (["--delimiter", "，"], "delimiter: expected one ASCII character"),
    (["--encoding", "\udcff"], "Invalid value for '--encoding': `\\xff` is not text"),
])
def test_a_bad_csv_option_exits_3_naming_it(tmp_path: Path, args: list[str],
                                             message: str) -> None:
    """A full-width comma reached pyarrow (a ValueError traceback), a name holding a byte
    that is not UTF-8 the codec lookup (a UnicodeEncodeError traceback)."""
    path = tmp_path / "c.csv"
    path.write_text("name,phone\n张三,13800138000\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(path), *args])
    assert result.exit_code == 3, result.output
    assert message in result.output


def test_the_scan_table_prints_column_names_as_given(tmp_path: Path) -> None:
    """A header name reached the terminal raw: `\\x1b[2K` could erase a line of the table
    and `[red]…[/red]` was read as rich markup."""
    path = tmp_path / "t.csv"
    path.write_text("na\x1b[2Kme,[red]x[/red]\nzhang,hello\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "na\\x1b[2Kme" in result.output and "[red]x[/red]" in result.output
