"""finpolicy benchmark: every domain on both engines, batch APIs, load time, scan, memory, peers.

Run ``python benchmarks/run.py`` (``--quick`` for a short run, ``--only peers`` for one part).
Prints a table and writes JSON (``--json PATH``, default ``benchmarks/results.json``). Every
figure is also given as a cost ratio to finpolicy's compiled engine on the same measure in the
same run, because absolute numbers on shared machines are noisy. Parts:

- domains: each domain's API on both engines, load + compile, CSV scan, durable memory;
- peers: the RBAC matrix of ``rbac_peer`` on both engines, PyCasbin, GoRules ZEN, cedarpy and
  Oso (``pip install '.[bench]'``) and a dict lookup of precomputed answers (the floor), each
  checked to give the same decision on every request before it is timed; and the cn-banking
  suitability rules as a ZEN decision table generated from the policy (``suit_peer``), the
  same outcome checked on every customer × product pair;
- serve: ``finpolicy serve`` on localhost under a fixed number of requests from 1, 8 and 64
  concurrent clients (requests/s, p50, p99), next to the same decision in process;
- columnar: row vs columnar throughput of suitability, complaint SLAs and classification
  records over Parquet books (``columnar.py``), and of access requests
  (``columnar_access.py``);
- sweeps: rules (10 to 10,000) and roles (6,000, against the peers' load of the same matrix),
  each point in a fresh process (see ``sweep.py``);
- complaints: complaint SLAs on 100,000 generated, all different complaints, single calls
  and one batch (see ``complaints_volume.py``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))

import complaints_volume
import patterns
import serve_load
import suit_peer
import sweep
from bench_inputs import (
    access_inputs,
    campaign_inputs,
    complaint_inputs,
    consent_inputs,
    field_inputs,
    suitability_inputs,
)
from harness import Measurement, latencies, rss_mb, throughput
from logging_cost import bench_logging, bench_paced

import finpolicy as fp
from finpolicy.testing import fakes

ENGINES = ("compiled", "durable")


def bench_domains(console: Console, n: int) -> list[Measurement]:
    rows: list[Measurement] = []
    bundle = fp.load_bundle()
    suit = suitability_inputs(n)
    access, directory = access_inputs()
    complaints = complaint_inputs()
    fields = field_inputs()
    consent = consent_inputs()
    campaign = campaign_inputs(1_000)
    for name in ENGINES:
        engine = fp.PolicyEngine(bundle, engine=name, directory=directory)
        k = n if name == "compiled" else max(n // 10, 200)
        console.log(f"{name}: suitability, access, classification, complaints, consent")

        per_s, p50, p99 = latencies(lambda x: engine.check_suitability(x[0], x[1], as_of=x[2]),
                                    suit[:k])
        rows.append(Measurement("suitability", "check_suitability (single)", name, per_s, p50,
                                p99))
        customer, on = suit[0][0], suit[0][2]
        # a shelf lists each product once: the drawn products, each under an id of its own
        products = [p.model_copy(update={"id": f"{p.id}-{i}"})
                    for i, (_, p, _) in enumerate(suit[:100])]
        rows.append(Measurement("suitability", "suitable_products (batch of 100)", name,
                                throughput(lambda: engine.suitable_products(
                                    customer, products, as_of=on), items=100)))

        reqs = (access * (k // len(access) + 1))[:k]
        per_s, p50, p99 = latencies(engine.authorize, reqs)
        rows.append(Measurement("access", "authorize (single)", name, per_s, p50, p99))
        # a service's request path: validate the mapping (ids made canonical), then decide
        raw = [r.model_dump() for r in reqs]
        per_s, p50, p99 = latencies(engine.authorize, raw)
        rows.append(Measurement("access", "authorize from a mapping (validate + decide)",
                                name, per_s, p50, p99))

        items = (fields * (k // len(fields) + 1))[:k]
        per_s, p50, p99 = latencies(engine.classify, items)
        rows.append(Measurement("classification", "classify by name (single)", name, per_s,
                                p50, p99))
        record = {f.name: "x" for f in fields}
        rows.append(Measurement("classification", "classify_record (8 fields)", name,
                                throughput(lambda: engine.classify_record(record), items=8)))

        comp = (complaints * (k // len(complaints) + 1))[:k]
        per_s, p50, p99 = latencies(lambda x: engine.complaint_sla(x[0], as_of=x[1]), comp)
        rows.append(Measurement("complaints", "complaint_sla (single)", name, per_s, p50, p99))
        now = max(when for _, when in complaints)  # every complaint received by then
        batch = [c for c, _ in comp]
        rows.append(Measurement("complaints", "complaint_sla_batch", name,
                                throughput(lambda: engine.complaint_sla_batch(batch, as_of=now),
                                           items=len(batch))))

        uses = (consent * (k // len(consent) + 1))[:k]
        per_s, p50, p99 = latencies(lambda x: engine.check_processing(x[0], consents=x[1]), uses)
        rows.append(Measurement("consent", "check_processing (single)", name, per_s, p50, p99))
        customers, records, at = campaign
        rows.append(Measurement("consent", "plan_campaign (1,000 customers)", name,
                                throughput(lambda: engine.plan_campaign(
                                    customers, consents=records, as_of=at),
                                    items=len(customers))))
    return rows


def bench_load(console: Console) -> list[Measurement]:
    console.log("bundle load + compile")
    rows = []
    for name in ENGINES:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            fp.PolicyEngine(fp.load_bundle(), engine=name)
            best = min(best, time.perf_counter() - start)
        rows.append(Measurement("bundle", "load + compile cn-banking", name, 1 / best,
                                note=f"{best * 1000:.0f} ms"))
    return rows


def bench_scan(console: Console, rows_n: int) -> list[Measurement]:
    console.log(f"scan of a {rows_n:,}-row CSV")
    folder = Path(tempfile.mkdtemp(prefix="fp-scan-"))
    path = folder / "customers.csv"
    rng = random.Random(3)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = None
        for row in fakes.customer_rows(rng, rows_n):
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
    size_mb = path.stat().st_size / 1e6
    out = []
    for name in ENGINES:
        engine = fp.PolicyEngine(fp.load_bundle(), engine=name)
        start = time.perf_counter()
        engine.scan(str(path))
        elapsed = time.perf_counter() - start
        out.append(Measurement("scan", f"scan CSV ({size_mb:.0f} MB)", name, size_mb / elapsed,
                               note="MB/s"))
    return out


def bench_memory(console: Console, decisions: int) -> list[Measurement]:
    console.log(f"durable memory over {decisions:,} decisions")
    engine = fp.PolicyEngine(fp.load_bundle(), engine="durable")
    inputs = suitability_inputs(1000)
    for c, p, on in inputs:
        engine.check_suitability(c, p, as_of=on)
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    for i in range(decisions):
        c, p, on = inputs[i % 1000]
        engine.check_suitability(c, p, as_of=on)
    elapsed = time.perf_counter() - start
    gc.collect()
    after = rss_mb()
    return [Measurement("memory", f"durable RSS after {decisions:,} decisions", "durable",
                        decisions / elapsed, note=f"{after:.0f} MB (+{after - before:.1f} MB)")]


def bench_rbac(console: Console, quick: bool) -> list[Measurement]:
    """finpolicy against its peers on one RBAC matrix, after checking they decide alike.

    Rates are calls per CPU second, the best of rounds that time every side in turn.
    """
    import peers
    import rbac_peer

    work = rbac_peer.workload()
    requests = work["requests"][:2_000] if quick else work["requests"]
    section, name = "rbac peers", f"authorize ({len(requests):,} requests)"
    console.log(f"RBAC peers: {len(requests):,} requests")
    truth = [any((lv, a) in work["matrix"][r] for r in work["users"][u]) for u, lv, a in requests]
    table = dict(zip(requests, truth, strict=True))
    sides: dict[str, tuple[Any, list[Any]]] = {"dict lookup (floor)": (table.__getitem__,
                                                                        requests)}
    for engine in ENGINES:
        policy_engine, fp_requests = rbac_peer.finpolicy_side(work, engine)
        fp_requests = fp_requests[: len(requests)]
        _check(engine, [policy_engine.authorize(r).allowed for r in fp_requests], truth)
        sides[engine] = (policy_engine.authorize, fp_requests)
    missing = [n for n, (module, _) in peers.BUILDERS.items() if not peers.available(module)]
    if missing:
        console.log(f"not installed (pip install '.[bench]'): {', '.join(missing)}")
    for peer in peers.peers(work["matrix"], work["users"]):
        _check(peer.name, [peer.decide(*r) for r in requests], truth)
        sides[peer.name] = (lambda r, p=peer: p.decide(*r), requests[:5_000])
    rates = sweep.interleaved(sides, rounds=3 if quick else PEER_ROUNDS)
    floor = rates["dict lookup (floor)"]
    notes = {"dict lookup (floor)": "a precomputed answer per request",
             **{e: f"same decisions; {floor / rates[e]:.1f}× the floor" for e in ENGINES}}
    return [Measurement(section, name, side, rate, note=notes.get(side, "same decisions"))
            for side, rate in rates.items()]


def bench_complaints(console: Console, n: int) -> list[Measurement]:
    """Complaint SLAs on ``n`` generated, all different complaints (``complaints_volume``)."""
    console.log(f"complaint SLAs: {n:,} generated complaints")
    result = complaints_volume.measure(n, n, rounds=2)
    note = "µs per complaint (CPU), different complaints"
    return [Measurement("complaints (generated)", "complaint_sla (single)", "compiled",
                        1e6 / result["single_us"], note=f"{result['single_us']:.1f} {note}"),
            Measurement("complaints (generated)", f"complaint_sla_batch ({n:,})", "compiled",
                        1e6 / result["batch_us"], note=f"{result['batch_us']:.1f} {note}")]


def _check(who: str, decisions: list[bool], truth: list[bool]) -> None:
    if decisions != truth:
        differ = sum(a != b for a, b in zip(decisions, truth, strict=True))
        raise SystemExit(f"rbac peers: {who} differs from the role matrix on {differ} requests")


def _table(rows: list[Measurement]) -> Table:
    """Every row, with its cost as a multiple of finpolicy compiled's in the same measure."""
    compiled = {(r.section, r.name): r.per_second for r in rows if r.engine == "compiled"}
    table = Table(title="finpolicy benchmark (one process, one core)")
    for column in ("section", "measure", "engine", "per second", "p50 µs", "p99 µs",
                   "cost ÷ compiled", "note"):
        table.add_column(column, justify="right" if column not in ("section", "measure",
                                                                    "engine", "note") else "left")
    for r in rows:
        ratio = ""
        if r.engine != "compiled" and (r.section, r.name) in compiled:
            ratio = f"{compiled[(r.section, r.name)] / r.per_second:.2f}×"
        table.add_row(r.section, r.name, r.engine, f"{r.per_second:,.0f}",
                      "" if r.p50_us is None else f"{r.p50_us:.1f}",
                      "" if r.p99_us is None else f"{r.p99_us:.1f}", ratio, r.note)
    return table


def bench_explain(console: Console, n: int, rounds: int) -> list[Measurement]:
    """Decisions per second with and without explanations (each ratio must stay ≤ 1.05)."""
    import explain_overhead

    console.log("explanations: decisions on a never-explained vs an explained engine")
    rows = []
    for how, label, best in (
            ("interleaved", "engine never explained vs explained, one process",
             explain_overhead.interleaved(n, rounds)),
            ("processes", "finpolicy.explain unimportable vs explained, two processes",
             explain_overhead.processes(n, rounds))):
        ratio = best["without"] / best["with"]
        rows.append(Measurement("explain overhead", f"{label}: without", "compiled",
                                best["without"]))
        rows.append(Measurement("explain overhead", f"{label}: with", "compiled",
                                best["with"], note=f"{how}: without ÷ with = {ratio:.3f} "
                                                   "(≤ 1.05)"))
    return rows


# peers are timed in turn, best of seven rounds (as the speed issue measured them): a busy
# spell of the machine then has to last through every round to move a ratio
PEER_ROUNDS = 7

PARTS = ("domains", "logging", "peers", "sweeps", "patterns", "serve", "complaints", "columnar")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--json", default=str(Path(__file__).parent / "results.json"))
    parser.add_argument("--only", choices=PARTS,
                        help="run one part of the benchmark")
    args = parser.parse_args(argv)
    # wide enough for the table even when the output is piped (rich then assumes 80 columns)
    console = Console(width=max(Console().width, 150))
    n = 2_000 if args.quick else 20_000
    rows: list[Measurement] = []
    if args.only in (None, "domains"):
        rows += bench_load(console) + bench_domains(console, n)
        rows += bench_scan(console, 20_000 if args.quick else 200_000)
        rows += bench_memory(console, 20_000 if args.quick else 1_000_000)
        rows += bench_explain(console, 60, 40 if args.quick else 150)
    if args.only in (None, "domains", "logging"):
        rows += bench_logging(console, n)
        rows += bench_paced(console, n // 2)
    if args.only in (None, "peers"):
        rows += bench_rbac(console, args.quick)
        rows += suit_peer.bench_suitability_peers(console, suitability_inputs(n),
                                                  rounds=3 if args.quick else PEER_ROUNDS)
    if args.only in (None, "complaints"):
        rows += bench_complaints(console, 10_000 if args.quick else 100_000)
    if args.only in (None, "columnar"):
        import columnar

        rows += columnar.bench_columnar(console, args.quick)
        import columnar_access

        rows += columnar_access.bench_access_columnar(console, args.quick)
    if args.only in (None, "patterns"):
        rows += patterns.bench_patterns(console, 200 if args.quick else 2_000)
    if args.only in (None, "serve"):
        rows += serve_load.bench_serve(console, 500 if args.quick else 2_000)
    if args.only in (None, "sweeps"):
        rows += sweep.rules_sweep(console, sweep.QUICK_RULE_COUNTS if args.quick
                                  else sweep.RULE_COUNTS)
        rows += sweep.roles_sweep(console, sweep.QUICK_ROLES if args.quick else sweep.ROLES)
    console.print(_table(rows))
    Path(args.json).write_text(json.dumps({
        "when": dt.datetime.now(dt.UTC).isoformat(), "python": sys.version.split()[0],
        "finpolicy": fp.__version__, "rows": [attrs.asdict(r) for r in rows],
    }, indent=2, default=str), encoding="utf-8")
    console.log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
