"""Complaint SLAs: routing, escalation and milestone deadlines on a working-day calendar.

A ``ComplaintPolicy`` declares a calendar, categories, severities, channels, events, pauses and
milestones; its rules select the route, escalations, applicable milestones and durations for
each (category, severity, channel, flags) combination, the most specific matching rule winning
per parameter. Deadlines are computed in Python (``finpolicy.calendars``); see ``evaluate``
for the exact conventions.
"""

from __future__ import annotations

from finpolicy.domains.complaints.evaluate import (
    complaint_sla,
    complaint_sla_batch,
    evaluate_input,
)
from finpolicy.domains.complaints.models import (
    STATUSES,
    Complaint,
    ComplaintEvent,
    MilestoneStatus,
    SlaReport,
)
from finpolicy.domains.complaints.policy import (
    FIELDS,
    KIND,
    RULESET,
    ComplaintRules,
    Milestone,
)
from finpolicy.domains.complaints.targets import TargetResult, complaint_targets

__all__ = [
    "FIELDS",
    "KIND",
    "RULESET",
    "STATUSES",
    "Complaint",
    "ComplaintEvent",
    "ComplaintRules",
    "Milestone",
    "MilestoneStatus",
    "SlaReport",
    "TargetResult",
    "complaint_sla",
    "complaint_sla_batch",
    "complaint_targets",
    "evaluate_input",
]
