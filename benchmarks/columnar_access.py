"""Access requests, row vs columnar (part of ``python benchmarks/run.py --only columnar``):
``authorize`` one by one on parsed requests against ``evaluate_table("access", ...)`` over a
Parquet file of generated requests, read in chunks. ``requests`` is also the generator of
``benchmarks/scale.py agree --requests``."""

from __future__ import annotations

import datetime as dt
import json
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
from finpolicy.domains.access.strategies import APPROVER, approver_assignments

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, tzinfo=TZ)
CHUNK = 131_072
DIRECTORY = fp.AssignmentDirectory(approver_assignments())
"""The role directory confirming the generated grants' approver (built once: a list of
assignments given to each call would be indexed each time)."""
ROLE_SETS: tuple[list[str], ...] = (
    ["teller"], ["customer_manager"], ["risk_officer"], ["compliance_auditor"],
    ["data_analyst"], ["department_head"], ["teller", "customer_manager"],
    ["customer_manager", "risk_officer"], ["compliance_auditor", "teller"],
    ["contractor"], [], ["data_analyst", "customer_manager"])


def _pick(rng: np.random.Generator, values: Any, n: int) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[rng.integers(0, len(values), n)],
                    pa.string())


def requests(n: int, seed: int = 1, *, grants: float = 0.01) -> pa.Table:
    """``n`` generated requests over the shipped pack's roles, actions, levels, categories
    and purposes (and an unknown role and purpose), in 20 branches and 3 departments; a
    share ``grants`` of them presents a grant (JSON text), decided by the row engine."""
    spec = next(iter(fp.PolicyEngine().bundle.policies("AccessPolicy"))).spec
    rng = np.random.default_rng(seed)
    branches = [f"BJ{k:02d}" for k in range(20)]
    departments = ["retail", "corporate", "risk"]
    sets = pa.array(list(ROLE_SETS), pa.list_(pa.string()))
    grant = json.dumps([{"id": "g1", "grantee": "u1", "purpose": "audit",
                         "resource_type": "customer_record", "data_level": "core",
                         "category": "business",
                         "requested_at": (AT - dt.timedelta(days=1)).isoformat(),
                         "approved_by": APPROVER, "approver_roles": ["department_head"],
                         "approved_at": (AT - dt.timedelta(hours=3)).isoformat(),
                         "expires_at": (AT + dt.timedelta(days=3)).isoformat()}])
    presented = np.full(n, None, dtype=object)
    presented[rng.random(n) < grants] = grant
    return pa.table({
        "subject.id": pa.array([f"u{i}" for i in rng.integers(0, 50_000, n)], pa.string()),
        "subject.roles": sets.take(pa.array(rng.integers(0, len(ROLE_SETS), n))),
        "subject.department": _pick(rng, departments, n),
        "subject.branch": _pick(rng, branches, n),
        "action": _pick(rng, spec.actions, n),
        "purpose": _pick(rng, [*spec.purposes, "fishing"], n),
        "resource.type": _pick(rng, ["customer_record", "account", "loan"], n),
        "resource.data_level": _pick(rng, spec.levels, n),
        "resource.category": _pick(rng, spec.categories, n),
        "resource.department": _pick(rng, departments, n),
        "resource.branch": _pick(rng, branches, n),
        "grants": pa.array(presented, pa.string()),
    })


def row_requests(table: pa.Table) -> list[Any]:
    """The table's rows as parsed ``AccessRequest`` values (as of ``AT``), as the row API
    takes them fastest."""
    out = []
    for row in table.to_pylist():
        data: dict[str, Any] = {"as_of": AT}
        for name, value in row.items():
            if value is None:
                continue
            if name == "grants":
                value = json.loads(value)
            head, _, tail = name.partition(".")
            if tail:
                data.setdefault(head, {})[tail] = value
            else:
                data[head] = value
        out.append(fp.AccessRequest.parse(data))
    return out


def bench_access_columnar(console: Console, quick: bool) -> list[Measurement]:
    """Access requests/s one by one through ``authorize`` and column-wise from Parquet, both
    with the engine's role directory."""
    engine = fp.PolicyEngine(directory=DIRECTORY)
    count = 200_000 if quick else 1_000_000
    folder = Path(tempfile.mkdtemp(prefix="fp-columnar-access-"))
    mixed, plain = folder / "requests.parquet", folder / "plain.parquet"
    pq.write_table(requests(count), mixed)
    pq.write_table(requests(count, seed=2, grants=0.0), plain)
    console.log(f"access: {count:,} requests (1 % with a grant), and {count:,} without grants")
    sample = row_requests(requests(20_000, seed=3))
    start = time.perf_counter()
    for request in sample:
        engine.authorize(request)
    row_per_s = len(sample) / (time.perf_counter() - start)
    engine.evaluate_table("access", requests(100, seed=4), as_of=AT)  # warm
    rows = [Measurement("columnar", "access requests (row: authorize)", "compiled", row_per_s)]
    for name, path in (("1 % with a grant", mixed), ("no grants", plain)):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        decided = sum(t.num_rows for t in engine.iter_tables(
            "access", path, as_of=AT, chunk_rows=CHUNK))
        per_s = decided / (time.perf_counter() - start)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1e3
        rows.append(Measurement("columnar", f"access requests (columnar, Parquet, {name})",
                                "columnar", per_s,
                                note=f"{per_s / row_per_s:.0f}× row; chunk {CHUNK:,}; "
                                     f"RSS +{grown:.0f} MB"))
    return rows
