"""Complaint SLAs on generated complaints: single calls and one batch of 100,000.

Every complaint is different (its own receipt time, category, severity, channel, flags and
event history), so caches keyed by the complaint's facts cannot turn the run into a replay of
a few examples. Run on its own to compare two source trees, e.g. a baseline commit::

    python benchmarks/complaints_volume.py --n 100000
    PYTHONPATH=/path/to/other/checkout/src python benchmarks/complaints_volume.py --n 100000

or in one run, each round timing both trees in turn in fresh processes, so that a busy spell
of the machine falls on both alike (best round of each, and the ratio)::

    python benchmarks/complaints_volume.py --n 100000 --against /path/to/other/checkout/src
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
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
        if kind == "satisfaction_surveyed":  # the answer is one of them, or not stated
            chosen = [rng.choice(states)] if rng.random() < 0.8 else []
        else:
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


def _child(tree: str, n: int, singles: int) -> dict[str, Any]:
    """One round of ``measure`` with finpolicy imported from ``tree`` (its ``src`` folder)."""
    env = {**os.environ, "PYTHONPATH": tree}
    out = subprocess.run([sys.executable, __file__, "--n", str(n), "--singles", str(singles),
                          "--rounds", "1", "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def against(other: str, n: int, singles: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Best µs per complaint of this tree and ``other``, timed in turn round after round."""
    here = str(Path(__file__).resolve().parent.parent / "src")
    best: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for tree in (here, other):
            got = _child(tree, n, singles)
            if tree in best and got["outcomes"] != best[tree]["outcomes"]:
                raise SystemExit(f"{tree}: outcomes differ between rounds")
            kept = best.setdefault(tree, got)
            kept["single_us"] = min(kept["single_us"], got["single_us"])
            kept["batch_us"] = min(kept["batch_us"], got["batch_us"])
    if best[here]["outcomes"] != best[other]["outcomes"]:
        raise SystemExit(f"the two trees decide differently: {best[here]['outcomes']} against "
                         f"{best[other]['outcomes']}")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="complaints in the batch")
    parser.add_argument("--singles", type=int, default=None,
                        help="single calls timed (default: one per complaint, as --n)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", metavar="SRC", help="another tree's src folder to time "
                        "in turn with this one")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    singles = args.n if args.singles is None else min(args.singles, args.n)
    if args.against:
        best = against(args.against, args.n, singles, args.rounds)
        (here, h), (other, o) = best.items()
        for what, key in (("single", "single_us"), (f"batch of {args.n:,}", "batch_us")):
            print(f"complaint_sla {what}: {h[key]:.2f} µs here ({here}), {o[key]:.2f} µs "
                  f"there ({other}): {o[key] / h[key]:.2f}× faster here")
        print(f"outcomes (both): {h['outcomes']}")
        return 0
    result = measure(args.n, singles, args.rounds)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"finpolicy {fp.__file__}")
    print(f"complaint_sla (single, {singles:,} different complaints): "
          f"{result['single_us']:.2f} µs per complaint")
    print(f"complaint_sla_batch ({args.n:,} different complaints): "
          f"{result['batch_us']:.2f} µs per complaint")
    print(f"outcomes: {result['outcomes']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
