"""The RBAC peer workload: one role matrix, as a finpolicy AccessPolicy (the peers' forms are
in ``peers``).

6 roles, 3 data levels, 4 actions, 1,000 users holding 1–2 roles, 20,000 requests. Every side
must give the same decision for every request; then their throughput is compared.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

import yaml

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs

LEVELS = ["ordinary", "important", "core"]
ACTIONS = ["read", "write", "export", "delete"]
ROLES = [f"role{i}" for i in range(6)]
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def role_matrix(rng: random.Random) -> dict[str, set[tuple[str, str]]]:
    """Each role gets a random, least-privilege-looking set of (level, action) pairs."""
    matrix = {}
    for role in ROLES:
        pairs = {(level, action) for level in LEVELS for action in ACTIONS
                 if rng.random() < (0.7 if level == "ordinary" else 0.35)}
        matrix[role] = pairs or {("ordinary", "read")}
    return matrix


def write_bundle(root: Path, matrix: dict[str, set[tuple[str, str]]]) -> Path:
    """A bundle whose access policy is the matrix (no grants, no SoD, any scope)."""
    source = yaml.safe_load((shipped_packs() / "cn-banking" / "access.yaml").read_text("utf-8"))
    spec = source["spec"]
    spec["roles"] = {
        role: {"title": role, "purposes": ["account_service"], "scope": "any",
               "permissions": [{"actions": [a], "levels": [lv], "categories": ["business"]}
                               for lv, a in sorted(pairs)]}
        for role, pairs in matrix.items()}
    spec["roles"]["approver"] = {"title": "approver", "approver": True, "scope": "any"}
    spec["approval"]["requirements"] = []
    spec["separation_of_duties"] = []
    source["metadata"]["id"] = "rbac-benchmark"
    (root / "bundle.yaml").write_text("name: rbac-benchmark\nversion: 1.0.0\n", "utf-8")
    (root / "access.yaml").write_text(yaml.safe_dump(source, allow_unicode=True), "utf-8")
    return root


def workload(seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    matrix = role_matrix(rng)
    users = {f"u{i}": rng.sample(ROLES, rng.choice([1, 2])) for i in range(1000)}
    requests = [(user, rng.choice(LEVELS), rng.choice(ACTIONS))
                for user in rng.choices(list(users), k=20_000)]
    return {"matrix": matrix, "users": users, "requests": requests}


def finpolicy_side(work: dict[str, Any], engine: str) -> tuple[Any, list[Any]]:
    root = write_bundle(Path(tempfile.mkdtemp(prefix="rbac-")), work["matrix"])
    policy_engine = fp.PolicyEngine(fp.load_bundle(root), engine=engine)
    subjects = {u: fp.Subject(id=u, roles=roles) for u, roles in work["users"].items()}
    resources = {lv: fp.Resource(type="customer_record", data_level=lv, category="business")
                 for lv in LEVELS}
    requests = [fp.AccessRequest(subject=subjects[u], action=a, resource=resources[lv],
                                 purpose="account_service", as_of=AT)
                for u, lv, a in work["requests"]]
    return policy_engine, requests
