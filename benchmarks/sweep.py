"""Sweeps: how build time, memory and decision cost grow with rules and with roles.

Each sweep runs in a fresh child process (``python sweep.py --child ...``), so memory is
measured from a clean start and durable_rules' process-wide host starts empty. Times are CPU
time of the process (time spent waiting for a busy machine does not count), and decision rates
are the best of several rounds that time every point in turn.

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


def _pass(call: Any, items: list[Any]) -> float:
    """Calls per CPU second over one pass of ``items``."""
    gc.collect()
    start = time.process_time()
    for item in items:
        call(item)
    return len(items) / max(time.process_time() - start, 1e-9)


def interleaved(work: dict[Any, tuple[Any, list[Any]]], rounds: int = 5) -> dict[Any, float]:
    """Best calls per second of each ``key: (call, items)``, timing them in turn, round after
    round, so a busy spell of the machine falls on all of them alike."""
    for call, items in work.values():
        for item in items[:20]:
            call(item)
    best = dict.fromkeys(work, 0.0)
    for _ in range(rounds):
        for key, (call, items) in work.items():
            best[key] = max(best[key], _pass(call, items))
    return best


def _build(make: Any) -> tuple[Any, float, float]:
    """(what ``make()`` built, CPU seconds it took, MB of resident memory it added)."""
    gc.collect()
    before = rss_mb()
    start = time.process_time()
    built = make()
    seconds = time.process_time() - start
    gc.collect()
    return built, seconds, rss_mb() - before


def child_rules(counts: list[int], engines: list[str]) -> dict[str, Any]:
    import finpolicy as fp

    out: dict[str, Any] = {}
    work = {}
    for n in counts:
        root = workloads.rules_pack(Path(tempfile.mkdtemp(prefix="sweep-")) / "pack", n)
        for engine in engines:
            built, seconds, memory = _build(
                lambda r=root, e=engine: fp.PolicyEngine(fp.load_bundle(r), engine=e))
            requests = workloads.rules_requests(n, 1_000 if engine == "compiled" else 200)
            key = f"{engine} {n}"
            out[key] = {"seconds": seconds, "memory_mb": memory,
                        "denied": sum(not built.authorize(r).allowed for r in requests)}
            work[key] = (built.authorize, requests)
    for key, rate in interleaved(work).items():
        out[key]["per_second"] = rate
    return out


def _roles_side(side: str, matrix: dict[str, Any], sample: list[Any]
                ) -> tuple[Any, list[Any], float, float]:
    """(decide function, its inputs, CPU seconds to load, MB added) for one side."""
    if side in ("compiled", "durable"):
        import finpolicy as fp

        root = workloads.roles_pack(Path(tempfile.mkdtemp(prefix="sweep-")) / "pack", matrix)
        built, seconds, memory = _build(lambda: fp.PolicyEngine(fp.load_bundle(root),
                                                                engine=side))
        return (lambda r: built.authorize(r).allowed), [r for *_, r in sample], seconds, memory
    import peers

    users = {f"u-{role}": [role] for role in matrix}
    (peer,), _, memory = _build(lambda: peers.peers(matrix, users, (side,)))
    start = time.process_time()
    peers.peers(matrix, users, (side,))  # again, for the CPU time of the load alone
    seconds = time.process_time() - start
    calls = [(f"u-{role}", lv, a) for role, lv, a, _ in sample]
    return (lambda c: peer.decide(*c)), calls, seconds, memory


def child_roles(n: int, sides: list[str]) -> dict[str, Any]:
    matrix = workloads.role_matrix(n)
    out: dict[str, Any] = {}
    work = {}
    for side in sides:
        sample = workloads.roles_requests(matrix, {"compiled": 1_000, "durable": 200}.get(side,
                                                                                         20))
        decide, inputs, seconds, memory = _roles_side(side, matrix, sample)
        decided = [decide(x) for x in inputs]
        truth = [(lv, a) in matrix[role] for role, lv, a, _ in sample]
        if decided != truth:
            wrong = sum(a != b for a, b in zip(decided, truth, strict=True))
            raise SystemExit(f"roles sweep: {side} differs from the role matrix on {wrong} "
                             "requests")
        out[side] = {"seconds": seconds, "memory_mb": memory}
        work[side] = (decide, inputs)
    for side, rate in interleaved(work, rounds=3).items():
        out[side]["per_second"] = rate
    return out


def _run_child(*args: str) -> dict[str, Any] | None:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, check=False, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"sweep {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def rules_sweep(console: Any, counts: tuple[int, ...]) -> list[Measurement]:
    console.log(f"rules sweep: {', '.join(f'{n:,}' for n in counts)} rules on both engines")
    result = _run_child("rules", ",".join(map(str, counts)))
    rows = []
    for n in counts:
        section = f"rules sweep ({n:,} rules)"
        for engine in ("compiled", "durable"):
            point = result[f"{engine} {n}"]
            flat = result[f"{engine} {counts[0]}"]["per_second"] / point["per_second"]
            rows.append(Measurement(section, "load + compile", engine, 1 / point["seconds"],
                                    note=f"{point['seconds'] * 1000:,.0f} ms CPU, "
                                         f"+{point['memory_mb']:,.0f} MB"))
            rows.append(Measurement(section, "authorize (single)", engine,
                                    point["per_second"],
                                    note=f"{1e6 / point['per_second']:,.1f} µs, "
                                         f"{flat:.2f}× its cost at {counts[0]:,} rules"))
    return rows


def roles_sweep(console: Any, n: int) -> list[Measurement]:
    import peers

    sides = ["compiled", "durable"] + [name for name, (module, _) in peers.BUILDERS.items()
                                       if name != "oso" and peers.available(module)]
    console.log(f"roles sweep: {n:,} roles on {', '.join(sides)}")
    result = _run_child("roles", str(n), ",".join(sides))
    section = f"roles sweep ({n:,} roles)"
    rows = []
    for side in sides:
        point = result[side]
        rows.append(Measurement(section, "load (+ compile)", side, 1 / point["seconds"],
                                note=f"{point['seconds'] * 1000:,.0f} ms CPU, "
                                     f"+{point['memory_mb']:,.0f} MB"))
        rows.append(Measurement(section, "decide (single)", side, point["per_second"],
                                note=f"{1e6 / point['per_second']:,.1f} µs; same decisions"))
    return rows


def _child(argv: list[str]) -> None:
    import finpolicy as fp

    for engine in ("compiled", "durable"):  # imports and first-use costs, outside the timings
        fp.PolicyEngine(fp.load_bundle(), engine=engine)
    if argv[0] == "rules":
        engines = argv[2].split(",") if len(argv) > 2 else ["compiled", "durable"]
        result = child_rules([int(n) for n in argv[1].split(",")], engines)
    else:
        result = child_roles(int(argv[1]), argv[2].split(","))
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", metavar="ARG", required=True,
                        help="rules N,N,... [ENGINE,ENGINE] | roles N SIDE,SIDE,...")
    _child(parser.parse_args().child)
