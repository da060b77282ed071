"""A valid body for every served operation of the default pack (the service tests call each
endpoint with it), with the outcome the pack's examples give it."""

from __future__ import annotations

from typing import Any

TELLER = {"id": "u-teller-1", "roles": ["teller"], "department": "retail", "branch": "BJ01"}
RECORD = {"type": "customer_record", "data_level": "ordinary", "category": "basic_identity",
          "department": "retail", "branch": "BJ01"}
AT = "2026-03-02T10:00:00+08:00"
READ = {"subject": TELLER, "action": "read", "resource": RECORD, "purpose": "account_service",
        "as_of": AT}
CORE_READ = {**READ, "resource": {**RECORD, "data_level": "core"}}
CUSTOMER = {"id": "cust-001", "risk_level": "C3", "assessment_date": "2025-06-01",
            "birth_date": "1962-05-10", "investable_assets": 800000,
            "investment_horizon_months": 24}
PRODUCT = {"id": "wm-2026-017", "kind": "wealth_management", "risk_level": "R3",
           "issuer_risk_level": "R4", "term_months": 12, "redemption": "periodic"}
COMPLAINT = {"id": "cmp-1", "received_at": "2025-09-26T16:59:00+08:00", "channel": "phone",
             "category": "service",
             "events": [{"kind": "contacted", "at": "2025-09-27T10:00:00+08:00"}]}
CONSENT = {"id": "c-sms", "customer": "cu-1", "purpose": "marketing", "channels": ["sms"],
           "separate": True, "given_at": "2026-02-01T09:00:00+08:00", "evidence": "form-881",
           "notice_version": "privacy-2025"}
SMS = {"customer": "cu-1", "purpose": "marketing", "channel": "sms", "as_of": AT}
PARTNER = {"name": "partner-insurer", "kind": "third_party", "agreement": "dsa-2025-07"}
SHARING = {"customer": "cu-2", "purpose": "third_party_sharing",
           "fields": ["account_number", "name"], "recipient": PARTNER, "as_of": AT}
SHARE_CONSENT = {"id": "c-share", "customer": "cu-2", "purpose": "third_party_sharing",
                 "separate": True, "recipients": ["partner-insurer"],
                 "data_levels": ["ordinary", "core"], "given_at": "2026-01-15T09:00:00+08:00",
                 "evidence": "form-902", "notice_version": "privacy-2025"}
GRANT = {"id": "g-1", "grantee": "u-teller-1", "purpose": "account_service",
         "resource_type": "customer_record", "data_level": "core",
         "category": "basic_identity", "requested_at": "2026-03-01T09:00:00+08:00",
         "approved_by": "u-head-7", "approver_roles": ["department_head"],
         "approved_at": "2026-03-01T11:30:00+08:00",
         "expires_at": "2026-03-31T00:00:00+08:00"}

BODIES: dict[str, dict[str, Any]] = {
    "classification/classify": {"field": {"name": "身份证号"}, "as_of": "2026-03-01"},
    "classification/classify_record": {"record": {"mobile": "13800138000", "note": "hello"},
                                       "as_of": "2026-03-01"},
    "classification/mask": {"value": "13800138000", "field": "mobile", "as_of": "2026-03-01"},
    "access/authorize": {"request": READ},
    "access/review_access": {"grants": [GRANT],
                             "assignments": [{"subject_id": "u-head-7",
                                              "role": "department_head"}],
                             "as_of": AT},
    "suitability/check_suitability": {"customer": CUSTOMER, "product": PRODUCT,
                                      "amount": 100000, "as_of": "2026-02-01"},
    "suitability/suitable_products": {"customer": CUSTOMER, "products": [PRODUCT],
                                      "as_of": "2026-01-31"},
    "complaints/complaint_sla": {"complaint": COMPLAINT, "as_of": "2025-10-10T09:00:00+08:00"},
    "complaints/complaint_sla_batch": {"complaints": [COMPLAINT],
                                       "as_of": "2025-10-10T09:00:00+08:00"},
    "consent/check_processing": {"request": SMS, "consents": [CONSENT]},
    "consent/plan_campaign": {"customers": [{"id": "cu-1"}], "consents": [CONSENT],
                              "channels": ["sms"], "as_of": AT},
    "consent/review_consents": {"consents": [CONSENT], "as_of": AT},
    "consent/authorize_export": {
        "access": {**READ, "purpose": "third_party_sharing"},
        "request": SHARING, "consents": [SHARE_CONSENT]},
}
