"""Generated packs for the sweeps: an access policy with N extra rules, or with N roles.

The rules are what a bank adds as it grows: per resource type, a rule denying some actions
below a data level for some purposes, or attaching an obligation. The number of resource
types grows with the number of rules (about four rules per type), so each request concerns a
handful of rules however many there are. Half the requests are for types that have rules, half
for types that have none, at every size, so each size asks the same work of the domain.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import yaml

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs

ACTIONS = ["read", "write", "export", "delete"]
LEVELS = ["ordinary", "important", "core"]
PURPOSES = ["account_service", "credit_review", "risk_monitoring", "audit", "analytics"]
CATEGORIES = ["basic_identity", "business", "behaviour", "derived"]
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _access_source() -> dict[str, Any]:
    return yaml.safe_load((shipped_packs() / "cn-banking" / "access.yaml").read_text("utf-8"))


def _write(root: Path, source: dict[str, Any], name: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "bundle.yaml").write_text(f"name: {name}\nversion: 1.0.0\n", "utf-8")
    (root / "access.yaml").write_text(yaml.safe_dump(source, allow_unicode=True,
                                                     sort_keys=False), "utf-8")
    return root


def resource_types(rules: int) -> list[str]:
    return [f"record_type_{i}" for i in range(max(1, rules // 4))]


def generated_rules(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """``n`` access rules over ``resource_types(n)``."""
    rng = random.Random(seed)
    types = resource_types(n)
    out = []
    for i in range(n):
        conditions: list[dict[str, Any]] = [
            {"field": "resource.type", "eq": types[i % len(types)]},
            {"field": "request.action", "in": rng.sample(ACTIONS, rng.randint(1, 2))},
        ]
        if rng.random() < 0.5:
            conditions.append({"field": "resource.level_rank", "ge": rng.randint(1, 2)})
        if rng.random() < 0.3:
            conditions.append({"field": "request.purpose", "in": rng.sample(PURPOSES, 2)})
        rule: dict[str, Any] = {"id": f"generated-{i}", "when": {"all": conditions},
                                "reason": f"generated rule {i}", "cite": "seed-002 §7.2"}
        if rng.random() < 0.7:
            rule["effect"] = "deny"
        else:
            rule.update(effect="obligation", obligations=["audit_log"])
        out.append(rule)
    return out


def rules_pack(root: Path, n: int) -> Path:
    """The shipped access policy plus ``n`` generated rules (roles as shipped)."""
    source = _access_source()
    source["spec"]["rules"] = source["spec"]["rules"] + generated_rules(n)
    source["metadata"]["id"] = "sweep-rules"
    return _write(root, source, f"sweep-rules-{n}")


def rules_requests(n: int, count: int, seed: int = 5) -> list[Any]:
    """Requests by tellers and analysts, half over the types of an ``n``-rule pack."""
    rng = random.Random(seed)
    types, untouched = resource_types(n), [f"untouched_type_{i}" for i in range(10)]
    subjects = [fp.Subject(id="u1", roles=["teller"], department="retail", branch="BJ01"),
                fp.Subject(id="u2", roles=["risk_analyst"], department="risk", branch="BJ01")]
    out = []
    for _ in range(count):
        out.append(fp.AccessRequest(
            subject=rng.choice(subjects), action=rng.choice(["read", "write"]),
            purpose=rng.choice(["account_service", "risk_monitoring"]), as_of=AT,
            resource=fp.Resource(type=rng.choice(types if rng.random() < 0.5 else untouched),
                                 data_level=rng.choice(LEVELS[:2]),
                                 category=rng.choice(CATEGORIES[:2]), department="retail",
                                 branch="BJ01")))
    return out


def role_matrix(n: int, seed: int = 3) -> dict[str, set[tuple[str, str]]]:
    """``n`` roles, each with a random least-privilege-looking set of (level, action)."""
    rng = random.Random(seed)
    matrix = {}
    for i in range(n):
        pairs = {(lv, a) for lv in LEVELS for a in ACTIONS
                 if rng.random() < (0.7 if lv == "ordinary" else 0.35)}
        matrix[f"role{i}"] = pairs or {("ordinary", "read")}
    return matrix


def roles_pack(root: Path, matrix: dict[str, set[tuple[str, str]]]) -> Path:
    """An access policy whose roles are ``matrix`` (no grants, no SoD, any scope)."""
    source = _access_source()
    spec = source["spec"]
    spec["roles"] = {
        role: {"title": role, "purposes": ["account_service"], "scope": "any",
               "permissions": [{"actions": [a], "levels": [lv], "categories": ["business"]}
                               for lv, a in sorted(pairs)]}
        for role, pairs in matrix.items()}
    spec["roles"]["approver"] = {"title": "approver", "approver": True, "scope": "any"}
    spec["approval"]["requirements"] = []
    spec["separation_of_duties"] = []
    source["metadata"]["id"] = "sweep-roles"
    return _write(root, source, f"sweep-roles-{len(matrix)}")


def roles_requests(matrix: dict[str, set[tuple[str, str]]], count: int,
                   seed: int = 9) -> list[tuple[str, str, str, Any]]:
    """(role, level, action, request) over random roles of ``matrix``."""
    rng = random.Random(seed)
    roles = sorted(matrix)
    out = []
    for _ in range(count):
        role, level, action = rng.choice(roles), rng.choice(LEVELS), rng.choice(ACTIONS)
        request = fp.AccessRequest(
            subject=fp.Subject(id=f"u-{role}", roles=[role]), action=action,
            purpose="account_service", as_of=AT,
            resource=fp.Resource(type="customer_record", data_level=level,
                                 category="business"))
        out.append((role, level, action, request))
    return out
