"""The cost of the decision log: decisions of all four domains with and without it, per sink.

Two workloads, each timed three times per sink (best kept): ``mixed_calls``, the single
decisions of the domains benchmark, whose 200 customers, 50 products and the pack's examples
recur (so the log's masking and encoding caches are warm), and ``fresh_calls``, the same mix
with a customer never seen before in every suitability call, a complaint of its own in every
complaint call and a new sample value in every classification call, as a bank's stream of
decisions is. Each run of the fresh workload gets inputs of its own, so no run finds the
values of another in the log's caches. ``bench_paced`` times each decision on its own at a
steady rate instead, as a service's request path sees the log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_inputs import access_inputs, complaint_inputs, field_inputs, suitability_inputs
from harness import Measurement
from rich.console import Console

import finpolicy as fp
from finpolicy.testing import fakes


def mixed_calls(n: int) -> tuple[list[Any], list[Any]]:
    """The single-decision calls of ``bench_domains``, all four domains in turn, and the role
    assignments that confirm the access requests' approvers."""
    suit = suitability_inputs(n)
    access, directory = access_inputs()
    complaints = complaint_inputs()
    fields = field_inputs()
    calls: list[Any] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            c, p, on = suit[i]
            calls.append(lambda e, c=c, p=p, on=on: e.check_suitability(c, p, as_of=on))
        elif kind == 1:
            r = access[i % len(access)]
            calls.append(lambda e, r=r: e.authorize(r))
        elif kind == 2:
            f = fields[i % len(fields)]
            calls.append(lambda e, f=f: e.classify(f))
        else:
            c, now = complaints[i % len(complaints)]
            calls.append(lambda e, c=c, when=now: e.complaint_sla(c, as_of=when))
    return calls, directory


_MAKERS = (fakes.resident_id, fakes.mobile, fakes.bank_card, fakes.email, fakes.chinese_name)


def fresh_calls(n: int, seed: int) -> list[Any]:
    """The calls of ``mixed_calls`` with a new customer (id, risk level, dates, assets) in
    every suitability call, a new complaint id in every complaint call and a new sample value
    (ID, mobile and card numbers, e-mail addresses, names) in every classification call;
    access requests as there (they name staff, who recur). ``seed`` keeps runs apart."""
    rng = random.Random(seed)
    on = dt.date(2026, 3, 2)
    products = list({p.id: p for _, p, _ in suitability_inputs(500)}.values())
    access, _ = access_inputs()
    complaints = complaint_inputs()
    names = [f.name for f in field_inputs()]
    calls: list[Callable[[Any], Any]] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            c = fp.Customer(id=f"s{seed}-{i}", risk_level=f"C{rng.randint(1, 5)}",
                            assessment_date=on - dt.timedelta(days=rng.randint(0, 400)),
                            birth_date=dt.date(rng.randint(1940, 2005), rng.randint(1, 12),
                                               rng.randint(1, 28)),
                            investable_assets=float(rng.randint(1, 500) * 10_000))
            p = rng.choice(products)
            calls.append(lambda e, c=c, p=p: e.check_suitability(c, p, as_of=on))
        elif kind == 1:
            r = access[i % len(access)]
            calls.append(lambda e, r=r: e.authorize(r))
        elif kind == 2:
            f = fp.DataField(name=names[i % len(names)],
                             sample_values=[_MAKERS[i % len(_MAKERS)](rng)])
            calls.append(lambda e, f=f: e.classify(f))
        else:
            old, now = complaints[i % len(complaints)]
            new = old.model_copy(update={"id": f"cmp-{seed}-{i}"})
            calls.append(lambda e, c=new, when=now: e.complaint_sla(c, as_of=when))
    return calls


def _warm_engine(calls: list[Any], directory: list[Any], target: Any,
                 keys: Any) -> tuple[Any, fp.PolicyEngine]:
    """A log at ``target`` (none when ``None``) and an engine writing to it, warmed by the
    first 200 calls, which are written before it returns."""
    from finpolicy.audit import DecisionLog

    log = None if target is None else DecisionLog(target, keys=keys)
    engine = fp.PolicyEngine(fp.load_bundle(), log=log, directory=directory)
    for call in calls[:200]:
        call(engine)
    if log is not None:
        log.flush()
    gc.collect()
    return log, engine


def _logged_run(calls: list[Any], directory: list[Any], target: Any,
                keys: Any) -> tuple[float, float, float]:
    """Seconds to make every decision (the callers' time), to have them all written, and the
    CPU seconds of the whole process meanwhile (the writer thread included)."""
    log, engine = _warm_engine(calls, directory, target, keys)
    cpu = time.process_time()
    start = time.perf_counter()
    for call in calls[200:]:
        call(engine)
    decided = time.perf_counter() - start
    if log is not None:
        log.close()
    times = decided, time.perf_counter() - start, time.process_time() - cpu
    _remove(target)
    return times


class _Recorder:
    """A stand-in for a decision log that keeps each call as the engine hands it over."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []

    def records(self, method: str) -> bool:
        return True

    def record(self, engine: Any, method: str, inputs: Any, result: Any, **_: Any) -> None:
        self.calls.append((method, inputs, result))


def _floor_run(calls: list[Any], directory: list[Any]) -> float:
    """CPU seconds to write the calls after the first 200 as the floor's entries (see the
    module's docstring), their decisions made beforehand."""
    from finpolicy.audit import calls as logged
    from finpolicy.audit.encode import decision_json, to_json

    recorder = _Recorder()
    engine = fp.PolicyEngine(fp.load_bundle(), directory=directory)
    engine.log = recorder  # type: ignore[assignment]  # (any object with record() will do)
    for call in calls:
        call(engine)
    made = recorder.calls[200:]
    gc.collect()
    folder = Path(tempfile.mkdtemp(prefix="fp-floor-"))
    prev, seq = "0" * 64, 0
    cpu = time.process_time()
    with open(folder / "floor.jsonl", "ab") as out:
        rows = []
        for method, inputs, result in made:
            how = logged.logged(method)[1]  # type: ignore[index]
            seq += 1
            body = b"".join((b'{"seq":', str(seq).encode(), b',"prev":"', prev.encode(),
                             b'","input":', to_json(how.data(inputs, result)),
                             b',"decisions":[', b",".join(
                                 decision_json(d) for d in how.decisions(result)), b"]}"))
            prev = hashlib.sha256(body).hexdigest()
            rows.append(b'{"hash":"' + prev.encode() + b'","record":' + body + b"}\n")
            if len(rows) >= 500:
                out.write(b"".join(rows))
                rows = []
        out.write(b"".join(rows))
    spent = time.process_time() - cpu
    shutil.rmtree(folder, ignore_errors=True)
    return spent


def _sinks(tag: int) -> list[tuple[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="fp-audit-"))
    sinks: list[tuple[str, Any]] = [("no log", None), ("JSON lines", folder / "jsonl"),
                                    ("SQLite", folder / "audit.db")]
    dsn = os.environ.get("FINPOLICY_TEST_POSTGRES_DSN")
    if dsn:
        sinks.append(("PostgreSQL", f"{dsn}?table=bench_{int(time.time())}_{tag}"))
    return sinks


def bench_logging(console: Console, n: int) -> list[Measurement]:
    """Decisions of all four domains with and without a decision log, per sink, on both
    workloads."""
    try:
        from finpolicy.audit import AuditKeys
    except ImportError:
        console.log("decision log needs the audit extra (pip install '.[audit]'): skipped")
        return []
    console.log(f"decision log: {n:,} mixed decisions per sink, recurring and new customers")
    keys = AuditKeys.generate()
    mixed, directory = mixed_calls(n + 200)
    workloads: list[tuple[str, Callable[[int], list[Any]]]] = [
        ("mixed decisions", lambda seed: mixed),
        ("new customers", lambda seed: fresh_calls(n + 200, seed))]
    rows: list[Measurement] = []
    for tag, (label, calls_for) in enumerate(workloads):
        base: tuple[float, float, float] | None = None
        for s, (name, target) in enumerate(_sinks(tag)):
            runs = [_logged_run(calls_for(10 * s + i), directory,
                                target if target is None else _fresh(target, i), keys)
                    for i in range(3)]
            best = (min(r[0] for r in runs), min(r[1] for r in runs),
                    min(r[2] for r in runs))
            base = base or best
            note = "" if target is None else (
                f"cost {best[2] / base[2]:.2f}× unlogged (CPU); written "
                f"{best[1] / base[1]:.2f}×, callers {best[0] / base[0]:.2f}× (wall)")
            rows.append(Measurement("decision log", f"{label}, {name}", "compiled",
                                    n / best[1], note=note))
        assert base is not None
        floor = min(_floor_run(calls_for(90 + i), directory) for i in range(3))
        rows.append(Measurement(
            "decision log", f"{label}, floor (input and decisions as JSON, hash-chained, "
            "written; nothing masked)", "compiled", n / floor,
            note=f"{floor / n * 1e6:.1f} µs an entry; with the decision "
                 f"{(base[2] + floor) / base[2]:.2f}× unlogged (CPU)"))
    return rows


PACED_RATE = 2_000  # decisions a second: a busy service, well within what the writer keeps up with


def _paced_run(calls: list[Any], directory: list[Any], target: Any, keys: Any,
               rate: float, freeze: bool = False) -> tuple[list[float], list[float]]:
    """Each decision's own time (seconds, sorted) and the length of each full collection of
    the garbage collector meanwhile (seconds, in any thread), the calls started ``rate``
    times a second: the caller sleeps between them, as a service waits for its next request,
    and the writer works meanwhile. ``freeze``: ``gc.freeze()`` once warm, as a service may
    after start-up (the collector then leaves the objects of that moment out of its full
    collections)."""
    log, engine = _warm_engine(calls, directory, target, keys)
    if freeze:
        gc.freeze()
    full: list[float] = []
    began = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                full.append(time.perf_counter() - began[0])

    gc.callbacks.append(timed)
    samples = []
    clock = time.perf_counter
    due = clock()
    for call in calls[200:]:
        start = clock()
        call(engine)
        samples.append(clock() - start)
        due += 1.0 / rate
        pause = due - clock()
        if pause > 0:
            time.sleep(pause)
    if log is not None:
        log.close()
    gc.callbacks.remove(timed)
    gc.unfreeze()
    _remove(target)
    return sorted(samples), full


def bench_paced(console: Console, n: int) -> list[Measurement]:
    """What a caller waits per decision with and without the log, per sink, at ``PACED_RATE``
    decisions a second of new customers: the decision path's own cost, percentiles apart
    (the slowest calls are the ones the garbage collector's full collections stop)."""
    try:
        from finpolicy.audit import AuditKeys
    except ImportError:
        return []
    console.log(f"decision log: {n:,} decisions of new customers at {PACED_RATE:,} a second, "
                "timed one by one")
    keys = AuditKeys.generate()
    rows: list[Measurement] = []
    base: list[float] | None = None
    sinks = _sinks(2)
    runs = [(name, target, False) for name, target in sinks]
    runs.append((f"{sinks[1][0]}, gc.freeze() once warm", sinks[1][1], True))
    for s, (name, target, freeze) in enumerate(runs):
        got, full = _paced_run(fresh_calls(n + 200, 100 + s), directory=access_inputs()[1],
                         target=None if target is None else _fresh(target, s), keys=keys,
                         rate=PACED_RATE, freeze=freeze)
        base = base or got
        marks = {q: _quantile(got, q) for q in (0.5, 0.99, 0.999, 1.0)}
        note = (f"p99.9 {marks[0.999] * 1e6:,.0f} µs, slowest {marks[1.0] * 1e3:,.1f} ms; "
                f"{len(full)} full collections, longest {max(full, default=0) * 1e3:,.0f} ms")
        if got is not base:
            note += "; ÷ unlogged: " + ", ".join(
                f"{label} {marks[q] / _quantile(base, q):.2f}×"
                for label, q in (("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999),
                                 ("slowest", 1.0)))
        rows.append(Measurement("decision log", f"paced {PACED_RATE:,}/s, {name}", "compiled",
                                len(got) / sum(got), p50_us=marks[0.5] * 1e6,
                                p99_us=marks[0.99] * 1e6, note=note))
    return rows


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _remove(target: Any) -> None:
    """Delete a run's log (a benchmark leaves no store behind: each is hundreds of MB)."""
    if target is None:
        return
    if isinstance(target, Path):
        shutil.rmtree(target, ignore_errors=True)  # a JSON-lines folder
        for suffix in ("", "-wal", "-shm", ".lock"):  # an SQLite file and its companions
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            target.parent.rmdir()  # the run's folder, once its last store is gone
        return
    import psycopg

    dsn, _, table = str(target).partition("?table=")
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(f"DROP TABLE IF EXISTS {table}_records, {table}_head")


def _fresh(target: Any, i: int) -> Any:
    """A store of its own for run ``i`` (a log appended to would time its resume too)."""
    if isinstance(target, Path):
        return target.with_name(f"{target.stem}{i}{target.suffix}")
    return f"{target}_{i}"
