"""Do explanations cost the normal path anything? Decisions per second in a process where
``finpolicy.explain`` cannot even be imported, against one where explanations of every domain
were just computed on the same engine.

Each side runs in its own child process (``python explain_overhead.py --child without|with``
prints its rate as JSON); ``measure`` alternates the two sides and keeps each side's best, so
that a noisy neighbour hurts both alike. ``run.py`` reports the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))


def _workload(n: int) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    from run import access_inputs, complaint_inputs, field_inputs, suitability_inputs

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    suit, access = suitability_inputs(n), access_inputs()
    complaints, fields = complaint_inputs(), field_inputs()
    for i in range(n):
        customer, product, on = suit[i]
        calls.append(("check_suitability", (customer, product), {"as_of": on}))
        calls.append(("authorize", (access[i % len(access)],), {}))
        calls.append(("classify", (fields[i % len(fields)],), {}))
        complaint, now = complaints[i % len(complaints)]
        calls.append(("complaint_sla", (complaint,), {"as_of": now}))
    return calls


def child(side: str, n: int) -> float:
    """Decisions per second of the mixed workload on a compiled engine, best of repeats."""
    if side == "without":
        blocked: dict[str, Any] = {"finpolicy.explain": None}
        sys.modules.update(blocked)  # importing it now raises ImportError
    from harness import throughput

    import finpolicy as fp

    engine = fp.PolicyEngine(fp.load_bundle())
    calls = _workload(n)
    if side == "with":
        for method, args, kwargs in calls[:4]:  # one explanation per domain, then decide
            engine.explain(method, *args, **kwargs)
    bound = [(getattr(engine, method), args, kwargs) for method, args, kwargs in calls]

    def work() -> None:
        for function, args, kwargs in bound:
            function(*args, **kwargs)

    return throughput(work, items=len(bound), min_seconds=1.0)


def measure(n: int, rounds: int = 3) -> dict[str, float]:
    """Best decisions per second of each side over ``rounds`` alternating child runs."""
    best = {"without": 0.0, "with": 0.0}
    for _ in range(rounds):
        for side in ("without", "with"):
            out = subprocess.run([sys.executable, str(Path(__file__)), "--child", side,
                                  "-n", str(n)], capture_output=True, text=True, check=True)
            best[side] = max(best[side], json.loads(out.stdout)["per_second"])
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["without", "with"])
    parser.add_argument("-n", type=int, default=2_000)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"per_second": child(args.child, args.n)}))
        return 0
    best = measure(args.n)
    print(json.dumps({**best, "ratio": best["without"] / best["with"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
