"""A CSV file with a line far longer than any row (a binary dump, an export cut short, no line
break for gigabytes) is refused at that line without being read whole; a file in another
encoding than the one given is refused with an encoding that may read it."""

from __future__ import annotations

import datetime as dt
import itertools
import tracemalloc
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.errors import InputError

ON = dt.date(2026, 3, 1)
LONG = 40_000_000  # characters on one line: far beyond any row, small enough for a test


@pytest.fixture(scope="module")
def engine() -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle())


def _peak(engine: fp.PolicyEngine, path: Path, **options: object) -> tuple[InputError, int]:
    small = path.with_name("small.csv")  # the modules a scan imports, imported before
    small.write_text("name\nzhang\n", encoding="utf-8")
    engine.scan(str(small), as_of=ON, **options)
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as caught:
            engine.scan(str(path), as_of=ON, **options)
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("columnar", [True, False])
@pytest.mark.parametrize(("head", "line"), [(b"name,note\nzhang,ok\n", 3), (b"", 1)])
def test_a_line_longer_than_any_row_is_refused_at_its_line_unread(
        engine: fp.PolicyEngine, tmp_path: Path, columnar: bool, head: bytes,
        line: int) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(head + b"\x00" * LONG)
    error, peak = _peak(engine, path, columnar=columnar)
    (problem,) = error.problems
    assert (problem.code, problem.file, problem.line) == ("too_large", str(path), line)
    assert "the line is longer than" in problem.message
    assert peak < LONG // 2  # read up to the longest line a row may have (8.5M), not whole
    wide = tmp_path / "wide.csv"  # a row of cells at the cell limit is still read
    wide.write_text("备注,身份证号\n" + f"{'a' * 131_000},11010519491231002X\n" * 3,
                    encoding="utf-8")
    report = engine.scan(str(wide), as_of=ON, columnar=columnar)
    assert (report.rows, str(report["身份证号"].level)) == (3, "core")


def test_a_gbk_file_with_a_long_line_names_the_line_without_reading_it_whole(
        engine: fp.PolicyEngine, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(b"name,note\n" + "张三,".encode("gbk") + b"a" * LONG + b"\n")
    error, peak = _peak(engine, path)
    (problem,) = error.problems
    assert (problem.code, problem.line) == ("bad_encoding", 2)
    assert peak < LONG // 2



ENCODINGS = [  # the text, its encoding, the one given, the one suggested
    ("客户姓名,身份证号\n张三,11010519491231002X\n", "utf-8", "gbk", "utf-8"),
    ("name\n𠀀张\n", "gb18030", "gbk", "gb18030"),  # a character GBK does not have
    ("name,note\n" + "zhang,ok\n" * 5 + "张三,好\n", "gbk", "utf-8-sig", "gbk"),
]


def test_an_encoding_error_suggests_an_encoding_other_than_the_one_given(
        engine: fp.PolicyEngine, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    for (text, encoding, given, suggested), columnar in itertools.product(ENCODINGS,
                                                                          (True, False)):
        path.write_bytes(text.encode(encoding))
        with pytest.raises(InputError) as caught:
            engine.scan(str(path), as_of=ON, encoding=given, columnar=columnar)
        (problem,) = caught.value.problems
        assert problem.code == "bad_encoding"
        assert problem.message.endswith(f"give the encoding, e.g. {suggested}"), text
