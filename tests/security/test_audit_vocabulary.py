"""The decision log shows a domain's closed vocabulary (and a request's evaluation time) as
it is (``LoggedCall.vocabulary``): every place a domain names must be one whose text the domain
refuses unless it is in its list (or a time), or the log would show free text (a name, an ID)
in clear."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

import finpolicy as fp
from finpolicy.domains.registry import domain, domains

pytest.importorskip("cryptography")
pytest.importorskip("orjson")

FREE_TEXT = "Zhang Wei 11010519491231002X"  # a name and an ID number, in no list

_CUSTOMER = {"id": "c1", "kind": "individual", "risk_level": "C3",
             "assessment_date": "2026-01-05", "birth_date": "1980-06-01",
             "investor_type": "ordinary", "legal_capacity": "full", "liquidity_need": "low",
             "assessment_filled_by": "customer", "investable_assets": 500_000}
_PRODUCT = {"id": "p1", "kind": "fund", "risk_level": "R3", "issuer_risk_level": "R2",
            "redemption": "daily"}
_REQUEST = {
    "subject": {"id": "u-teller-1", "roles": ["teller"], "department": "retail",
                "branch": "BJ01"},
    "action": "read",
    "resource": {"type": "customer_record", "data_level": "core", "category": "basic_identity",
                 "department": "retail", "branch": "BJ01", "fields": {"phone": "ordinary"}},
    "purpose": "account_service", "as_of": "2026-03-02T10:00:00+08:00",
    "assignments": [{"subject_id": "u-head-7", "role": "department_head"}],
    "grants": [{"id": "g-1", "grantee": "u-teller-1", "purpose": "account_service",
                "resource_type": "customer_record", "data_level": "core",
                "category": "basic_identity", "requested_at": "2026-03-01T09:00:00+08:00",
                "approved_by": "u-head-7", "approver_roles": ["department_head"],
                "approved_at": "2026-03-01T11:30:00+08:00",
                "expires_at": "2026-03-15T18:00:00+08:00"}]}
_COMPLAINT = {"id": "cmp-1", "received_at": "2026-02-10T09:30:00+08:00", "channel": "branch",
              "category": "product", "severity": "major", "flags": ["complex"],
              "events": [{"kind": "contacted", "at": "2026-02-10T15:00:00+08:00",
                          "states": ["complainant_told"]}]}
_PROCESSING = {
    "request": {"customer": "cu-1", "purpose": "marketing", "channel": "sms",
                "data_levels": ["ordinary"], "categories": ["basic_identity"],
                "as_of": "2026-03-02T10:00:00+08:00"},
    "consents": [{"id": "c-sms", "customer": "cu-1", "purpose": "marketing",
                  "channels": ["sms"], "data_levels": ["ordinary"],
                  "categories": ["basic_identity"], "separate": True,
                  "given_at": "2026-02-01T09:00:00+08:00", "evidence": "form-881",
                  "notice_version": "privacy-2025"}],
    "contacts": [{"id": "k-1", "customer": "cu-1", "channel": "sms", "purpose": "marketing",
                  "at": "2026-03-01T10:00:00+08:00", "consent_id": "c-sms"}]}
# per domain and logged method: a call (in ``evaluate_input``'s form) with every place of its
# vocabulary filled in, and when it is decided
CALLS: dict[tuple[str, str], tuple[dict[str, Any], Any]] = {
    ("suitability", "check_suitability"): (
        {"customer": _CUSTOMER, "product": _PRODUCT}, dt.date(2026, 3, 2)),
    ("suitability", "suitable_products"): (
        {"customer": _CUSTOMER, "products": [_PRODUCT]}, dt.date(2026, 3, 2)),
    ("access", "authorize"): (
        _REQUEST, dt.datetime.fromisoformat("2026-03-02T10:00:00+08:00")),
    ("complaints", "complaint_sla"): (
        {"complaint": _COMPLAINT}, dt.datetime.fromisoformat("2026-03-05T12:00:00+08:00")),
    ("consent", "check_processing"): (
        _PROCESSING, dt.datetime.fromisoformat("2026-03-02T10:00:00+08:00")),
    ("complaints", "complaint_sla_batch"): (
        {"complaints": [_COMPLAINT]}, dt.datetime.fromisoformat("2026-03-05T12:00:00+08:00")),
    ("consent", "authorize_export"): (
        {"export": {"access": {**{k: v for k, v in _REQUEST.items() if k != "assignments"},
                               "action": "export", "recipient": "partner-insurer",
                               "purpose": "audit"},
                    "assignments": _REQUEST["assignments"],
                    "request": {**_PROCESSING["request"], "purpose": "third_party_sharing",
                                "recipient": {"name": "partner-insurer", "kind": "third_party",
                                              "agreement": "dsa-7"}},
                    "consents": [{**_PROCESSING["consents"][0],
                                  "purpose": "third_party_sharing",
                                  "recipients": ["partner-insurer"]}],
                    "contacts": _PROCESSING["contacts"]}},
        dt.datetime.fromisoformat("2026-03-02T10:00:00+08:00")),
}
VOCABULARIES = [(d.name, method, place) for d in domains()
                for method, how in d.logged.items() for place in sorted(how.vocabulary)]


def _put(node: Any, steps: list[str], value: str) -> None:
    """Put ``value`` at the place ``steps`` (into every item of a list on the way)."""
    if isinstance(node, list):
        for item in node:
            _put(item, steps, value)
        return
    key = next(iter(node)) if steps[0] == "*" else steps[0]
    if len(steps) > 1:
        _put(node[key], steps[1:], value)
    elif isinstance(node[key], list):
        node[key] = [value]
    else:
        node[key] = value


def test_every_vocabulary_is_tested() -> None:
    assert VOCABULARIES
    assert {(d, m) for d, m, _ in VOCABULARIES} <= set(CALLS)


@pytest.mark.parametrize(("name", "method", "place"), VOCABULARIES)
def test_text_a_domain_shows_in_clear_is_text_it_refuses_outside_its_list(
        engines: dict[str, fp.PolicyEngine], name: str, method: str, place: str) -> None:
    data, as_of = CALLS[(name, method)]
    found = domain(name)
    engine = engines["compiled"]
    assert found.evaluate_input(engine, copy.deepcopy(data), as_of=as_of)  # as written: fine
    changed = copy.deepcopy(data)
    _put(changed, place.split("."), FREE_TEXT)
    with pytest.raises(fp.InputError) as refused:
        found.evaluate_input(engine, changed, as_of=as_of)
    assert any(p.value == FREE_TEXT for p in refused.value.problems), refused.value


def test_the_log_shows_vocabulary_and_masks_the_rest(tmp_path: Path) -> None:
    from finpolicy.audit import AuditKeys, DecisionLog

    complaint = fp.Complaint(**_COMPLAINT)
    customer, product = fp.Customer(**_CUSTOMER), fp.Product(**_PRODUCT)
    with DecisionLog(tmp_path / "log", keys=AuditKeys.generate()) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        engine.complaint_sla(complaint, as_of=CALLS[("complaints", "complaint_sla")][1])
        engine.check_suitability(customer, product, as_of=dt.date(2026, 3, 2))
    entries = [orjson.loads(line)["record"] for f in sorted((tmp_path / "log").glob("*.jsonl"))
               for line in f.read_bytes().splitlines()]
    logged = [e for e in entries if e["type"] == "decision"]
    shown = logged[0]["input"]["complaint"]
    assert (shown["channel"], shown["category"], shown["severity"], shown["flags"]) == \
        ("branch", "product", "major", ["complex"])
    assert shown["events"][0]["kind"] == "contacted"
    assert shown["id"] != "cmp-1" and set(shown["id"]) == {"*"}  # the rest as the policy says
    buyer = logged[1]["input"]["customer"]
    assert (buyer["kind"], buyer["legal_capacity"], buyer["assessment_filled_by"]) == \
        ("individual", "full", "customer")
    assert "c1" not in orjson.dumps(buyer).decode() and "1980-06-01" not in str(buyer)
    # a risk level is from a closed list too, but a rule of the policy makes it important
    # data (`important-risk-preference`): the policy's word comes first
    assert buyer["risk_level"] != "C3"
    assert logged[1]["masked"]["customer.risk_level"][0] == "important"
    # the policy's own words stay whole in the decisions (a reason says "the customer")
    for entry in logged:
        for decision in entry["decisions"]:
            assert all("*" not in hit["rule_id"] + hit["reason"] for hit in decision["hits"])
