"""Row vs columnar throughput, per domain, in one run (``python benchmarks/run.py --only
columnar``): suitability (customers × products), complaint SLAs and classified customer
records on generated books; the columnar side reads a Parquet file in chunks, so its peak
memory follows the chunk size. The scan row reads one generated customer CSV both ways
(``columnar=False`` / ``True``). Each column-wise figure is the fastest of three runs; row
figures are of one run (the row API's memos would turn a repeat into a replay)."""

from __future__ import annotations

import csv
import datetime as dt
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from harness import Measurement
from rich.console import Console

import finpolicy as fp
from finpolicy.testing.fakes import customer_records, customer_rows

ON = dt.date(2026, 3, 2)
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 3, 2, 12, tzinfo=TZ)
CHUNK = 131_072


def customers(n: int, seed: int = 1) -> pa.Table:
    """``n`` generated customers (levels, assessment ages around a year, ages, assets)."""
    rng = np.random.default_rng(seed)
    on = np.datetime64(ON.isoformat())
    return pa.table({
        "id": pa.array([f"c{i}" for i in range(n)]),
        "risk_level": pa.array(np.array(["C1", "C2", "C3", "C4", "C5"])[rng.integers(0, 5, n)]),
        "assessment_date": pa.array(on - rng.integers(0, 400, n).astype("timedelta64[D]")),
        "birth_date": pa.array(on - rng.integers(18 * 365, 90 * 365, n).astype(
            "timedelta64[D]")),
        "investable_assets": pa.array(rng.integers(1, 100, n) * 10_000.0),
        "investment_horizon_months": pa.array(rng.choice([3, 12, 36], n)),
    })


def products(count: int = 20) -> list[Any]:
    kinds = ["wealth_management", "fund", "structured_deposit", "bond"]
    return [fp.Product(id=f"p{i}", kind=kinds[i % 4], risk_level=f"R{i % 5 + 1}",
                       term_months=[3, 12, 24][i % 3], private=i % 7 == 0)
            for i in range(count)]


def complaints(n: int, seed: int = 2) -> pa.Table:
    """``n`` complaints received over 50 days, 60 % of them responded to."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-05T01:00:00", "us")
    received = start + (rng.integers(0, 50 * 24 * 60, n) * 60_000_000).astype("timedelta64[us]")
    responded = received + (rng.integers(1, 400, n) * 3_600_000_000).astype("timedelta64[us]")
    stamp = pa.timestamp("us", tz="UTC")
    return pa.table({
        "id": pa.array([f"k{i}" for i in range(n)]),
        "received_at": pa.array(received, stamp),
        "channel": pa.array(np.array(["branch", "phone", "online"])[rng.integers(0, 3, n)]),
        "category": pa.array(np.array(["product", "service", "policy"])[rng.integers(0, 3, n)]),
        "severity": pa.array(np.array(["general", "major"])[rng.integers(0, 2, n)]),
        "responded": pa.array(responded, stamp, mask=rng.random(n) > 0.6),
    })


def _rss_growth(before: int) -> str:
    """Peak resident memory grown since ``before`` (ru_maxrss, kB on Linux)."""
    return f"{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1e3:.0f} MB"


def _timed(fn: Any, rounds: int = 3) -> float:
    """Seconds of the fastest of ``rounds`` runs of ``fn`` (row and column-wise alike)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_columnar(console: Console, quick: bool) -> list[Measurement]:
    engine = fp.PolicyEngine()
    offer = products()
    people = 20_000 if quick else 100_000
    cases = 50_000 if quick else 500_000
    folder = Path(tempfile.mkdtemp(prefix="fp-columnar-"))
    book, open_ = folder / "customers.parquet", folder / "complaints.parquet"
    pq.write_table(customers(people), book)
    pq.write_table(complaints(cases), open_)
    # scan first: its peak memory (RSS and Arrow's pool) is then its own
    rows = bench_scan(console, engine, folder, 200_000 if quick else 1_000_000)
    rows += bench_records(console, engine, folder, 50_000 if quick else 300_000)

    console.log(f"suitability: {people:,} customers × {len(offer)} products")
    # the row API on parsed models (its fastest use), not on mappings it would parse each time
    sample = [fp.Customer(**{k: v for k, v in r.items() if v is not None})
              for r in customers(500, seed=3).to_pylist()]
    row_s = _timed(lambda: [engine.suitable_products(c, offer, as_of=ON) for c in sample],
                   rounds=1)
    rows.append(Measurement("columnar", "suitability pairs (row: suitable_products)",
                            "compiled", len(sample) * len(offer) / row_s))
    engine.evaluate_table("suitability", customers(100), as_of=ON, products=offer)  # warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pool = pa.default_memory_pool()
    col_s = _timed(lambda: sum(t.num_rows for t in engine.iter_tables(
        "suitability", book, as_of=ON, products=offer, chunk_rows=CHUNK)))
    per_s = people * len(offer) / col_s
    ratio = per_s / (len(sample) * len(offer) / row_s)
    rows.append(Measurement("columnar", "suitability pairs (columnar, Parquet)", "columnar",
                            per_s, note=f"{ratio:.0f}× row; chunk {CHUNK:,} customers; arrow "
                                        f"peak {pool.max_memory() / 1e6:.0f} MB, RSS +"
                                        f"{_rss_growth(before)}"))

    console.log(f"complaint SLAs: {cases:,} complaints")
    batch = [fp.Complaint(**{k: v for k, v in r.items() if k != "responded" and v is not None},
                          events=[{"kind": "responded", "at": r["responded"]}]
                          if r["responded"] else [])
             for r in complaints(2_000, seed=4).to_pylist()]
    row_s = _timed(lambda: engine.complaint_sla_batch(batch, as_of=NOW), rounds=1)
    rows.append(Measurement("columnar", "complaint SLAs (row: complaint_sla_batch)",
                            "compiled", len(batch) / row_s))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    col_s = _timed(lambda: sum(t.num_rows for t in engine.iter_tables(
        "complaints", open_, as_of=NOW, chunk_rows=CHUNK)))
    rows.append(Measurement("columnar", "complaint SLAs (columnar, Parquet)", "columnar",
                            cases / col_s,
                            note=f"{cases / col_s / (len(batch) / row_s):.0f}× row; chunk "
                                 f"{CHUNK:,}; RSS +{_rss_growth(before)}"))
    rows.append(_long_events(engine, folder, cases))
    return rows


def _long_events(engine: Any, folder: Path, cases: int) -> Measurement:
    """Complaints with their events in long form (responses stating contents, extensions
    approved or not), both from Parquet."""
    from scale import complaints as book_of
    from scale import long_form

    base, events = long_form(book_of(cases, seed=5), seed=6)
    pq.write_table(base, folder / "open.parquet")
    pq.write_table(events, folder / "events.parquet")
    col_s = _timed(lambda: sum(t.num_rows for t in engine.iter_tables(
        "complaints", folder / "open.parquet", as_of=NOW, chunk_rows=CHUNK,
        events=folder / "events.parquet")))
    return Measurement("columnar", "complaint SLAs (columnar, events in long form)",
                       "columnar", base.num_rows / col_s,
                       note=f"{events.num_rows:,} events with contents and approvers")


def bench_records(console: Console, engine: Any, folder: Path,
                  count: int) -> list[Measurement]:
    """Customer records classified one by one (``classify_record``) and as a Parquet table
    (``evaluate_table``): records/s, each record seven fields."""
    book = folder / "records.parquet"
    pq.write_table(pa.Table.from_pylist(list(customer_records(random.Random(6), count))),
                   book)
    console.log(f"classification: {count:,} customer records")
    sample = list(customer_records(random.Random(7), 2_000))
    row_s = _timed(lambda: [engine.classify_record(r, as_of=ON) for r in sample], rounds=1)
    engine.evaluate_table("classification", pa.Table.from_pylist(sample[:100]), as_of=ON)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    col_s = _timed(lambda: sum(t.num_rows for t in engine.iter_tables(
        "classification", book, as_of=ON, chunk_rows=CHUNK)))
    row_rate = len(sample) / row_s
    return [Measurement("columnar", "classification records (row: classify_record)",
                        "compiled", row_rate, note="7 fields a record"),
            Measurement("columnar", "classification records (columnar, Parquet)", "columnar",
                        count / col_s, note=f"{count / col_s / row_rate:.0f}× row; chunk "
                                            f"{CHUNK:,}; RSS +{_rss_growth(before)}")]


def bench_scan(console: Console, engine: Any, folder: Path, count: int) -> list[Measurement]:
    """``scan`` of one customer CSV, by rows and column-wise: MB/s of file read, and peak
    memory (the column-wise side runs first, so its RSS growth is its own)."""
    path = folder / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "id_number", "mobile", "card_number", "email", "balance"])
        writer.writerows(r.values() for r in customer_rows(random.Random(5), count))
    size = path.stat().st_size
    console.log(f"scan: {count:,} rows, {size / 1e6:.0f} MB of CSV")
    engine.scan(path, as_of=ON, sample=10, sample_mode="first")  # warm the policy
    pool = pa.default_memory_pool()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    col_s = _timed(lambda: engine.scan(path, as_of=ON, columnar=True))
    col_note = (f"arrow peak {pool.max_memory() / 1e6:.0f} MB, RSS +{_rss_growth(before)}")
    row_s = _timed(lambda: engine.scan(path, as_of=ON, columnar=False), rounds=1)
    return [Measurement("columnar", "scan MB/s (row: csv module)", "compiled",
                        size / 1e6 / row_s, note=f"{size / 1e6:.0f} MB CSV"),
            Measurement("columnar", "scan MB/s (columnar, pyarrow)", "columnar",
                        size / 1e6 / col_s,
                        note=f"{row_s / col_s:.1f}× row; {col_note}")]
