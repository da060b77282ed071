"""The benchmark's inputs: the pack's own examples and generated customers, products,
complaints and fields, made the same way in every run (fixed seeds)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import yaml

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs

PACK = shipped_packs() / "cn-banking"


def _examples(domain: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((PACK / "examples" / f"{domain}.yaml").read_text("utf-8"))
    return data["cases"]


def _when(value: str) -> Any:
    return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)


def suitability_inputs(n: int) -> list[tuple[Any, Any, dt.date]]:
    rng = random.Random(1)
    on = dt.date(2026, 3, 2)
    customers = [fp.Customer(id=f"c{i}", risk_level=f"C{rng.randint(1, 5)}",
                             assessment_date=on - dt.timedelta(days=rng.randint(0, 400)),
                             birth_date=dt.date(rng.randint(1940, 2005), 6, 1),
                             investable_assets=float(rng.randint(1, 100) * 10_000))
                 for i in range(200)]
    products = [fp.Product(id=f"p{i}", kind=rng.choice(["wealth_management", "fund",
                                                         "structured_deposit"]),
                           risk_level=f"R{rng.randint(1, 5)}", term_months=rng.choice([3, 12]))
                for i in range(50)]
    return [(rng.choice(customers), rng.choice(products), on) for _ in range(n)]


def access_inputs() -> tuple[list[Any], list[Any]]:
    """The examples' requests, and the role assignments that confirm their approvers."""
    out, assignments = [], []
    for case in _examples("access"):
        data = dict(case["input"])
        assignments += data.pop("assignments", [])
        data["as_of"] = _when(case["as_of"])
        out.append(fp.AccessRequest(**data))
    return out, assignments


def complaint_inputs() -> list[tuple[Any, dt.datetime]]:
    return [(fp.Complaint(**case["input"]["complaint"]), _when(case["as_of"]))
            for case in _examples("complaints")]


def consent_inputs() -> list[tuple[Any, list[Any]]]:
    """The pack's consent examples that decide one request: (request, consents)."""
    out = []
    for case in _examples("consent"):
        data = case["input"]
        if "request" in data:
            request = fp.ProcessingRequest(**{**data["request"], "as_of": _when(case["as_of"])})
            out.append((request, [fp.Consent(**c) for c in data.get("consents", [])]))
    return out


def campaign_inputs(n: int) -> tuple[list[Any], list[Any], dt.datetime]:
    """``n`` customers in three zones with SMS and e-mail consents, one in five withdrawn."""
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    zones = [None, "Europe/London", "America/New_York"]
    customers = [fp.CampaignCustomer(id=f"cu{i}", time_zone=zones[i % 3],
                                     channels=["sms", "email"]) for i in range(n)]
    consents = [fp.Consent(id=f"cu{i}-{c}", customer=f"cu{i}", purpose="marketing",
                           channels=[c], separate=True, given_at=at - dt.timedelta(days=40),
                           withdrawn_at=at - dt.timedelta(days=1) if i % 5 == 0 else None,
                           evidence=f"f{i}", notice_version="privacy-2025")
                for i in range(n) for c in ("sms", "email")]
    return customers, consents, at


def field_inputs() -> list[Any]:
    names = ["身份证号", "id_number", "交易流水", "risk_preference", "contact_phone", "remark",
             "客户姓名", "card_no"]
    return [fp.DataField(name=n) for n in names]
