"""Complaint SLAs on generated complaints: single calls and one batch of 100,000.

Every complaint is different (its own receipt time, category, severity, channel, flags and
event history), so caches keyed by the complaint's facts cannot turn the run into a replay of
a few examples. Run on its own to compare two source trees, e.g. a baseline commit::

    python benchmarks/complaints_volume.py --n 100000
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/complaints_volume.py --n 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import time
from typing import Any

import finpolicy as fp

AS_OF = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CATEGORIES = ["product", "service", "policy", "other", "inquiry"]
CHANNELS = ["branch", "phone", "online", "letter", "regulator"]
SEVERITIES = ["general"] * 6 + ["major"] * 3 + ["urgent"]
# the usual course of a complaint; each generated complaint stops somewhere along it
COURSE = ["contacted", "acknowledged", "opinion_issued", "handled", "responded",
          "written_feedback_sent", "satisfaction_surveyed"]
STATES = {"responded": ["verification", "basis", "reasons", "remedies", "cause", "measures",
                        "improvements"],
          "satisfaction_surveyed": ["satisfied", "dissatisfied"]}


def _events(rng: random.Random, received: dt.datetime) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    at = received
    for kind in COURSE[: rng.randint(0, len(COURSE))]:
        at += dt.timedelta(minutes=rng.randint(30, 3 * 24 * 60))
        if at >= AS_OF:
            break
        states = STATES.get(kind)
        chosen = [s for s in states if rng.random() < 0.8] if states else []
        events.append({"kind": kind, "at": at, "states": chosen})
        if kind == "acknowledged" and rng.random() < 0.15:
            events.append({"kind": "extended", "at": at + dt.timedelta(hours=2)})
        if kind == "opinion_issued" and rng.random() < 0.1:
            events.append({"kind": "appraisal_started", "at": at + dt.timedelta(hours=1)})
            events.append({"kind": "appraisal_finished", "at": at + dt.timedelta(days=3)})
    rng.shuffle(events)  # events come in any order
    return events


def complaints(n: int, seed: int = 11) -> list[Any]:
    """``n`` different complaints received in the 120 days before ``AS_OF``."""
    rng = random.Random(seed)
    span = 120 * 24 * 60
    out = []
    for i in range(n):
        received = AS_OF - dt.timedelta(minutes=rng.randint(60, span))
        flags = [f for f in ("complex", "repeat") if rng.random() < 0.15]
        out.append(fp.Complaint(id=f"cmp-{i}", received_at=received,
                                channel=rng.choice(CHANNELS), category=rng.choice(CATEGORIES),
                                severity=rng.choice(SEVERITIES), flags=flags,
                                events=_events(rng, received)))
    return out


def _timed(fn: Any) -> float:
    """CPU seconds of ``fn()`` (the machine may be shared: wall time would count others)."""
    gc.collect()
    start = time.process_time()
    fn()
    return time.process_time() - start


def measure(n: int, singles: int, rounds: int) -> dict[str, float]:
    """µs per complaint: single calls (the first ``singles`` complaints) and one batch of
    ``n``, each the best of ``rounds`` on a fresh engine (so no run profits from the last)."""
    items = complaints(n)
    single_best = batch_best = float("inf")
    outcomes: list[str] = []
    for _ in range(rounds):
        engine = fp.PolicyEngine(fp.load_bundle())
        part = items[:singles]
        single_best = min(single_best, _timed(
            lambda e=engine, part=part: [e.complaint_sla(c, as_of=AS_OF) for c in part]))
        engine = fp.PolicyEngine(fp.load_bundle())
        box: list[Any] = []
        batch_best = min(batch_best, _timed(
            lambda e=engine, box=box: box.append(e.complaint_sla_batch(items, as_of=AS_OF))))
        outcomes = [d.outcome for d in box[0]]
    counts = {s: outcomes.count(s) for s in sorted(set(outcomes))}
    return {"single_us": single_best / singles * 1e6, "batch_us": batch_best / n * 1e6,
            "outcomes": counts}  # type: ignore[dict-item]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="complaints in the batch")
    parser.add_argument("--singles", type=int, default=20_000, help="single calls timed")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = measure(args.n, min(args.singles, args.n), args.rounds)
    print(f"finpolicy {fp.__file__}")
    print(f"complaint_sla (single, {min(args.singles, args.n):,} different complaints): "
          f"{result['single_us']:.2f} µs per complaint")
    print(f"complaint_sla_batch ({args.n:,} different complaints): "
          f"{result['batch_us']:.2f} µs per complaint")
    print(f"outcomes: {result['outcomes']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
