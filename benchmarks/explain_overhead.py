"""Do explanations cost the normal path anything? Two measurements, as ratios within one run:

- **interleaved**, in one process: an engine that never explained anything against one on
  which every domain was just explained, timed in many alternating short rounds (best of
  each, in CPU time of the process), so load from other processes hits both alike;
- **processes**: a child process where ``finpolicy.explain`` cannot even be imported against
  one where every domain was explained first, alternating children (best of each).

``python benchmarks/explain_overhead.py`` prints both as JSON; ``run.py`` reports them.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

Call = tuple[str, tuple[Any, ...], dict[str, Any]]


def access_inputs() -> tuple[list[Any], list[Any]]:
    from run import access_inputs as inputs

    return inputs()


def workload(n: int) -> list[Call]:
    """``n`` single decisions of each domain: suitability, access, classification, SLA,
    consent."""
    from run import (
        access_inputs,
        complaint_inputs,
        consent_inputs,
        field_inputs,
        suitability_inputs,
    )

    calls: list[Call] = []
    suit, (access, _) = suitability_inputs(n), access_inputs()
    complaints, fields, consents = complaint_inputs(), field_inputs(), consent_inputs()
    for i in range(n):
        customer, product, on = suit[i]
        calls.append(("check_suitability", (customer, product), {"as_of": on}))
        calls.append(("authorize", (access[i % len(access)],), {}))
        calls.append(("classify", (fields[i % len(fields)],), {}))
        complaint, now = complaints[i % len(complaints)]
        calls.append(("complaint_sla", (complaint,), {"as_of": now}))
        request, given = consents[i % len(consents)]
        calls.append(("check_processing", (request,), {"consents": given}))
    return calls


def _runner(engine: Any, calls: list[Call], *, explained: bool) -> Callable[[], float]:
    if explained:
        for method, args, kwargs in calls[:5]:  # one explanation per domain
            engine.explain(method, *args, **kwargs)
    bound = [(getattr(engine, method), args, kwargs) for method, args, kwargs in calls]

    def once() -> float:
        # CPU time of this process: time spent descheduled by a busy machine does not count
        start = time.process_time_ns()
        for function, args, kwargs in bound:
            function(*args, **kwargs)
        return (time.process_time_ns() - start) / 1e9

    once()  # warm the caches every engine keeps
    return once


def interleaved(n: int, rounds: int) -> dict[str, float]:
    """Decisions per second of a never-explained and an explained engine, same process."""
    import finpolicy as fp

    calls = workload(n)
    bundle, directory = fp.load_bundle(), access_inputs()[1]
    sides = {"without": _runner(fp.PolicyEngine(bundle, directory=directory), calls,
                                explained=False),
             "with": _runner(fp.PolicyEngine(bundle, directory=directory), calls,
                             explained=True)}
    best = dict.fromkeys(sides, float("inf"))
    order = list(sides)
    gc.collect()
    gc.disable()  # a collection would land in one side's round
    try:
        for _ in range(rounds):
            for side in order:  # ABBA: neither side always runs first
                best[side] = min(best[side], sides[side]())
            order.reverse()
    finally:
        gc.enable()
    return {side: len(calls) / seconds for side, seconds in best.items()}


def child(side: str, n: int, rounds: int) -> float:
    """One side of ``processes``: decisions per second, best of ``rounds``."""
    if side == "without":
        blocked: dict[str, Any] = {"finpolicy.explain": None}
        sys.modules.update(blocked)  # importing it now raises ImportError
    import finpolicy as fp

    calls = workload(n)
    engine = fp.PolicyEngine(fp.load_bundle(), directory=access_inputs()[1])
    once = _runner(engine, calls, explained=side == "with")
    gc.collect()
    gc.disable()
    try:
        return len(calls) / min(once() for _ in range(rounds))
    finally:
        gc.enable()


def processes(n: int, rounds: int, children: int = 4) -> dict[str, float]:
    """Best decisions per second of each side over alternating child processes."""
    best = {"without": 0.0, "with": 0.0}
    order = ["without", "with"]
    for _ in range(children):
        order.reverse()
        for side in order:
            out = subprocess.run([sys.executable, str(Path(__file__)), "--child", side,
                                  "-n", str(n), "--rounds", str(rounds)],
                                 capture_output=True, text=True, check=True)
            best[side] = max(best[side], json.loads(out.stdout)["per_second"])
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["without", "with"])
    parser.add_argument("-n", type=int, default=60, help="decisions per domain per round")
    parser.add_argument("--rounds", type=int, default=150)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"per_second": child(args.child, args.n, args.rounds)}))
        return 0
    out = {}
    for name, best in (("interleaved", interleaved(args.n, args.rounds)),
                       ("processes", processes(args.n, args.rounds))):
        out[name] = {**best, "ratio": best["without"] / best["with"]}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
