"""Suitability over tables gives exactly the row engine's decisions: pairs and customers ×
products, typed columns and text columns (as CSV gives them), every source kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import finpolicy as fp  # noqa: E402
from finpolicy.domains.suitability.strategies import (  # noqa: E402
    customers,
    products,
    suitability_cases,
)
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)


def _row(decision: Any) -> dict[str, Any]:
    return {"customer_id": decision.customer_id, "product_id": decision.product_id,
            "outcome": decision.outcome, "rule_ids": [h.rule_id for h in decision.hits],
            "obligations": list(decision.obligations),
            "customer_level": decision.customer_level, "product_level": decision.product_level,
            "seller_level": decision.seller_level, "customer_age": decision.customer_age,
            "assessment_age_days": decision.assessment_age_days,
            "assessment_expired": decision.assessment_expired,
            "assessments_that_day": decision.assessments_that_day,
            "assessments_12m": decision.assessments_12m, "amount": decision.amount,
            "policy_id": decision.policy.id, "policy_version": decision.policy.version}


def _cells(model: Any, typed: bool) -> dict[str, Any]:
    data = model.model_dump(mode="python" if typed else "json", exclude_none=True)
    if not typed:
        data = {k: ";".join(v) if isinstance(v, list) else str(v).lower()
                if isinstance(v, bool) else str(v) for k, v in data.items()}
    return data


def _table(rows: list[dict[str, Any]]) -> Any:
    names = sorted({k for r in rows for k in r})
    return pa.table({k: [r.get(k) for r in rows] for k in names})


def _pairs(cases: list[dict[str, Any]], typed: bool) -> Any:
    rows = []
    for case in cases:
        row = {f"customer.{k}": v for k, v in _cells(case["customer"], typed).items()}
        row.update({f"product.{k}": v for k, v in _cells(case["product"], typed).items()})
        if case["amount"] is not None:
            row["amount"] = case["amount"] if typed else repr(case["amount"])
        if case["sale"] is not None:
            row.update({f"sale.{k}": v for k, v in _cells(case["sale"], typed).items()})
        rows.append(row)
    try:
        return _table(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # dates and datetimes mixed: as text
        return _pairs(cases, typed=False)


def _row_decisions(cases: list[dict[str, Any]], on: dt.date) -> list[dict[str, Any]]:
    return [_row(ENGINE.check_suitability(c["customer"], c["product"], amount=c["amount"],
                                          sale=c["sale"], as_of=on)) for c in cases]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(suitability_cases(), min_size=1, max_size=40), st.booleans())
def test_pairs_get_exactly_the_row_engines_decisions(cases: list[dict[str, Any]],
                                                     typed: bool) -> None:
    on = cases[0]["as_of"]
    try:
        want = _row_decisions(cases, on)
    except InputError:
        with pytest.raises(InputError):
            ENGINE.evaluate_table("suitability", _pairs(cases, typed), as_of=on)
        return
    got = ENGINE.evaluate_table("suitability", _pairs(cases, typed), as_of=on, chunk_rows=7)
    assert got.to_pylist() == want


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customers(as_of=ON), min_size=1, max_size=30, unique_by=lambda c: c.id),
       st.lists(products(), min_size=1, max_size=6, unique_by=lambda p: p.id),  # an offer
       st.booleans())  # lists a customer and a product once (one listed twice is refused)
def test_customers_against_products_get_the_row_engines_decisions(
        people: list[Any], offer: list[Any], typed: bool) -> None:
    rows = [_cells(c, typed) for c in people]
    try:
        table = _table(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        table = _table([_cells(c, False) for c in people])
    try:
        want = [_row(ENGINE.check_suitability(c, p, as_of=ON)) for p in offer for c in people]
    except InputError:
        with pytest.raises(InputError):
            ENGINE.evaluate_table("suitability", table, as_of=ON, products=offer)
        return
    got = ENGINE.evaluate_table("suitability", table, as_of=ON, products=offer,
                                chunk_rows=len(people))
    assert got.to_pylist() == want


def test_an_unknown_level_is_the_row_engines_error_located_at_its_row() -> None:
    table = pa.table({"id": ["a", "b"], "risk_level": ["C3", "C9"]})
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("suitability", table, as_of=ON,
                              products=[{"id": "p", "kind": "fund", "risk_level": "R2"}])
    (problem,) = info.value.problems
    assert (problem.code, problem.line) == ("unknown_level", 2)


def test_parquet_csv_pandas_and_polars_sources_give_the_same_table(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pa.table({"id": ["a", "b", "c"], "risk_level": ["C3", "C1", None],
                      "birth_date": [dt.date(1950, 1, 1), dt.date(1990, 5, 5), None],
                      "assessment_date": [dt.date(2025, 1, 1)] * 3,
                      "investable_assets": [100_000.0, None, 5.0]})
    offer = [{"id": "p1", "kind": "fund", "risk_level": "R4"},
             {"id": "p2", "kind": "wealth_management", "risk_level": "R1"}]
    want = ENGINE.evaluate_table("suitability", table, as_of=ON, products=offer).to_pylist()
    pq.write_table(table, tmp_path / "c.parquet")
    pacsv.write_csv(table, tmp_path / "c.csv")
    for source in (tmp_path / "c.parquet", str(tmp_path / "c.csv")):
        got = ENGINE.evaluate_table("suitability", source, as_of=ON, products=offer)
        assert got.to_pylist() == want, source
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"id": ["a", "b", "c"], "risk_level": ["C3", "C1", None],
                              "assessment_date": ["2025-01-01"] * 3,
                              "birth_date": ["1950-01-01", "1990-05-05", None],
                              "investable_assets": [100_000.0, None, 5.0]})
    got = ENGINE.evaluate_table("suitability", frame, as_of=ON, products=offer)
    assert got.to_pylist() == want
    polars = pytest.importorskip("polars")
    got = ENGINE.evaluate_table("suitability", polars.from_pandas(frame), as_of=ON,
                                products=offer)
    assert got.to_pylist() == want


def test_a_source_that_is_no_table_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="expected a pyarrow Table"):
        ENGINE.evaluate_table("suitability", 42, as_of=ON, products=[])
    with pytest.raises(InputError, match=r"expected a \.parquet or \.csv file"):
        ENGINE.evaluate_table("suitability", "book.xlsx", as_of=ON, products=[])


def test_finpolicy_suitability_reads_a_parquet_book_with_the_row_paths_counts(
        tmp_path: Path) -> None:
    import json

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from finpolicy.cli import main

    table = pa.table({"id": [f"c{i}" for i in range(60)],
                      "risk_level": [f"C{i % 5 + 1}" for i in range(60)],
                      "assessment_date": [dt.date(2025, 1, 1) + dt.timedelta(days=7 * i)
                                          for i in range(60)],
                      "birth_date": [dt.date(1940 + i, 3, 1) for i in range(60)]})
    pq.write_table(table, tmp_path / "c.parquet")
    pacsv.write_csv(table, tmp_path / "c.csv")
    (tmp_path / "p.csv").write_text("id,kind,risk_level\np1,fund,R2\np2,bond,R5\n",
                                    encoding="utf-8")
    runs = {}
    for name in ("c.parquet", "c.csv"):
        extra = ["-o", str(tmp_path / "d.parquet")] if name == "c.parquet" else []
        result = CliRunner().invoke(main, ["suitability", str(tmp_path / name), "--products",
                                           str(tmp_path / "p.csv"), "--as-of", "2026-03-02",
                                           "--json", *extra])
        assert result.exit_code == 0, result.output
        runs[name] = json.loads(result.stdout)
    assert runs["c.parquet"]["summary"] == runs["c.csv"]["summary"]
    # one shape for what both give: a script reads `total` whatever the input's format
    shared = ("as_of", "policies", "summary", "total")
    assert [runs["c.parquet"][k] for k in shared] == [runs["c.csv"][k] for k in shared]
    assert runs["c.csv"]["total"] == len(runs["c.csv"]["decisions"]) == 120
    assert pq.read_table(tmp_path / "d.parquet").num_rows == 120


@pytest.mark.parametrize(("output", "message"), [
    ("adir", "is a folder; expected a file"),  # was IsADirectoryError
    ("file.txt/d.parquet", "`file.txt` is not a folder"),  # was NotADirectoryError
    ("", "expected a file name, got an empty one"),  # was FileNotFoundError
    ("c.parquet", "is the input file"),  # the input was overwritten with the decisions
])
def test_an_output_that_cannot_be_written_is_refused_before_the_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str, message: str) -> None:
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from finpolicy.cli import main

    monkeypatch.chdir(tmp_path)
    pq.write_table(pa.table({"customer.id": ["c1"], "customer.risk_level": ["C3"],
                             "product.id": ["p1"], "product.kind": ["fund"],
                             "product.risk_level": ["R2"]}), "c.parquet")
    before = (tmp_path / "c.parquet").read_bytes()
    (tmp_path / "adir").mkdir()
    (tmp_path / "file.txt").write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(main, ["suitability", "c.parquet", "--as-of", "2026-03-02",
                                       "-o", output])
    assert result.exit_code == 3, result.output
    assert "error: --output: " in result.stderr and message in result.stderr
    assert (tmp_path / "c.parquet").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "c.parquet", "file.txt"]
