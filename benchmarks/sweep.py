"""Sweeps: how build time, memory and decision cost grow with rules and with roles.

Each point runs in a fresh child process (``python sweep.py --child ...``), so memory is
measured from a clean start and durable_rules' process-wide host starts empty:

- rules: an access policy with N generated rules (``sweep_workloads``) on each engine: load +
  compile time, resident memory added by load + compile, decisions per second;
- roles: an access policy with N roles on each engine, and the same role matrix loaded by the
  peers (cedarpy, ZEN, PyCasbin): load time and decisions per second, with the same-decision
  check before timing.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import sweep_workloads as workloads
from harness import Measurement, rss_mb

RULE_COUNTS = (10, 100, 1_000, 10_000)
QUICK_RULE_COUNTS = (10, 100, 1_000)
ROLES = 6_000
QUICK_ROLES = 600


def _rate(call: Any, items: list[Any], min_seconds: float = 0.3) -> float:
    """Calls per second over ``items``, best of repeated passes."""
    for item in items[:50]:
        call(item)
    best, deadline = 0.0, time.perf_counter() + min_seconds
    while True:
        gc.collect()
        start = time.perf_counter()
        for item in items:
            call(item)
        best = max(best, len(items) / (time.perf_counter() - start))
        if time.perf_counter() > deadline:
            return best


def _load(root: Path, engine: str) -> tuple[Any, float, float]:
    """(engine, seconds to load + compile, MB of resident memory they added)."""
    import finpolicy as fp

    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    policy_engine = fp.PolicyEngine(fp.load_bundle(root), engine=engine)
    seconds = time.perf_counter() - start
    gc.collect()
    return policy_engine, seconds, rss_mb() - before


def child_rules(engine: str, n: int) -> dict[str, Any]:
    root = workloads.rules_pack(Path(tempfile.mkdtemp(prefix="sweep-")) / "pack", n)
    policy_engine, seconds, memory = _load(root, engine)
    requests = workloads.rules_requests(n, 2_000 if engine == "compiled" else 400)
    denied = sum(not policy_engine.authorize(r).allowed for r in requests)
    rate = _rate(policy_engine.authorize, requests)
    return {"seconds": seconds, "memory_mb": memory, "per_second": rate, "denied": denied}


def child_roles(side: str, n: int) -> dict[str, Any]:
    matrix = workloads.role_matrix(n)
    sample = workloads.roles_requests(matrix, {"compiled": 2_000, "durable": 300}.get(side, 40))
    truth = [(lv, a) in matrix[role] for role, lv, a, _ in sample]
    if side in ("compiled", "durable"):
        root = workloads.roles_pack(Path(tempfile.mkdtemp(prefix="sweep-")) / "pack", matrix)
        policy_engine, seconds, memory = _load(root, side)
        requests = [r for *_, r in sample]
        decided = [policy_engine.authorize(r).allowed for r in requests]
        rate = _rate(policy_engine.authorize, requests)
    else:
        import peers

        users = {f"u-{role}": [role] for role in matrix}
        gc.collect()
        before = rss_mb()
        (peer,) = peers.peers(matrix, users, (side,))
        seconds, memory = peer.load_seconds, rss_mb() - before
        calls = [(f"u-{role}", lv, a) for role, lv, a, _ in sample]
        decided = [peer.decide(*c) for c in calls]
        rate = _rate(lambda c: peer.decide(*c), calls, min_seconds=0.1)
    if decided != truth:
        wrong = sum(a != b for a, b in zip(decided, truth, strict=True))
        raise SystemExit(f"roles sweep: {side} differs from the role matrix on {wrong} requests")
    return {"seconds": seconds, "memory_mb": memory, "per_second": rate}


def _run_child(*args: str) -> dict[str, Any] | None:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"sweep {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def rules_sweep(console: Any, counts: tuple[int, ...]) -> list[Measurement]:
    rows = []
    for n in counts:
        for engine in ("compiled", "durable"):
            console.log(f"rules sweep: {n:,} rules on {engine}")
            result = _run_child("rules", engine, str(n))
            assert result is not None
            section = f"rules sweep ({n:,} rules)"
            rows.append(Measurement(section, "load + compile", engine, 1 / result["seconds"],
                                    note=f"{result['seconds'] * 1000:,.0f} ms, "
                                         f"+{result['memory_mb']:,.0f} MB"))
            rows.append(Measurement(section, "authorize (single)", engine,
                                    result["per_second"],
                                    note=f"{1e6 / result['per_second']:,.1f} µs"))
    return rows


def roles_sweep(console: Any, n: int) -> list[Measurement]:
    import peers

    rows = []
    section = f"roles sweep ({n:,} roles)"
    sides = ["compiled", "durable"] + [name for name, (module, _) in peers.BUILDERS.items()
                                       if name != "oso" and peers.available(module)]
    for side in sides:
        console.log(f"roles sweep: {n:,} roles on {side}")
        result = _run_child("roles", side, str(n))
        assert result is not None
        rows.append(Measurement(section, "load (+ compile)", side, 1 / result["seconds"],
                                note=f"{result['seconds'] * 1000:,.0f} ms, "
                                     f"+{result['memory_mb']:,.0f} MB"))
        rows.append(Measurement(section, "decide (single)", side, result["per_second"],
                                note=f"{1e6 / result['per_second']:,.1f} µs; same decisions"))
    return rows


def _child(argv: list[str]) -> None:
    kind, side, n = argv[0], argv[1], int(argv[2])
    result = child_rules(side, n) if kind == "rules" else child_roles(side, n)
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SIDE", "N"), required=True)
    _child(parser.parse_args().child)
