"""Records over tables: every row's decisions are exactly ``classify_record``'s for the row as
a mapping, field by field; errors are the row engine's, located at the row; every source kind
gives the same table."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402
from finpolicy.testing import fakes  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)


def _expected(decision: Any, key: str | None = None,
              row: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``RecordClassificationDecision`` as the decisions table flattens it."""
    out: dict[str, Any] = {} if key is None or row is None else {key: row[key]}
    out.update({"level": str(decision.level), "rule_ids": [h.rule_id for h in decision.hits],
                "obligations": list(decision.obligations)})
    for name, field in decision.fields.items():
        out.update({f"{name}.level": str(field.level), f"{name}.category": field.category,
                    f"{name}.pfi_category": field.pfi_category, f"{name}.mask": field.mask,
                    f"{name}.detector": field.detector, f"{name}.share": field.share,
                    f"{name}.rule_ids": [h.rule_id for h in field.hits]})
    return out


def _one_by_one(table: Any, on: dt.date = ON) -> list[dict[str, Any]]:
    return [_expected(ENGINE.classify_record(row, as_of=on)) for row in table.to_pylist()]


def _records(n: int, seed: int) -> Any:
    return pa.Table.from_pylist(list(fakes.customer_records(random.Random(seed), n)))


@pytest.mark.parametrize("rows", [
    2_000, pytest.param(20_000, marks=pytest.mark.slow)])
def test_generated_customer_records_get_exactly_the_row_engines_decisions(rows: int) -> None:
    table = _records(rows, seed=7)
    got = ENGINE.evaluate_table("classification", table, as_of=ON, chunk_rows=rows // 3)
    assert got.num_rows == table.num_rows
    want = _one_by_one(table)
    for i, (a, b) in enumerate(zip(got.to_pylist(), want, strict=True)):
        assert a == b, f"row {i + 1}: {table.slice(i, 1).to_pylist()[0]}"
    # the book is mixed enough to tell the detectors' verdicts apart
    assert set(got.column("mobile.detector").to_pylist()) == {"cn_mobile", None}
    assert {"cn_resident_id", "passport", "cn_uscc", None} <= set(
        got.column("note.detector").to_pylist())


def _near_numbers(rng: random.Random) -> str:
    """Digit strings around cards and IDs: issuer prefixes, lengths 14 to 20, good and bad
    check digits, odd dates, spaces inside and around."""
    from finpolicy.domains.detectors import luhn_check_digit, resident_id_check_char

    kind = rng.random()
    if kind < 0.4:
        start = rng.choice(["4", "34", "37", "2221", "2720", "3528", "3589", "62", "60", "9558",
                            "95599", "0", "1", "51", "55", "56", "2220", "2721", "3527"])
        body = (start + "".join(rng.choice("0123456789") for _ in range(20)))[
            :rng.randint(13, 19)]
        value = body + (luhn_check_digit(body) if rng.random() < 0.8 else "0")
    else:
        day = rng.choice(["19000229", "20000229", "19000101", "18991231", "20991231",
                          "20240230", "00000101", "19991301", "19990100", "20260302"])
        body = rng.choice(["11", "44", "99", "00", "81"]) + "0105" + day + "123"
        value = body + (resident_id_check_char(body) if rng.random() < 0.8 else "5")
        value = value[:17] + value[17].lower() if rng.random() < 0.2 else value
    if rng.random() < 0.3:
        cut = rng.randint(1, len(value) - 1)
        value = value[:cut] + rng.choice([" ", "  ", "-"]) + value[cut:]
    return rng.choice(["", " ", "\u3000", "\t"]) + value + rng.choice(["", " ", "\n"])


def _near_uscc(rng: random.Random) -> str:
    """Credit codes and near-misses: authority and type pairs, areas, check characters."""
    from finpolicy.domains.detectors import uscc_check_char

    if rng.random() < 0.3:
        return fakes.uscc(rng)
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = (rng.choice("1592YA") + rng.choice("0123459Y") + rng.choice(["11", "10", "99", "00"])
            + "".join(rng.choice("0123456789") for _ in range(4))
            + "".join(rng.choice(chars + "IOZ") for _ in range(9)))
    good = all(c in chars for c in body) and rng.random() < 0.8
    return body + (uscc_check_char(body) if good else rng.choice(chars))


def test_array_checks_agree_with_the_detectors_value_by_value() -> None:
    from finpolicy.domains.classification.columnar_facts import fact_codes
    from finpolicy.domains.detectors import DETECTORS, detect_column

    rng = random.Random(13)
    values = [_near_numbers(rng) for _ in range(20_000)]
    values += [fakes.mobile(rng) for _ in range(500)] + [fakes.passport(rng) for _ in range(500)]
    values += [_near_uscc(rng) for _ in range(3_000)]
    names = sorted(DETECTORS)
    codes = fact_codes(pa.array(values), names, "v")
    for value, code in zip(values, codes, strict=True):
        matches = {m.name for m in detect_column([value], names) if m.matched}
        want = 0 if not value.strip() else 1 + sum(1 << i for i, n in enumerate(names)
                                                   if n in matches)
        assert code == want, value


def test_typed_columns_read_as_the_row_engine_reads_them() -> None:
    table = pa.table({
        "mobile": pa.array([13812345678, 12345, None, 18600001111], pa.int64()),
        "card_number": pa.array([6222020000000000006, None, 1, 2], pa.uint64()),
        "birth_date": [dt.date(1990, 1, 1), None, dt.date(2000, 2, 29), dt.date(1950, 1, 1)],
        "updated": [dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC), None, None,
                    dt.datetime(2025, 1, 1)],
        "balance": [Decimal("12.50"), Decimal("0"), None, Decimal("-1")],
        "vip": [True, False, None, True],
        "score": [1.5, -0.0, None, 1e300],
        "id_number": pa.array(["110101199003070016", "1", None, "x"]).dictionary_encode(),
        "samples": [["13812345678", "x"], None, [], ["a@b.cn"]],
    })
    got = ENGINE.evaluate_table("classification", table, as_of=ON)
    assert got.to_pylist() == _one_by_one(table)


_NAMES = ("name", "id_number", "Contact Phone", "mobile", "email", "card_number", "note",
          "身份证号", "备注", "balance", "x")
_TEXT = st.one_of(
    st.text(max_size=12), st.sampled_from(["", " ", "\u3000", "\u00a0", "\n", "-", "0"]),
    st.randoms(use_true_random=False).map(lambda r: r.choice([
        fakes.resident_id, fakes.invalid_resident_id, fakes.bank_card, fakes.invalid_bank_card,
        fakes.mobile, fakes.email, fakes.uscc, fakes.passport, fakes.chinese_name])(r)),
    st.randoms(use_true_random=False).map(lambda r: f"  {fakes.mobile(r)} "),
    st.text(alphabet="0123456789 X", min_size=10, max_size=20))
_KINDS = {
    "text": _TEXT,
    "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "float": st.floats(allow_nan=True, allow_infinity=True),
    "date": st.dates(),
    "bool": st.booleans(),
}


@st.composite
def _tables(draw: Any) -> Any:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=5, unique=True))
    rows = draw(st.integers(min_value=1, max_value=25))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(sorted(_KINDS)))
        values = draw(st.lists(st.none() | _KINDS[kind], min_size=rows, max_size=rows))
        columns[name] = pa.array(values, pa.float64() if kind == "float" else None)
    return pa.table(columns)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables(), st.integers(min_value=1, max_value=9))
def test_odd_values_get_the_row_engines_decisions_or_its_error(table: Any,
                                                               chunk: int) -> None:
    try:
        want = _one_by_one(table)
    except InputError as exc:
        with pytest.raises(InputError) as info:
            ENGINE.evaluate_table("classification", table, as_of=ON, chunk_rows=chunk)
        rows = table.to_pylist()
        line = next(i for i, r in enumerate(rows, start=1) if _refused(r))
        (problem,) = info.value.problems
        assert (problem.code, problem.line) == (exc.problems[0].code, line)
        return
    got = ENGINE.evaluate_table("classification", table, as_of=ON, chunk_rows=chunk)
    assert got.to_pylist() == want


def _refused(row: dict[str, Any]) -> bool:
    try:
        ENGINE.classify_record(row, as_of=ON)
    except InputError:
        return True
    return False


def test_a_non_finite_number_is_the_row_engines_error_at_its_row() -> None:
    table = pa.table({"name": ["a", "b", "c"], "score": [1.0, 2.0, math.inf]})
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("classification", table, as_of=ON, chunk_rows=2)
    (problem,) = info.value.problems
    assert (problem.code, problem.line, problem.path) == ("non_finite", 3, "record.score")


def test_a_csv_error_names_the_file_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("name,note\n张三,ok\n李四,fine\n", encoding="utf-8")
    table = ENGINE.evaluate_table("classification", str(path), as_of=ON)
    assert table.num_rows == 2
    bad = pa.table({" ": ["x", "y"]})
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("classification", bad, as_of=ON)
    (problem,) = info.value.problems
    assert (problem.code, problem.line) == ("bad_field_name", 1)


def test_duplicate_columns_and_a_missing_key_are_clear_errors() -> None:
    twice = pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["x", "x"])
    with pytest.raises(InputError, match="appears twice"):
        ENGINE.evaluate_table("classification", twice, as_of=ON)
    with pytest.raises(InputError, match="no column `id`"):
        ENGINE.evaluate_table("classification", pa.table({"x": ["a"]}), as_of=ON, key="id")
    with pytest.raises(InputError, match="name of a decision column"):
        ENGINE.evaluate_table("classification", pa.table({"level": ["a"]}), as_of=ON,
                              key="level")


def test_a_key_column_comes_first_and_is_classified_too() -> None:
    table = _records(300, seed=3).append_column("customer_id",
                                                pa.array([f"c{i}" for i in range(300)]))
    got = ENGINE.evaluate_table("classification", table, as_of=ON, key="customer_id",
                                chunk_rows=128)
    assert got.column_names[0] == "customer_id"
    want = [_expected(ENGINE.classify_record(r, as_of=ON), "customer_id", r)
            for r in table.to_pylist()]
    assert got.to_pylist() == want


def test_empty_tables_have_the_decision_columns(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    empty = pa.table({"name": pa.array([], pa.string()), "mobile": pa.array([], pa.string())})
    pq.write_table(empty, tmp_path / "empty.parquet")
    (tmp_path / "empty.csv").write_text("name,mobile\n", encoding="utf-8")
    for source in (empty, tmp_path / "empty.parquet", str(tmp_path / "empty.csv")):
        got = ENGINE.evaluate_table("classification", source, as_of=ON)
        assert got.num_rows == 0
        assert got.column_names[:3] == ["level", "rule_ids", "obligations"]
        assert "mobile.level" in got.column_names, source
    parts = list(ENGINE.iter_tables("classification", _records(10, 1), as_of=ON, chunk_rows=4))
    assert [p.num_rows for p in parts] == [4, 4, 2]


def test_parquet_csv_pandas_and_polars_sources_give_the_same_table(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = _records(500, seed=11)
    # a CSV cell is text and an empty one absent: compare on what a CSV can hold
    table = pa.table({n: pa.array([v if v else None for v in table.column(n).to_pylist()],
                                  pa.string()) for n in table.column_names})
    want = _one_by_one(table)
    assert ENGINE.evaluate_table("classification", table, as_of=ON).to_pylist() == want
    pq.write_table(table, tmp_path / "r.parquet")
    pacsv.write_csv(table, tmp_path / "r.csv")
    for source in (tmp_path / "r.parquet", str(tmp_path / "r.csv")):
        got = ENGINE.evaluate_table("classification", source, as_of=ON, chunk_rows=77)
        assert got.to_pylist() == want, source
    pandas = pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert ENGINE.evaluate_table("classification", frame, as_of=ON).to_pylist() == want
    polars = pytest.importorskip("polars")
    got = ENGINE.evaluate_table("classification", polars.from_pandas(frame), as_of=ON)
    assert got.to_pylist() == want
    assert len(got.to_pandas()) == len(want)
    assert isinstance(pandas.DataFrame(got.to_pandas()), pandas.DataFrame)


def test_scan_is_unchanged_by_the_records_tables(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    rows = list(fakes.customer_rows(random.Random(2), 50))
    path.write_text("\n".join([",".join(rows[0]), *(",".join(r.values()) for r in rows)]),
                    encoding="utf-8")
    from finpolicy.columnar.api import table_domains

    for columnar in (True, False):
        report = ENGINE.scan(str(path), as_of=ON, columnar=columnar)
        levels = {c.column: str(c.classification.level) for c in report.columns}
        assert levels["id_number"] == "core", columnar
    assert "classification" in table_domains()


@pytest.mark.parametrize("change", ["floor", "detectors", "min_samples"])
def test_policy_variants_and_the_durable_engine_agree_with_the_row_engine(
        tmp_path: Path, change: str) -> None:
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(fp.load_bundle().root, pack)
    file = pack / "classification.yaml"
    text = file.read_text(encoding="utf-8")
    edits = {
        "floor": ("      examples: [name, gender, birth date, ID number, contact details, "
                  "address]\n", "      min_level: core\n"),
        "detectors": ("    detectors: [cn_resident_id, bank_card, cn_mobile, email, cn_uscc, "
                      "passport,\n          cn_resident_id_in_text, bank_card_in_text, "
                      "cn_mobile_in_text, email_in_text]\n", None),
        "min_samples": ("    min_samples: 1\n", None)}
    line, extra = edits[change]
    assert line in text
    replacement = {"floor": line + (extra or ""),
                   "detectors": "    detectors: [passport, email]\n",
                   "min_samples": "    min_samples: 2\n"}[change]
    file.write_text(text.replace(line, replacement), encoding="utf-8")
    table = _records(400, seed=21)
    for name in ("compiled", "durable"):
        engine = fp.PolicyEngine(fp.load_bundle(pack), engine=name)
        want = [_expected(engine.classify_record(r, as_of=ON)) for r in table.to_pylist()]
        got = engine.evaluate_table("classification", table, as_of=ON, chunk_rows=150)
        assert got.to_pylist() == want, name
