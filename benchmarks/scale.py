"""The whole-book runs of the columnar backend, at the sizes a bank uses (minutes each; not
part of ``run.py``):

    python benchmarks/scale.py agree --pairs 1000000 --complaints 1000000 [--long-events]
    python benchmarks/scale.py agree --pairs 0 --complaints 0 --requests 1000000
    python benchmarks/scale.py agree --pairs 0 --complaints 0 --records 1000000
    python benchmarks/scale.py spark --pairs 1000000 --complaints 1000000
    python benchmarks/scale.py cli --complaints 10000000 --customers 1000000

``agree`` decides generated inputs column-wise and one by one through the typed API and counts
the decisions that differ in any field; ``spark`` evaluates them on a local Spark session
(``local[2]``) and compares with the single-process tables; ``cli`` runs ``finpolicy sla`` and
``finpolicy suitability`` on Parquet files and reports wall time and peak memory of the run.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import columnar as books
import columnar_access
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import finpolicy as fp
from finpolicy.columnar.workdays import to_micros
from finpolicy.testing.fakes import customer_records

# event kinds of the shipped complaint policy a wide table carries, each happening or not
KINDS = ("contacted", "acknowledged", "opinion_issued", "handled", "responded",
         "written_feedback_sent", "extended", "new_material", "review_requested",
         "review_decided")
CHANNELS = ("branch", "phone", "online", "letter", "regulator")
TIMES = ("due_at", "started_at", "completed_at")
US_PER_HOUR = 3_600_000_000


def complaints(n: int, seed: int) -> pa.Table:
    """``n`` complaints received over 70 days (all before ``as_of``) with up to ten event
    kinds each, some of them out of order or after ``as_of`` (both decide differently), flags
    on some."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-12-20T00:00:00", "us")
    received = start + (rng.integers(0, 70 * 24 * 60, n) * 60_000_000).astype("timedelta64[us]")
    stamp = pa.timestamp("us", tz="UTC")
    flags = np.array([None, None, None, "complex", "repeat", "complex;repeat"], dtype=object)
    columns: dict[str, Any] = {
        "id": pa.array([f"k{i}" for i in range(n)]),
        "received_at": pa.array(received, stamp),
        "channel": pa.array(np.array(CHANNELS)[rng.integers(0, len(CHANNELS), n)]),
        "category": pa.array(np.array(["product", "service", "policy"])[rng.integers(0, 3, n)]),
        "severity": pa.array(np.array(["general", "major", "urgent"])[rng.integers(0, 3, n)]),
        "flags": pa.array(flags[rng.integers(0, len(flags), n)], pa.string()),
    }
    for kind in KINDS:
        hours = rng.integers(-2, 24 * 70, n)  # a few before receipt: the row engine refuses
        at = received + (hours * US_PER_HOUR).astype("timedelta64[us]")
        columns[kind] = pa.array(at, stamp, mask=rng.random(n) > 0.45)
    table = pa.table(columns)
    # complaints whose events came before receipt are errors for both paths: keep them out
    first = np.min([table.column(k).cast(pa.int64()).fill_null(2**62).to_numpy()
                    for k in KINDS], axis=0)
    keep = first >= table.column("received_at").cast(pa.int64()).to_numpy()
    # so are reviews requested before any decision (a review is of a decision)
    responded = table.column("responded").cast(pa.int64()).fill_null(2**62).to_numpy()
    review = table.column("review_requested").cast(pa.int64()).fill_null(2**62).to_numpy()
    keep &= (review == 2**62) | (responded <= review)
    # and review decisions before any review was asked for
    decided = table.column("review_decided").cast(pa.int64()).fill_null(2**62).to_numpy()
    keep &= (decided == 2**62) | (review <= decided)
    return table.filter(pa.array(keep))


# what responses state (all the contents the final response and the regulatory decision
# require, some of them, or none) and who approves a further extension (right, wrong, no one)
STATED = (["cause", "improvements", "measures", "basis", "reasons", "remedies",
           "verification"], ["basis", "reasons", "remedies", "verification"],
          ["cause", "measures"], [])
APPROVERS = ("higher_branch", "head_office_senior_manager", "handling_branch", None)


def long_form(book: pa.Table, seed: int) -> tuple[pa.Table, pa.Table]:
    """The complaints without their event columns, and their events one row per event:
    responses stating contents, and further extensions (approved or not) for some."""
    rng = np.random.default_rng(seed)
    book = book.combine_chunks()
    ids, kinds, times, states, approvers = [], [], [], [], []
    for kind in KINDS:
        column = book.column(kind).chunk(0)
        present = np.flatnonzero(~np.asarray(column.is_null().to_numpy(zero_copy_only=False)))
        ids.append(book.column("id").chunk(0).take(present))
        kinds.append(pa.array([kind] * len(present)))
        times.append(column.take(present))
        said = rng.integers(0, len(STATED), len(present)) if kind == "responded" else \
            np.full(len(present), len(STATED) - 1)
        states.append(pa.array([STATED[i] for i in said], pa.list_(pa.string())))
        approvers.append(pa.nulls(len(present), pa.string()))
    extended = np.flatnonzero(rng.random(book.num_rows) < 0.1)  # a further extension
    ids.append(book.column("id").chunk(0).take(extended))
    kinds.append(pa.array(["extended_further"] * len(extended)))
    later = book.column("received_at").cast(pa.int64()).to_numpy()[extended] \
        + rng.integers(1, 24 * 40, len(extended)) * US_PER_HOUR
    times.append(pa.array(later, pa.timestamp("us", tz="UTC")))
    states.append(pa.array([["complainant_told"] if rng.random() < 0.7 else []
                            for _ in extended], pa.list_(pa.string())))
    approvers.append(pa.array([APPROVERS[i] for i in rng.integers(0, len(APPROVERS),
                                                                   len(extended))], pa.string()))
    events = pa.table({"complaint_id": pa.concat_arrays(ids),
                       "kind": pa.concat_arrays(kinds), "at": pa.concat_arrays(times),
                       "states": pa.concat_arrays(states),
                       "approved_by": pa.concat_arrays(approvers)})
    return book.drop_columns(list(KINDS)), events


def pairs(n: int, seed: int) -> pa.Table:
    """``n`` sales: generated customers against the benchmark's products, with amounts."""
    offer = books.products()
    people = books.customers(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    chosen = rng.integers(0, len(offer), n)
    table = people.rename_columns([f"customer.{c}" for c in people.column_names])
    for field in ("id", "kind", "risk_level", "term_months", "private"):
        values = [getattr(offer[i], field) for i in range(len(offer))]
        table = table.append_column(f"product.{field}", pa.array([values[i] for i in chosen]))
    return table.append_column("amount", pa.array(rng.integers(1, 200, n) * 5_000.0))


def _suitability_row(d: Any) -> dict[str, Any]:
    return {"customer_id": d.customer_id, "product_id": d.product_id, "outcome": d.outcome,
            "rule_ids": [h.rule_id for h in d.hits], "obligations": list(d.obligations),
            "customer_level": d.customer_level, "product_level": d.product_level,
            "customer_age": d.customer_age, "assessment_age_days": d.assessment_age_days,
            "assessment_expired": d.assessment_expired, "amount": d.amount}


def _complaint_row(d: Any) -> dict[str, Any]:
    out = {"complaint_id": d.complaint_id, "outcome": d.outcome, "severity": d.severity,
           "route": d.route, "rule_ids": [h.rule_id for h in d.hits],
           "obligations": list(d.obligations), "escalations": list(d.escalations),
           "paused": d.paused, "warnings": list(d.warnings),
           "next_due": None if d.next_due is None else to_micros(d.next_due)}
    for m in d.milestones:
        out[m.name] = (m.status, *(None if getattr(m, t) is None else to_micros(getattr(m, t))
                                   for t in TIMES))
    return out


def _table_rows(table: pa.Table, keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    names = [n[:-len(".status")] for n in table.schema.names if n.endswith(".status")]
    for r in table.to_pylist():
        out = {k: r[k] for k in keys}
        for t in ("next_due",):
            if t in r:
                out[t] = None if r[t] is None else to_micros(r[t])
        for m in names:
            if r[f"{m}.status"] is not None:
                out[m] = (r[f"{m}.status"], *(None if r[f"{m}.{t}"] is None
                                              else to_micros(r[f"{m}.{t}"]) for t in TIMES))
        yield out


def agree(args: argparse.Namespace) -> None:
    engine = fp.PolicyEngine()
    for chunk in range(0, args.pairs, args.chunk):
        sales = pairs(min(args.chunk, args.pairs - chunk), seed=chunk + 1)
        start = time.perf_counter()
        got = engine.evaluate_table("suitability", sales, as_of=books.ON)
        columnar_s = time.perf_counter() - start
        start = time.perf_counter()
        differ = 0
        for row, want in zip(sales.to_pylist(), _table_rows(got, tuple(got.schema.names)),
                             strict=True):
            customer = {k[9:]: v for k, v in row.items() if k.startswith("customer.")
                        and v is not None}
            product = {k[8:]: v for k, v in row.items() if k.startswith("product.")}
            d = engine.check_suitability(customer, product, amount=row["amount"],
                                         as_of=books.ON)
            mine = _suitability_row(d)
            differ += any(mine[k] != want[k] for k in mine)
        print(f"suitability pairs {chunk + len(sales):,}: differ {differ}; columnar "
              f"{columnar_s:.1f} s, one by one {time.perf_counter() - start:.1f} s", flush=True)
    for chunk in range(0, args.complaints, args.chunk):
        book = complaints(min(args.chunk, args.complaints - chunk), seed=chunk + 2)
        if args.long_events:
            _agree_long(engine, *long_form(book, seed=chunk + 3), chunk)
        else:
            _agree_complaints(engine, book, chunk)
    for chunk in range(0, args.requests, args.chunk):
        _agree_requests(engine, min(args.chunk, args.requests - chunk), chunk)
    for chunk in range(0, args.records, args.chunk):
        _agree_records(engine, min(args.chunk, args.records - chunk), chunk)


def _record_row(d: Any) -> dict[str, Any]:
    """A ``RecordClassificationDecision`` as the records' decisions table flattens it."""
    out = {"level": str(d.level), "rule_ids": [h.rule_id for h in d.hits],
           "obligations": list(d.obligations)}
    for name, f in d.fields.items():
        out.update({f"{name}.level": str(f.level), f"{name}.category": f.category,
                    f"{name}.pfi_category": f.pfi_category, f"{name}.mask": f.mask,
                    f"{name}.detector": f.detector, f"{name}.share": f.share,
                    f"{name}.rule_ids": [h.rule_id for h in f.hits]})
    return out


def _agree_records(engine: fp.PolicyEngine, n: int, done: int) -> None:
    """``n`` generated customer records (valid and near-miss identifiers, blanks, missing
    values) classified column-wise and one by one, every field compared."""
    table = pa.Table.from_pylist(list(customer_records(random.Random(done + 3), n)))
    start = time.perf_counter()
    got = engine.evaluate_table("classification", table, as_of=books.ON)
    columnar_s = time.perf_counter() - start
    start = time.perf_counter()
    differ = 0
    for row, want in zip(table.to_pylist(), got.to_pylist(), strict=True):
        differ += _record_row(engine.classify_record(row, as_of=books.ON)) != want
    print(f"records {done + n:,}: differ {differ}; columnar {columnar_s:.1f} s, one by one "
          f"{time.perf_counter() - start:.1f} s", flush=True)


_KEYS = ("complaint_id", "outcome", "severity", "route", "rule_ids", "obligations",
         "escalations", "paused", "warnings")


def _agree_complaints(engine: fp.PolicyEngine, book: pa.Table, done: int) -> None:
    start = time.perf_counter()
    got = engine.evaluate_table("complaints", book, as_of=books.NOW)
    columnar_s = time.perf_counter() - start
    start = time.perf_counter()
    differ = 0
    for row, want in zip(book.to_pylist(), _table_rows(got, _KEYS), strict=True):
        events = [{"kind": k, "at": row.pop(k)} for k in KINDS if row.get(k) is not None]
        flags = row.pop("flags")
        data = {**{k: v for k, v in row.items() if k not in KINDS},
                "flags": flags.split(";") if flags else [], "events": events}
        mine = _complaint_row(engine.complaint_sla(data, as_of=books.NOW))
        differ += mine != want
    print(f"complaints {done + book.num_rows:,}: differ {differ}; columnar {columnar_s:.1f} s, "
          f"one by one {time.perf_counter() - start:.1f} s", flush=True)


def _agree_long(engine: fp.PolicyEngine, book: pa.Table, events: pa.Table, done: int) -> None:
    """As ``_agree_complaints``, the events given in long form (with contents and
    approvers)."""
    start = time.perf_counter()
    got = engine.evaluate_table("complaints", book, as_of=books.NOW, events=events)
    columnar_s = time.perf_counter() - start
    by_id: dict[str, list[dict[str, Any]]] = {}
    for e in events.to_pylist():
        by_id.setdefault(e.pop("complaint_id"), []).append(
            {k: v for k, v in e.items() if v is not None})
    start = time.perf_counter()
    differ = 0
    for row, want in zip(book.to_pylist(), _table_rows(got, _KEYS), strict=True):
        flags = row.pop("flags")
        data = {**row, "flags": flags.split(";") if flags else [],
                "events": by_id.get(row["id"], [])}
        differ += _complaint_row(engine.complaint_sla(data, as_of=books.NOW)) != want
    print(f"complaints (events in long form, {events.num_rows:,} events) "
          f"{done + book.num_rows:,}: differ {differ}; columnar {columnar_s:.1f} s, "
          f"one by one {time.perf_counter() - start:.1f} s", flush=True)


def _access_row(request: Any, d: Any) -> dict[str, Any]:
    return {"subject_id": request.subject.id, "outcome": d.outcome, "allowed": d.allowed,
            "rule_ids": [h.rule_id for h in d.hits], "reasons": [h.reason for h in d.hits],
            "obligations": list(d.obligations), "grant_id": d.grant_id,
            "grant_failures": list(d.grant_failures), "masked_fields": list(d.masked_fields),
            "consent_decision": d.consent_decision, "as_of": to_micros(d.as_of),
            "policy_id": d.policy.id, "policy_version": d.policy.version}


def _agree_requests(engine: fp.PolicyEngine, n: int, done: int) -> None:
    """``n`` generated access requests column-wise and one by one through ``authorize``,
    every field of the decision compared."""
    book = columnar_access.requests(n, seed=done + 3)
    start = time.perf_counter()
    got = engine.evaluate_table("access", book, as_of=columnar_access.AT,
                                directory=columnar_access.DIRECTORY)
    columnar_s = time.perf_counter() - start
    start = time.perf_counter()
    differ = 0
    for request, want in zip(columnar_access.row_requests(book), got.to_pylist(), strict=True):
        d = engine.authorize(request, directory=columnar_access.DIRECTORY)
        differ += _access_row(request, d) != {**want, "as_of": to_micros(want["as_of"])}
    print(f"access requests {done + n:,}: differ {differ}; columnar {columnar_s:.1f} s, one by "
          f"one {time.perf_counter() - start:.1f} s", flush=True)


def spark(args: argparse.Namespace) -> None:
    from pyspark.sql import SparkSession

    from finpolicy.spark import _plain, collect, evaluate

    session = (SparkSession.builder.master(args.master).appName("finpolicy-scale")
               .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    engine = fp.PolicyEngine()
    folder = Path(tempfile.mkdtemp(prefix="fp-scale-"))
    for domain, table, key, options in (
            ("suitability", pairs(args.pairs, seed=7), "customer_id", {"as_of": books.ON}),
            ("complaints", complaints(args.complaints, seed=8), "complaint_id",
             {"as_of": books.NOW})):
        path = folder / f"{domain}.parquet"
        pq.write_table(table, path)
        start = time.perf_counter()
        want = _plain(engine.evaluate_table(domain, path, **options))
        single_s = time.perf_counter() - start
        frame = session.read.parquet(str(path)).repartition(args.partitions)
        start = time.perf_counter()
        got = collect(evaluate(frame, domain, **options))
        spark_s = time.perf_counter() - start
        order = [key, "product_id"] if domain == "suitability" else [key]
        same = got.select(want.column_names).sort_by([(k, "ascending") for k in order]) \
            .equals(want.sort_by([(k, "ascending") for k in order]))
        print(f"{domain}: {table.num_rows:,} rows on {args.master}, {args.partitions} "
              f"partitions: {spark_s:.1f} s wall (single process {single_s:.1f} s); "
              f"same decisions: {same}", flush=True)
    session.stop()


def cli(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fp-scale-"))
    cases = folder / "complaints.parquet"
    with pq.ParquetWriter(cases, complaints(10, seed=0).schema) as writer:
        for done in range(0, args.complaints, 1_000_000):
            writer.write_table(complaints(min(1_000_000, args.complaints - done), seed=done))
    rows = pq.ParquetFile(cases).metadata.num_rows
    book = folder / "customers.parquet"
    pq.write_table(books.customers(args.customers, seed=3), book)
    offer = folder / "products.csv"
    offer.write_text("id,kind,risk_level,term_months,private\n" + "".join(
        f"{p.id},{p.kind},{p.risk_level},{p.term_months},{str(p.private).lower()}\n"
        for p in books.products()), encoding="utf-8")
    finpolicy = [sys.executable, "-m", "finpolicy"]
    _run(f"finpolicy sla on {rows:,} complaints",
         [*finpolicy, "sla", str(cases), "--as-of", books.NOW.isoformat(), "--json"])
    _run(f"finpolicy suitability on {args.customers:,} customers × 20 products",
         [*finpolicy, "suitability", str(book), "--products", str(offer), "--as-of",
          books.ON.isoformat(), "--json", "-o", str(folder / "decisions.parquet")])


def _run(what: str, command: list[str]) -> None:
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    wall = time.perf_counter() - start
    print(f"{what}: exit {os.waitstatus_to_exitcode(status)}, {wall:.1f} s wall, peak RSS "
          f"{usage.ru_maxrss / 1e3:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", choices=("agree", "spark", "cli"))
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100_000,
                        help="access requests (agree)")
    parser.add_argument("--records", type=int, default=100_000,
                        help="customer records to classify (agree)")
    parser.add_argument("--chunk", type=int, default=250_000, help="rows generated at a time")
    parser.add_argument("--long-events", action="store_true",
                        help="agree: give the complaints' events in long form, with contents "
                             "and approvers")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args()
    {"agree": agree, "spark": spark, "cli": cli}[args.run](args)


if __name__ == "__main__":
    main()
