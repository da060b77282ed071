"""The benchmark's workloads are inputs the engine decides. A benchmark that stops on an
``InputError`` measures nothing, and three did when complaint inputs came to be checked more
strictly (a batch decided before later receipts, a survey answered both ways, a review asked
for before any decision), unnoticed until the benchmark was next run. Each workload is built
small here and decided as the benchmark decides it."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

import finpolicy as fp

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(autouse=True)
def _benchmarks_importable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield
    for name in [m for m, module in sys.modules.items()
                 if str(getattr(module, "__file__", "") or "").startswith(str(BENCHMARKS))]:
        del sys.modules[name]


@pytest.mark.slow
def test_the_domains_benchmark_decides_every_call() -> None:
    import run

    rows = run.bench_domains(Console(file=io.StringIO()), 40)
    assert len(rows) > 10 and all(row.per_second > 0 for row in rows)


def test_the_explanation_benchmark_decides_every_call() -> None:
    import explain_overhead

    rates = explain_overhead.interleaved(2, 1)
    assert set(rates) == {"without", "with"} and min(rates.values()) > 0


def test_the_generated_complaints_are_valid() -> None:
    import complaints_volume

    items = complaints_volume.complaints(400)
    engine = fp.PolicyEngine(fp.load_bundle())
    assert len(engine.complaint_sla_batch(items, as_of=complaints_volume.AS_OF)) == 400


def test_the_generated_complaint_tables_are_valid(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from columnar import NOW
    from scale import complaints, long_form

    book = complaints(600, seed=3)
    engine = fp.PolicyEngine(fp.load_bundle())
    assert engine.evaluate_table("complaints", book, as_of=NOW).num_rows == book.num_rows
    base, events = long_form(book, seed=6)
    pq.write_table(events, tmp_path / "events.parquet")
    out = engine.evaluate_table("complaints", base, as_of=NOW, events=tmp_path / "events.parquet")
    assert out.num_rows == base.num_rows


def test_the_logging_benchmark_calls_decide() -> None:
    from logging_cost import fresh_calls, mixed_calls

    calls, directory = mixed_calls(40)
    engine = fp.PolicyEngine(fp.load_bundle(), directory=directory)
    for call in [*calls, *fresh_calls(40, seed=1)]:
        call(engine)
