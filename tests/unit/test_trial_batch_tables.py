"""Batch sources at their boundaries: chunking, column types and row alignment."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.columnar.tables import batches  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
ON = dt.date(2026, 3, 2)


def test_a_table_of_many_small_chunks_is_read_in_chunks_of_chunk_rows() -> None:
    table = pa.table({"id": [f"c{i}" for i in range(50)], "risk_level": ["C3", "C1"] * 25})
    split = pa.Table.from_batches(table.to_batches(max_chunksize=1))
    assert [b.num_rows for b in batches(split, chunk_rows=20)] == [20, 20, 10]
    offer = [fp.Product(id="p1", kind="fund", risk_level="R3"),
             fp.Product(id="p2", kind="fund", risk_level="R1")]
    # the decisions come product by product within each chunk of chunk_rows customers,
    # however the table itself is chunked
    got = ENGINE.evaluate_table("suitability", split, as_of=ON, products=offer, chunk_rows=20)
    assert got.equals(ENGINE.evaluate_table("suitability", table, as_of=ON, products=offer,
                                            chunk_rows=20))
    assert got.column("customer_id").to_pylist()[:21] == [f"c{i}" for i in range(20)] + ["c0"]


@pytest.mark.parametrize("domain", ["suitability", "complaints", "access", "classification"])
def test_a_column_named_twice_is_refused_not_read_as_absent(domain: str, tmp_path: Any) -> None:
    # Arrow finds no column of a name given twice: risk_level was read as missing
    table = pa.Table.from_arrays([pa.array(["c1"]), pa.array(["C3"]), pa.array(["C5"])],
                                 names=["id", "risk_level", "risk_level"])
    path = tmp_path / "book.csv"
    path.write_text("id,risk_level,risk_level\nc1,C3,C5\n", encoding="utf-8")
    options: dict[str, Any] = {"as_of": "2026-03-02T10:00+08:00"}
    if domain == "suitability":
        options = {"as_of": ON, "products": [fp.Product(id="p", kind="fund", risk_level="R1")]}
    for source, where in ((table, "table: the"), (path, f"{path}: the")):
        with pytest.raises(InputError, match="column `risk_level` appears twice") as caught:
            ENGINE.evaluate_table(domain, source, **options)
        assert where in str(caught.value)


def _views(table: Any) -> Any:
    return pa.table({n: c.cast(pa.string_view()) if pa.types.is_string(c.type) else c
                     for n, c in zip(table.column_names, table.columns, strict=True)})


def test_text_views_are_read_as_text_by_every_domain() -> None:
    # polars can hand texts out as string_view: access raised ArrowNotImplementedError
    # ('array_take' has no kernel for string_view) and complaints lost every complaint_id
    access = pa.table({"subject.id": ["u1"], "subject.roles": ["teller"], "action": ["read"],
                       "purpose": ["account_service"], "resource.type": ["customer_record"],
                       "resource.data_level": ["ordinary"],
                       "resource.category": ["basic_identity"], "recipient": ["partner"]})
    complaints = pa.table({"id": ["k1"], "received_at": ["2026-03-01T10:00+08:00"],
                           "channel": ["phone"], "category": ["service"]})
    customers = pa.table({"id": ["c1"], "risk_level": ["C3"]})
    offer = [fp.Product(id="p1", kind="fund", risk_level="R3")]
    for domain, table, options in (
            ("access", access, {"as_of": "2026-03-02T10:00+08:00"}),
            ("complaints", complaints, {"as_of": "2026-03-02T18:00+08:00"}),
            ("suitability", customers, {"as_of": ON, "products": offer}),
            ("classification", customers, {"as_of": ON})):
        want = ENGINE.evaluate_table(domain, table, **options).to_pylist()
        assert ENGINE.evaluate_table(domain, _views(table), **options).to_pylist() == want


@pytest.mark.parametrize("chunk_rows", [0, -1, 1.5, "10", True])
def test_a_chunk_size_that_is_no_whole_number_of_rows_is_refused(chunk_rows: Any) -> None:
    # 1.5 and "10" raised TypeError tracebacks; True was taken as 1
    table = pa.table({"id": ["c1"]})
    with pytest.raises(InputError, match="chunk_rows: expected a whole number of rows"):
        ENGINE.evaluate_table("classification", table, as_of=ON, chunk_rows=chunk_rows)


def test_an_option_the_domain_does_not_take_is_refused_naming_its_options() -> None:
    # it was a TypeError: "prepare() got an unexpected keyword argument 'product'"
    table = pa.table({"id": ["c1"]})
    with pytest.raises(InputError, match=r"product: `suitability` tables take no option "
                                         r"`product` \(its options: products, key\)"):
        ENGINE.evaluate_table("suitability", table, as_of=ON, product=[])
    with pytest.raises(InputError, match=r"\(its options: key\)"):
        list(ENGINE.iter_tables("classification", table, as_of=ON, keys="id"))


def test_a_csv_row_with_more_or_fewer_cells_is_named_by_its_line(tmp_path: Any) -> None:
    # Arrow's parse error quotes the row but gives no line: 'Expected 2 columns, got 1: c3'
    path = tmp_path / "book.csv"
    path.write_text('id,risk_level\nc1,C3\n\n"c\n2",C1\nc3\n', encoding="utf-8")
    with pytest.raises(InputError, match=f"{path} line 6: table: not a readable CSV file"):
        ENGINE.evaluate_table("classification", path, as_of=ON)


def test_a_csv_of_a_header_without_a_line_end_has_no_rows(tmp_path: Any) -> None:
    # Arrow refused it: 'Empty CSV file or block: cannot infer number of columns'
    path = tmp_path / "book.csv"
    path.write_text("id,risk_level", encoding="utf-8")
    offer = [fp.Product(id="p1", kind="fund", risk_level="R3")]
    assert ENGINE.evaluate_table("suitability", path, as_of=ON, products=offer).num_rows == 0
    assert ENGINE.evaluate_table("classification", path, as_of=ON).column_names[:1] == ["level"]


def test_a_source_without_rows_yields_one_table_without_rows(tmp_path: Any) -> None:
    # iter_tables yielded nothing, so the guide's chunk-writing loop crashed on an empty
    # book (writer.close() on None), `finpolicy suitability -o` wrote no file, and a review
    # of no grants had the role assignments' findings from evaluate_table only
    import pyarrow.parquet as pq

    path = tmp_path / "book.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string())}), path)
    offer = [fp.Product(id="p1", kind="fund", risk_level="R3")]
    (part,) = ENGINE.iter_tables("suitability", path, as_of=ON, products=offer)
    assert part.num_rows == 0 and part.column_names[:2] == ["customer_id", "product_id"]
    assignments = [{"subject_id": "u1", "role": "teller"}, {"subject_id": "u1",
                                                            "role": "compliance_auditor"}]
    grants = pa.table({"id": pa.array([], pa.string())})
    options: dict[str, Any] = {"what": "review", "as_of": "2026-03-31T18:00+08:00",
                               "assignments": assignments}
    whole = ENGINE.evaluate_table("access", grants, **options)
    assert pa.concat_tables(ENGINE.iter_tables("access", grants, **options)).equals(whole)


def test_a_table_of_events_or_products_naming_a_column_twice_is_refused() -> None:
    # an events table with two `at` columns raised a bare AssertionError
    complaints = pa.table({"id": ["k1"], "received_at": ["2026-03-01T10:00+08:00"],
                           "channel": ["phone"], "category": ["service"]})
    events = pa.Table.from_arrays([pa.array(["k1"]), pa.array(["contacted"]),
                                   pa.array(["2026-03-01T11:00+08:00"]), pa.array(["x"])],
                                  names=["complaint_id", "kind", "at", "at"])
    with pytest.raises(InputError, match="column `at` appears twice"):
        ENGINE.evaluate_table("complaints", complaints, events=events,
                              as_of="2026-03-02T18:00+08:00")
    products = pa.Table.from_arrays([pa.array(["p1"]), pa.array(["fund"]), pa.array(["R1"]),
                                     pa.array(["R5"])],
                                    names=["id", "kind", "risk_level", "risk_level"])
    with pytest.raises(InputError, match="column `risk_level` appears twice"):
        ENGINE.evaluate_table("suitability", pa.table({"id": ["c1"]}), as_of=ON,
                              products=products.to_batches()[0])


def _beyond() -> Any:
    """9999-12-31T23:00Z read in Asia/Shanghai: 10000-01-01 local, no Python datetime."""
    return pa.array([dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                     dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)],
                    pa.timestamp("us", tz="Asia/Shanghai"))


def test_a_date_or_time_python_cannot_hold_is_named_by_column_and_row(tmp_path: Any) -> None:
    # an OverflowError traceback ('date value out of range') from every domain, and a date
    # before year 1 was decided by the arrays although the row API cannot take it
    import pyarrow.parquet as pq

    offer = [fp.Product(id="p1", kind="fund", risk_level="R3")]
    far = pa.array([-800_000], pa.int32()).cast(pa.date32())
    history = pa.ListArray.from_arrays(pa.array([0, 1, 3], pa.int32()),
                                       pa.array([5, 9, 3_000_000], pa.int32()).cast(pa.date32()))
    path = tmp_path / "book.parquet"
    pq.write_table(pa.table({"id": ["c1", "c2"], "change_reported_at": _beyond()}), path)
    for source, column, where in (
            (pa.table({"id": ["c1"], "assessment_date": far}), "assessment_date", "table line 1"),
            (pa.table({"id": ["c1", "c2"], "assessment_history": history}),
             "assessment_history", "table line 2"),
            (path, "change_reported_at", f"{path} line 2")):
        with pytest.raises(InputError, match=f"{where}: {column}: a date or time Python "
                                             "cannot hold"):
            ENGINE.evaluate_table("suitability", source, as_of=ON, products=offer,
                                  chunk_rows=1)
    events = pa.table({"complaint_id": ["k1", "k1"], "kind": ["contacted"] * 2,
                       "at": _beyond()})
    complaints = pa.table({"id": ["k1"], "received_at": ["2026-03-01T10:00+08:00"],
                           "channel": ["phone"], "category": ["service"]})
    with pytest.raises(InputError, match="table line 2: at: a date or time"):
        ENGINE.evaluate_table("complaints", complaints, events=events,
                              as_of="2026-03-02T18:00+08:00")
    with pytest.raises(InputError, match="table line 2: d: a date or time"):
        ENGINE.evaluate_table("classification", pa.table({"d": _beyond()}), as_of=ON)


def test_a_series_or_a_lazy_frame_is_refused_as_no_table() -> None:
    # AttributeError tracebacks: 'Series' object has no attribute 'columns', 'LazyFrame'
    # object has no attribute 'to_arrow'
    pd = pytest.importorskip("pandas")
    sources = [pd.Series(["x"])]
    try:
        import polars as pl
    except ImportError:
        pass
    else:
        sources.append(pl.LazyFrame({"a": ["x"]}))
    for source in sources:
        with pytest.raises(InputError, match=f"got {type(source).__name__}"):
            ENGINE.evaluate_table("classification", source, as_of=ON)


def test_the_unnamed_index_pandas_writes_to_parquet_is_no_column(tmp_path: Any) -> None:
    # df.iloc[[0, 1, 3]].to_parquet() writes __index_level_0__: suitability refused it as an
    # unknown customer field, classification classified it, while the frame itself (read
    # without its index) gave neither
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["c1", "c2", "c3", "c4"], "risk_level": ["C3", "C1", "C5", "C2"]})
    path = tmp_path / "book.parquet"
    frame.iloc[[0, 1, 3]].to_parquet(path)
    offer = [fp.Product(id="p1", kind="fund", risk_level="R1")]
    got = ENGINE.evaluate_table("suitability", path, as_of=ON, products=offer)
    assert got.column("customer_id").to_pylist() == ["c1", "c2", "c4"]
    assert ENGINE.evaluate_table("classification", path, as_of=ON).equals(
        ENGINE.evaluate_table("classification", frame.iloc[[0, 1, 3]], as_of=ON))
    frame.iloc[[]].to_parquet(path)
    assert "__index_level_0__.level" not in ENGINE.evaluate_table(
        "classification", path, as_of=ON).column_names
