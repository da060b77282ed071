"""The column-wise scan (pyarrow) gives exactly the row reader's ``ScanReport``: generated CSVs
with unicode, blank, quoted and ID-like cells, the scan tests' odd files, Parquet columns of
every kind, and the files it must hand back to the row reader."""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.classification import scan_columns, scanning
from finpolicy.limits import MAX_CSV_CELL
from finpolicy.testing.fakes import bank_card, chinese_name, email, mobile, resident_id

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ON = dt.date(2026, 3, 1)
ENGINE = fp.PolicyEngine()
BLANKS = ["", " ", "\t", "\u3000", "\xa0 ", "\x1c", "\u2028"]


def _bad_id(rng: random.Random) -> str:
    """A resident ID whose check character is wrong: looks like an ID, is not one."""
    good = resident_id(rng)
    wrong = next(c for c in "0123456789X" if c != good[-1])
    return good[:-1] + wrong


def _cell(rng: random.Random, kind: str) -> str:
    if rng.random() < 0.15:
        return rng.choice(BLANKS)
    makers: dict[str, Any] = {
        "id": lambda: resident_id(rng) if rng.random() < 0.7 else _bad_id(rng),
        "card": lambda: bank_card(rng) if rng.random() < 0.8 else bank_card(rng)[:-1] + "0",
        "mobile": lambda: f" {mobile(rng)} " if rng.random() < 0.2 else mobile(rng),
        "email": lambda: email(rng),
        "name": lambda: chinese_name(rng),
        "text": lambda: rng.choice(['a, "quoted"', "line\nbreak", "é ü 😀", "5\" tall",
                                    "x;y", " pad ", "\r\nz", "客户"]),
    }
    return str(makers[kind]())


def _write(path: Path, rows: list[list[str]], header: list[str], *, delimiter: str = ",",
           terminator: str = "\n") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=terminator)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _generated(path: Path, seed: int, n: int) -> Path:
    rng = random.Random(seed)
    kinds = rng.sample(["id", "card", "mobile", "email", "name", "text"], rng.randint(2, 6))
    header = [rng.choice(["", k, "身份证号", "col"]) for k in kinds]
    rows = [[_cell(rng, k) for k in kinds] for _ in range(n)]
    return _write(path, rows, header, delimiter=rng.choice([",", ";", "\t", "|"]),
                  terminator=rng.choice(["\n", "\r\n"]))


def _both(path: Path, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    row = ENGINE.scan(path, as_of=ON, columnar=False, **options).to_dict()
    col = ENGINE.scan(path, as_of=ON, columnar=True, **options).to_dict()
    return row, col


@pytest.fixture
def no_row_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the scan falls back to the row reader: the file must be read column-wise."""
    def refuse(*_: Any) -> Any:
        raise AssertionError("the row reader was used")
    monkeypatch.setattr(scanning, "_read_rows", refuse)


@pytest.mark.parametrize("seed", range(12))
def test_generated_csvs_scan_the_same_column_wise(tmp_path: Path, seed: int) -> None:
    path = _generated(tmp_path / "g.csv", seed, 300 + seed * 97)
    for options in ({"sample": 40, "seed": seed}, {"sample": 1000},
                    {"sample": 25, "sample_mode": "first", "chunk_rows": 7 + seed},
                    {"sample": 5000, "sample_mode": "first", "chunk_rows": 50}):
        row, col = _both(path, **options)
        assert row == col, options


def test_the_columns_are_read_by_pyarrow_not_the_rows(tmp_path: Path,
                                                      no_row_path: None) -> None:
    path = _generated(tmp_path / "g.csv", 3, 500)
    report = ENGINE.scan(path, as_of=ON, sample=30, sample_mode="first", chunk_rows=11)
    assert report.rows % 11 == 0 and not report.complete
    assert ENGINE.scan(path, as_of=ON).rows == 500


def test_ids_failing_their_check_character_do_not_count(tmp_path: Path) -> None:
    rng = random.Random(5)
    rows = [[_bad_id(rng), resident_id(rng)] for _ in range(200)]
    path = _write(tmp_path / "ids.csv", rows, ["a", "b"])
    row, col = _both(path)
    assert row == col
    shares = {c["column"]: c for c in col["columns"]}
    assert shares["a"]["detector"] is None and shares["b"]["detector"] == "cn_resident_id"


@pytest.mark.parametrize("text", [
    "id_number;;id_number;x\n11010519491231002X;a;b\n;;;;extra\n",   # ragged rows
    "a,b\n1,2\n\"unterminated\n",                                       # quote left open
    "\n\na,b\n1,2\n",                                                   # blank lines first
    "a,b\n\n1,2\n\n\n3,4",                                              # blank lines between
    "身份证号,备注\n",                                                   # a header alone
    " , \n1,2\n",                                                       # a blank header
    "a\n\"\"\n \n\u3000\nx\n",                                          # one column
    "a,b\n\"x\" ,y\n\"ab\"cd,5\"\n",                                    # quotes mid-cell
])
def test_odd_files_scan_as_the_row_reader_scans_them(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(text, encoding="utf-8")
    try:
        row = ENGINE.scan(path, as_of=ON, columnar=False).to_dict()
    except fp.InputError as exc:
        with pytest.raises(fp.InputError) as caught:
            ENGINE.scan(path, as_of=ON, columnar=True)
        assert str(caught.value) == str(exc)
        return
    assert ENGINE.scan(path, as_of=ON, columnar=True).to_dict() == row


def test_encodings_and_marks_the_columns_cannot_read_go_by_rows(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("姓名,身份证号\n张三,11010519491231002X\n".encode("gbk"))
    row, col = _both(gbk, encoding="gbk")
    assert row == col and col["columns"][1]["level"] == "core"
    with pytest.raises(fp.InputError, match="gbk"):
        ENGINE.scan(gbk, as_of=ON, columnar=True)
    marked = tmp_path / "bom.csv"
    marked.write_bytes(b"\xef\xbb\xbfid,x\n11010519491231002X,1\n")
    for encoding in ("utf-8", "utf-8-sig", "UTF8"):
        row, col = _both(marked, encoding=encoding)
        assert row == col, encoding


def test_a_cell_over_the_limit_is_the_row_readers_error(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n" + "x" * (MAX_CSV_CELL + 1) + ",1\n",
                    encoding="utf-8")
    with pytest.raises(fp.InputError, match="longer than") as by_columns:
        ENGINE.scan(path, as_of=ON, columnar=True)
    with pytest.raises(fp.InputError) as by_rows:
        ENGINE.scan(path, as_of=ON, columnar=False)
    assert str(by_columns.value) == str(by_rows.value)


def test_blank_means_what_str_isspace_means() -> None:
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    assert scan_columns.non_empty(pa.array(every))[:] == [c for c in every if not c.isspace()]
    column = pa.array(["", " ", "\u3000\x1c", "x", " x ", None, "\u200b"])
    assert scan_columns.non_empty(column)[:] == ["x", " x ", "\u200b"]


def test_parquet_columns_of_every_kind_scan_the_same(tmp_path: Path) -> None:
    rng = random.Random(9)
    n = 700
    table = pa.table({
        "id": pa.array([resident_id(rng) if i % 5 else rng.choice(BLANKS) for i in range(n)]),
        "maybe": pa.array([None if i % 3 == 0 else mobile(rng) for i in range(n)]),
        "count": pa.array([i if i % 4 else None for i in range(n)], pa.int64()),
        "ratio": pa.array([float("nan") if i % 6 == 0 else i / 7 for i in range(n)]),
        "flag": pa.array([i % 2 == 0 for i in range(n)]),
        "day": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(n)]),
        "blob": pa.array([b"\x00\x01" if i % 2 else None for i in range(n)]),
        "large": pa.array([email(rng) for _ in range(n)], pa.large_string()),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=123)
    for options in ({"sample": 30, "chunk_rows": 50}, {}, {"sample": 10, "sample_mode": "first",
                                                          "chunk_rows": 64}):
        row, col = _both(path, **options)
        assert row == col, options


def test_progress_reaches_the_file_size(tmp_path: Path, no_row_path: None) -> None:
    path = _generated(tmp_path / "g.csv", 1, 2000)
    seen: list[tuple[int, int | None]] = []
    ENGINE.scan(path, as_of=ON, progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert seen[-1] == (size, size)


_CELL = st.one_of(st.sampled_from(BLANKS), st.text(max_size=12),
                  st.sampled_from(["11010519491231002X", "11010519491231002Y",
                                   "6222020200112233448", "13800138000", "a@b.cn"]))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), max_size=40),
       sample=st.integers(1, 20), first=st.booleans(), chunk=st.integers(1, 9))
def test_any_table_of_text_scans_the_same(tmp_path: Path, rows: list[list[str]], sample: int,
                                         first: bool, chunk: int) -> None:
    cleaned = [[c.replace("\x00", "") for c in r] for r in rows]
    path = _write(tmp_path / "h.csv", cleaned, ["a", "b", "c"])
    options = {"sample": sample, "chunk_rows": chunk,
               "sample_mode": "first" if first else "reservoir"}
    try:
        row = ENGINE.scan(path, as_of=ON, columnar=False, **options).to_dict()
    except fp.InputError as exc:
        with pytest.raises(fp.InputError) as caught:
            ENGINE.scan(path, as_of=ON, columnar=True, **options)
        assert str(caught.value) == str(exc)
        return
    assert ENGINE.scan(path, as_of=ON, columnar=True, **options).to_dict() == row


def test_the_reservoir_keeps_the_sample_it_always_kept() -> None:
    """Both readers share the sampler, so a change to it would pass the differential tests:
    this pins what the sampler (Algorithm L, seed 1) keeps, by rows or by Arrow columns."""
    values = [str(i) for i in range(10_000)]
    by_rows = scanning._Sampler(5, random.Random(1), first=False)
    by_columns = scanning._Sampler(5, random.Random(1), first=False)
    by_rows.extend(values)
    for i in range(0, len(values), 777):
        by_columns.extend(scan_columns.Values(pa.array(values[i:i + 777])))
    assert by_rows.items == by_columns.items == ["4163", "2475", "1031", "9042", "8872"]


def test_without_pyarrow_files_are_read_by_rows(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = _generated(tmp_path / "g.csv", 4, 300)
    expected = ENGINE.scan(path, as_of=ON).to_dict()
    monkeypatch.setitem(sys.modules, "pyarrow.csv", None)
    assert not scan_columns.available()
    assert ENGINE.scan(path, as_of=ON).to_dict() == expected


@pytest.mark.parametrize("value", [1, "yes", 0])
def test_the_columnar_option_takes_a_boolean_or_none(tmp_path: Path, value: Any) -> None:
    path = _generated(tmp_path / "g.csv", 4, 10)
    with pytest.raises(fp.InputError) as info:
        ENGINE.scan(path, as_of=ON, columnar=value)
    assert info.value.problems[0].path == "columnar"


_LOOKALIKES = st.sampled_from(["11010519491231002X", "11010519491231002x", "110105194912310021",
                               "6222020200112233448", "6222 0202 0011 2233 448", "13800138000",
                               "+86 138 0013 8000", "a@b.cn", "E12345678", "91350211M0000XUR4A",
                               "G1234567"])
_PADDING = st.sampled_from(["", " ", "\t", "\u3000", "\n", "\xa0", "x"])


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.one_of(st.tuples(_PADDING, _LOOKALIKES, _PADDING).map("".join),
                                st.text(max_size=20), st.integers(0, 10**19)),
                      min_size=256, max_size=400))
def test_prefiltered_detection_counts_what_every_check_counts(cells: list[Any]) -> None:
    """Above 256 values the detectors' checks see only what their RE2 prefilter passes; the
    counts must be those of checking every value."""
    from finpolicy.domains import detectors

    texts = [c if isinstance(c, str) else str(c) for c in cells
             if not (isinstance(c, str) and not c.strip())]
    got = {m.name: m.matched for m in detectors.detect_column(cells)}
    assert got == {n: sum(d.check(t) for t in texts) for n, d in detectors.DETECTORS.items()}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.sampled_from('ab1 ,;"\n\r\t\u3000é'), max_size=60),
       delimiter=st.sampled_from([None, ",", ";", '"', "\t"]), first=st.booleans())
def test_any_text_file_scans_the_same(tmp_path: Path, text: str, delimiter: str | None,
                                      first: bool) -> None:
    """Raw text, not written by ``csv``: stray quotes, bare carriage returns, blank lines, a
    delimiter that is the quote character."""
    path = tmp_path / "raw.csv"
    path.write_bytes(("a,b\n" + text).encode())
    options = {"delimiter": delimiter, "sample": 2, "chunk_rows": 2,
               "sample_mode": "first" if first else "reservoir"}
    try:
        row = ENGINE.scan(path, as_of=ON, columnar=False, **options).to_dict()
    except fp.InputError as exc:
        with pytest.raises(fp.InputError) as caught:
            ENGINE.scan(path, as_of=ON, columnar=True, **options)
        assert str(caught.value) == str(exc)
        return
    assert ENGINE.scan(path, as_of=ON, columnar=True, **options).to_dict() == row
