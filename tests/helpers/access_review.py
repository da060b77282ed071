"""Generate an access-review file with planted findings (and traps that must not be found)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

TZ = dt.timezone(dt.timedelta(hours=8))
REVIEW_AT = dt.datetime(2026, 6, 30, 18, 0, tzinfo=TZ)
_PURPOSES = ["account_service", "credit_review", "risk_monitoring", "audit"]
_CATEGORIES = ["basic_identity", "business", "behaviour", "derived"]
_SAFE_ROLE_SETS = [["teller"], ["customer_manager"], ["risk_officer"], ["compliance_auditor"],
                   ["data_analyst"], ["department_head"], ["teller", "data_analyst"],
                   ["customer_manager", "data_analyst"], ["risk_officer", "department_head"]]
_SOD_PAIRS = [("customer_manager", "risk_officer"), ("compliance_auditor", "department_head"),
              ("compliance_auditor", "teller")]
Expected = set[tuple[str, str | None, str | None]]


def _iso(when: dt.datetime) -> str:
    return when.isoformat()


def _clean_grant(rng: random.Random, i: int, at: dt.datetime) -> dict[str, Any]:
    level = rng.choice(["ordinary", "important", "core"])
    max_days = {"ordinary": 365, "important": 90, "core": 30}[level]
    approved = at - dt.timedelta(days=rng.randint(1, max_days // 2), hours=rng.randint(0, 23))
    return {
        "id": f"g{i:05d}", "grantee": f"u{rng.randint(0, 2999):04d}",
        "purpose": rng.choice(_PURPOSES), "resource_type": "customer_record",
        "data_level": level, "category": rng.choice(_CATEGORIES),
        "requested_at": _iso(approved - dt.timedelta(hours=rng.randint(1, 48))),
        "approved_by": f"h{rng.randint(0, 99):03d}", "approver_roles": ["department_head"],
        "approved_at": _iso(approved),
        # within the maximum, and still running at the review time
        "expires_at": _iso(approved + dt.timedelta(days=max_days - 1)),
    }


def generate(n_grants: int = 10_000, n_subjects: int = 3_000, *, seed: int = 7,
             at: dt.datetime = REVIEW_AT) -> tuple[list[dict[str, Any]], Expected]:
    """JSONL records (``{"grant": …}``, ``{"assignment": …}``, ``{"usage": …}``) and the
    exact set of findings ``(kind, grant_id, subject_id)`` a correct review reports."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    expected: Expected = set()
    for i in range(n_grants):
        g = _clean_grant(rng, i, at)
        approved = dt.datetime.fromisoformat(g["approved_at"])
        used = at - dt.timedelta(days=rng.randint(0, 29), hours=1)  # recent use: not dormant
        plant = rng.random()
        if plant < 0.02:  # past expiry, still listed
            g["expires_at"] = _iso(at - dt.timedelta(hours=rng.randint(0, 200)))
            g["approved_at"] = _iso(at - dt.timedelta(days=20))
            g["requested_at"] = _iso(at - dt.timedelta(days=21))
            g["data_level"] = "core"
            used = at - dt.timedelta(days=21)  # dormant too, but dormancy skips expired grants
            expected.add(("expired_grant", g["id"], g["grantee"]))
        elif plant < 0.04:  # longer than allowed for its level
            g["data_level"] = rng.choice(["important", "core"])
            limit = {"important": 90, "core": 30}[g["data_level"]]
            g["expires_at"] = _iso(approved + dt.timedelta(days=limit, minutes=1))
            if dt.datetime.fromisoformat(g["expires_at"]) <= at:
                g["expires_at"] = _iso(at + dt.timedelta(days=limit + 1))
            expected.add(("excessive_duration", g["id"], g["grantee"]))
        elif plant < 0.045:  # approved by the grantee
            g["approved_by"] = g["grantee"]
            expected.add(("self_approved", g["id"], g["grantee"]))
        elif plant < 0.05:  # approved by the grantee, spelt another way
            g["approved_by"] = rng.choice([" " + g["grantee"].upper(), g["grantee"] + "\u200b",
                                           g["grantee"].replace("u", "\uff55")])
            expected.add(("self_approved", g["id"], g["grantee"]))
        elif plant < 0.055:  # approved by the requester, on someone else's behalf
            g["requested_by"] = g["approved_by"]
            expected.add(("self_approved", g["id"], g["grantee"]))
        elif plant < 0.065:  # the grant names no approver role
            g["approver_roles"] = rng.choice([[], ["teller"], ["risk_officer", "data_analyst"]])
            expected.add(("approver_without_role", g["id"], g["grantee"]))
        elif plant < 0.07:  # it names one, but the assignments show none for the approver
            g["approved_by"] = f"x{rng.randint(0, 99):03d}"  # nobody the bank knows
            expected.add(("approver_unverified", g["id"], g["grantee"]))
        elif plant < 0.09 and (at - approved).days > 31:  # unused too long
            used = approved + dt.timedelta(hours=1)
            expected.add(("dormant_grant", g["id"], g["grantee"]))
        elif plant < 0.10:  # listed with no approval: authorize refuses it, the review reports it
            g.pop("approved_by")
            g.pop("approved_at")
            g["approver_roles"] = []
            # a pending grant's window runs from the request; keep it within the maximum
            g["expires_at"] = _iso(at + dt.timedelta(days=10))
            used = None
            expected.add(("grant_not_approved", g["id"], g["grantee"]))
        elif plant < 0.11:  # trap: a use after the review time does not count
            records.append({"usage": {"grant_id": g["id"],
                                      "used_at": _iso(at + dt.timedelta(days=3))}})
        if plant >= 0.11 and rng.random() < 0.3:  # trap: several uses, only the last counts
            records.append({"usage": {"grant_id": g["id"],
                                      "used_at": _iso(approved + dt.timedelta(minutes=5))}})
        records.append({"grant": g})
        if used is not None:
            records.append({"usage": {"grant_id": g["id"], "used_at": _iso(used),
                                      "subject_id": g["grantee"]}})
    for h in range(100):  # the approvers: department heads since long before the review,
        # each appointed with another head's approval and confirmed by this year's review
        records.append({"assignment": {
            "subject_id": f"h{h:03d}", "role": "department_head", "assigned_by": "admin",
            "assigned_at": _iso(at - dt.timedelta(days=1000)),
            "approved_by": f"h{(h + 1) % 100:03d}", "approver_roles": ["department_head"],
            "approved_at": _iso(at - dt.timedelta(days=1000)),
            "reviewed_at": _iso(at - dt.timedelta(days=30))}})
    for s in range(n_subjects):
        subject = f"u{s:04d}"
        plant = rng.random()
        if plant < 0.03:
            roles = list(rng.choice(_SOD_PAIRS))
            expected.add(("sod_conflict", None, subject))
        elif plant < 0.04:
            roles = [rng.choice(["teller", "risk_officer"]), "wizard"]
            expected.add(("unknown_role", None, subject))
        else:
            roles = list(rng.choice(_SAFE_ROLE_SETS))
        for j, role in enumerate(roles):
            days = rng.randint(1, 900)
            assignment = {
                "subject_id": subject, "role": role, "assigned_by": "admin",
                "assigned_at": _iso(at - dt.timedelta(days=days)),
                # approved when assigned, and confirmed by a review within the last year
                "approved_by": f"h{rng.randint(0, 99):03d}", "approver_roles": ["department_head"],
                "approved_at": _iso(at - dt.timedelta(days=days)),
                "reviewed_at": _iso(at - dt.timedelta(days=rng.randint(0, min(days, 364))))}
            if j == 0 and 0.04 <= plant < 0.05:  # a role change nobody approved
                for key in ("approved_by", "approved_at", "reviewed_at"):
                    assignment.pop(key)
                assignment["approver_roles"] = []
                assignment["assigned_at"] = _iso(at - dt.timedelta(days=rng.randint(1, 300)))
                expected.add(("role_change_not_approved", None, subject))
            elif j == 0 and 0.05 <= plant < 0.06:  # not confirmed for more than a year
                assignment["reviewed_at"] = _iso(at - dt.timedelta(days=365, minutes=1))
                assignment["approved_at"] = assignment["assigned_at"] = _iso(
                    at - dt.timedelta(days=rng.randint(400, 900)))
                expected.add(("role_review_overdue", None, subject))
            records.append({"assignment": assignment})
        pair = next((p for p in _SOD_PAIRS if roles[0] in p and not set(p) & set(roles[1:])),
                    None)
        if plant >= 0.04 and pair is not None and rng.random() < 0.05:
            # trap: a conflicting role that ended before the review, or starts after it
            other = pair[1] if roles[0] == pair[0] else pair[0]
            window = rng.choice([
                {"assigned_at": _iso(at - dt.timedelta(days=100)),
                 "expires_at": _iso(at - dt.timedelta(days=1))},
                {"assigned_at": _iso(at + dt.timedelta(days=1))}])
            records.append({"assignment": {"subject_id": subject, "role": other,
                                           "approved_by": "h001", **window}})
    rng.shuffle(records)
    return records, expected


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path
