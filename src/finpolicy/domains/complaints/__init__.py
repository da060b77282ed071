"""Complaint SLAs: routing, escalation and milestone deadlines on a working-day calendar.

A ``ComplaintPolicy`` declares a calendar, categories, severities, channels, events, pauses and
milestones; its rules select the route, escalations, applicable milestones and durations for
each (category, severity, channel, flags) combination, the most specific matching rule winning
per parameter. Deadlines are computed in Python (``finpolicy.calendars``); see ``evaluate``
for the exact conventions.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from finpolicy._compat import alias_getattr
from finpolicy.domains.base import Case, Domain, InvariantAdapter, LoggedCall
from finpolicy.domains.complaints import pictures
from finpolicy.domains.complaints.calls import CALLS
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
    SlaDecision,
)
from finpolicy.domains.complaints.policy import (
    COMPLAINT_DECISION_FIELDS,
    FIELDS,
    KIND,
    POLICY_KIND,
    RULESET,
    ComplaintRules,
    Milestone,
)
from finpolicy.domains.complaints.targets import TargetResult, complaint_targets

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = [
    "DOMAIN",
    "FIELDS",
    "KIND",
    "POLICY_KIND",
    "RULESET",
    "STATUSES",
    "Complaint",
    "ComplaintEvent",
    "ComplaintRules",
    "Milestone",
    "MilestoneStatus",
    "SlaDecision",
    "TargetResult",
    "complaint_sla",
    "complaint_sla_batch",
    "complaint_targets",
    "evaluate_input",
]


def _complaint_cases(bundle: Bundle, doc: PolicyDocument[Any]) -> SearchStrategy[Case]:
    from finpolicy.domains.complaints.strategies import complaint_cases

    return complaint_cases(bundle, policy=doc)


def _received_day(case: Case) -> dt.date:
    """The day the engine picks the complaint policy version on: ``received_at``'s date as
    written (``complaint_sla``, ``complaint_targets`` and the timeline read it so; the
    strategies write it in the calendar's zone)."""
    received: dt.datetime = case["complaint"].received_at
    return received.date()


def _sla_facts(report: Any, case: Case) -> dict[str, Any]:
    received = case["complaint"].received_at
    dues = [(m.due_at - received).total_seconds() / 3600 for m in report.milestones
            if m.due_at is not None]
    facts: dict[str, Any] = {
        "status": report.status, "route": report.route,
        "milestone_count": len(report.milestones),
        "breached_count": sum(m.status == "breached" for m in report.milestones),
        "paused": bool(report.paused),
    }
    if dues:
        facts["min_hours_to_due"] = min(dues)
    return facts


def _vocabulary(key: str) -> frozenset[str]:
    """The policy's channels, categories, severities, flags, event kinds and contents: the
    log shows them as they are (each is refused when the policy does not name it)."""
    return frozenset(f"{key}.{f}" for f in ("channel", "category", "severity", "flags",
                                            "events.kind", "events.states"))


DOMAIN = Domain(
    name="complaints",
    title="Complaint SLAs",
    package=__name__,
    order=40,
    kinds=(POLICY_KIND,),
    evaluate_input=evaluate_input,
    time="datetime",
    operations={"complaint_sla": complaint_sla, "complaint_sla_batch": complaint_sla_batch},
    calls=CALLS,
    logged={"complaint_sla": LoggedCall(lambda i, r: {"complaint": i["complaint"]},
                                        vocabulary=_vocabulary("complaint")),
            "complaint_sla_batch": LoggedCall(lambda i, r: {"complaints": i["complaints"]},
                                              list, _vocabulary("complaints"))},
    exports={name: globals()[name] for name in (
        "Complaint", "ComplaintEvent", "MilestoneStatus", "SlaDecision")},
    deprecated={"SlaReport": "SlaDecision"},
    input_models=(Complaint, ComplaintEvent),
    invariants={KIND: InvariantAdapter(
        cases=_complaint_cases,
        evaluate=lambda runtime, c: complaint_sla(runtime, c["complaint"], as_of=c["as_of"]),
        on=_received_day,
        extra=_sla_facts,
        decision_fields=COMPLAINT_DECISION_FIELDS)},
    pictures={KIND: pictures.PICTURES},
    strategies="finpolicy.domains.complaints.strategies",
    cli="finpolicy.domains.complaints.cli",
    explain="finpolicy.domains.complaints.explain",
    error_codes={
        "policy": {
            "bad_calendar": "The calendar's jurisdiction, subdivision or zone is unknown.",
            "duplicate_override": "A day is listed twice among the calendar's overrides.",
            "override_outside_confirmed_years": "A day of an announced schedule's overrides "
                                                "lies outside its confirmed years.",
            "override_changes_nothing": "An override makes a working day of a day that is "
                                        "one already.",
            "confirmed_year_without_schedule": "A confirmed year of an announced schedule "
                                               "that neither the overrides nor the holidays "
                                               "data hold.",
            "duplicate_pause": "An event opens or closes more than one pause.",
            "bad_extension": "An extension would shorten a milestone's duration.",
            "bad_completion": "A milestone would be completed by no event, or by the event "
                              "that extends its time limit.",
            "unknown_event": "An event kind the policy does not declare.",
            "unknown_milestone": "A milestone the policy does not declare.",
            "unknown_content": "A content (of a letter or record) the policy does not "
                               "declare.",
            "bad_conditional": "A conditional milestone is declared inconsistently.",
            "bad_target": "A target's other answer (`against`) is the content it counts.",
        },
        "input": {
            "bad_complaints": "Complaints are not a list.",
            "bad_event": "A CSV events cell is not `kind@time` items.",
            "unknown_complaint": "An event of a long-form events table names no complaint "
                                 "of the complaints table.",
            "unknown_severity": "A severity the policy does not declare.",
            "unknown_channel": "A channel the policy does not declare.",
            "unknown_flag": "A flag the policy does not declare.",
            "unknown_approver": "An approver the policy does not declare.",
            "unknown_criterion": "A grading criterion, or a level of one, the policy does not "
                                 "declare.",
            "before_receipt": "An event happened before the complaint was received.",
            "contradictory_answer": "An event states both a target's content and the one "
                                    "that answers the other way (satisfied and "
                                    "dissatisfied).",
            "unanswered": "A measured answer states neither a target's content nor the one "
                          "that answers the other way.",
            "early_start": "A milestone's starting event happened before the event its "
                           "window follows (a review requested before any decision).",
            "early_completion": "An event completing a conditional milestone happened "
                                "before any of its starting events (a review decided with "
                                "no review requested).",
            "as_of_before_receipt": "A complaint was evaluated as of a time before it was "
                                    "received.",
            "resume_without_pause": "A resume event without an open pause before it.",
        },
    },
    outcomes=STATUSES,
)

__getattr__ = alias_getattr(__name__, DOMAIN.deprecated, globals())
