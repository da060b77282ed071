"""The facts a ``ConsentPolicy``'s rule sets read (dotted path → type), one table per rule set."""

from __future__ import annotations

__all__ = ["FIELDS", "REQUEST_FIELDS", "REVIEW_CONSENT_FIELDS", "REVIEW_USE_FIELDS"]

REQUEST_FIELDS: dict[str, str] = {
    "request.purpose": "text",
    "request.purpose_known": "boolean",
    "request.basis": "text",
    "request.separate_purpose": "boolean",
    "request.channel": "text",
    "request.contact": "boolean",
    "request.channel_allowed": "boolean",
    "request.personalised": "boolean",
    "request.automated_decision": "boolean",
    "request.significant": "boolean",
    "data.levels": "list",
    "data.max_level": "text",
    "data.max_rank": "number",
    "data.categories": "list",
    "data.sensitive": "boolean",
    "customer.minor": "boolean",
    "recipient.present": "boolean",
    "recipient.kind": "text",
    "recipient.outside": "boolean",
    "recipient.cross_border": "boolean",
    "recipient.agreement": "boolean",
    "recipient.legal_route": "boolean",
}
"""Facts the requirement rules read (derived from the request alone)."""

FIELDS: dict[str, str] = {
    **REQUEST_FIELDS,
    "contact.local_minutes": "number",
    "contact.in_hours": "boolean",
    "contact.count": "number",
    "contact.cap": "number",
    "contact.window_days": "number",
    "consent.required": "boolean",
    "consent.requires": "list",
    "consent.offered": "number",
    "consent.valid": "boolean",
    "consent.failures": "list",
    "consent.separate": "boolean",
    "consent.names_levels": "boolean",
    "consent.by_guardian": "boolean",
    "profile.consented": "boolean",
    "automated.refused": "boolean",
}
"""Facts the processing rules read: the request's, the contact's and the consent found."""

REVIEW_CONSENT_FIELDS: dict[str, str] = {
    "consent.purpose": "text",
    "consent.purpose_known": "boolean",
    "consent.basis": "text",
    "consent.purpose_separate": "boolean",
    "consent.separate": "boolean",
    "consent.evidence": "boolean",
    "consent.evidence_shared": "number",
    "consent.notice_ok": "boolean",
    "consent.expired": "boolean",
    "consent.lapsed": "boolean",
    "consent.withdrawn": "boolean",
    "consent.channel_count": "number",
}
"""Facts the ``review_consent`` rules read, one consent record at a time."""

REVIEW_USE_FIELDS: dict[str, str] = {
    **FIELDS,
    "use.kind": "text",
    "use.named_consent": "boolean",
    "use.named_failures": "list",
}
"""Facts the ``review_use`` rules read: those of the processing rules for a contact or a
processing record as of its own time, and the failures of the consent it names."""
