"""Least-privilege access: roles and attributes, purpose-bound grants, approvals, review.

The ``AccessPolicy`` kind (seed 000 §5.4, seed 002 §2.3 and §7.2) and its API:
``engine.authorize(fp.AccessRequest(...))`` → ``AccessDecision`` and
``engine.review_access(grants, assignments, as_of=..., usage=...)`` → ``AccessReviewReport``.
See ``evaluation`` for which problems raise ``InputError`` and which deny.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from finpolicy._compat import alias_getattr
from finpolicy.domains.access import pictures
from finpolicy.domains.access.calls import CALLS
from finpolicy.domains.access.directory import (
    AssignmentDirectory,
    RoleDirectory,
    as_directory,
    directory_answers,
    review_answers,
)
from finpolicy.domains.access.evaluation import authorize, decide
from finpolicy.domains.access.inputs import evaluate_input
from finpolicy.domains.access.links import check_classification_link
from finpolicy.domains.access.model import (
    AccessDecision,
    AccessGrant,
    AccessRequest,
    AccessReviewReport,
    AttachedConsent,
    Finding,
    Resource,
    RoleAssignment,
    Subject,
    UsageRecord,
)
from finpolicy.domains.access.review import review_access, review_with
from finpolicy.domains.access.spec import (
    KIND,
    POLICY_KIND,
    AccessPolicyTables,
    AccessSettings,
    AccessSpec,
)
from finpolicy.domains.base import Case, Domain, InvariantAdapter, LoggedCall, field_of

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = [
    "DOMAIN",
    "KIND",
    "POLICY_KIND",
    "AccessDecision",
    "AccessGrant",
    "AccessPolicyTables",
    "AccessRequest",
    "AccessReviewReport",
    "AccessSpec",
    "AssignmentDirectory",
    "Finding",
    "Resource",
    "RoleAssignment",
    "RoleDirectory",
    "Subject",
    "UsageRecord",
    "authorize",
    "decide",
    "evaluate_input",
    "review_access",
    "review_with",
]


class _RequestCase(dict[str, Any]):
    """An access request in the mapping form of ``evaluate_input`` (its fields, models as
    values, and ``assignments``), with ``day``: the day the engine picks the policy version
    on (``as_of``'s day in the policy's time zone), computed when it is drawn."""

    day: dt.date | None = None


def _boundary_instants(bundle: Bundle, doc: PolicyDocument[Any]) -> list[dt.datetime]:
    """Instants on the days around the windows of the access versions on which ``doc`` is in
    force: 10:00 in the policy's zone, and its first and last half hours written in UTC (a
    request at 2026-12-31T16:30Z is on 2027-01-01 in Beijing), the strategies' usual instant
    first when ``doc`` is in force on it."""
    from finpolicy.domains.access.strategies import _AT
    from finpolicy.testing.vocabulary import effective_dates

    zone = doc.policy.zone
    days = [d for d in effective_dates(bundle, KIND) if doc.metadata.in_force(d)]
    out = [_AT] if doc.metadata.in_force(_AT.astimezone(zone).date()) else []
    for day in days or [doc.metadata.effective_from]:
        out += [dt.datetime.combine(day, dt.time(10), zone),
                dt.datetime.combine(day, dt.time(0, 30), zone).astimezone(dt.UTC),
                dt.datetime.combine(day, dt.time(23, 30), zone).astimezone(dt.UTC)]
    return list(dict.fromkeys(out))


def _request_cases(bundle: Bundle, doc: PolicyDocument[Any]) -> SearchStrategy[Case]:
    """Requests on days ``doc`` is in force (by the engine's day of them), with a role
    directory confirming their grants' approvers."""
    from hypothesis import strategies as st

    from finpolicy.domains.access.days import policy_day
    from finpolicy.domains.access.strategies import access_requests, approver_assignments
    from finpolicy.facade import PolicyEngine

    directory = approver_assignments(bundle)
    runtime = PolicyEngine(bundle)
    by_instant = {at: access_requests(bundle, as_of=at) for at in _boundary_instants(bundle,
                                                                                      doc)}

    def case(request: AccessRequest) -> Case:
        found = _RequestCase({name: value for name, value in request
                              if value is not None and value != []})
        found["assignments"] = directory
        if request.as_of is not None:
            found.day = policy_day(runtime, request.as_of)
        return found

    return st.sampled_from(list(by_instant)).flatmap(by_instant.__getitem__).map(case)


def _request_of(case: Case) -> AccessRequest:
    return AccessRequest(**{k: v for k, v in case.items() if k != "assignments"})


def _request_day(case: Case) -> dt.date:
    """The day the engine decides the case on: ``as_of``'s day in the policy's time zone, as
    drawn (a case made otherwise: its day in the zone access policies default to)."""
    if isinstance(case, _RequestCase) and case.day is not None:
        return case.day
    at: dt.datetime = case.get("as_of") or dt.datetime.now(dt.UTC)
    return at.astimezone(ZoneInfo(AccessSettings.model_fields["time_zone"].default)).date()


def _logged_request(inputs: Mapping[str, Any], result: Any) -> Any:
    """A request as logged: the request, with what the rules read of an attached consent, and
    what the role directory answered about its grants' approvers (as ``assignments``), so
    replay decides as the call did without asking the directory again."""
    consent, directory = inputs.get("consent"), as_directory(inputs.get("directory"))
    if consent is None and directory is None:
        return inputs["request"]
    request = AccessRequest.parse(inputs["request"])
    data: dict[str, Any] = request.model_dump(mode="json")
    if consent is not None:
        data["consent"] = AttachedConsent.of(consent).model_dump(mode="json")
    if directory is not None:
        data["assignments"] = directory_answers(request, directory)
    return data


VOCABULARY = frozenset({  # a logged request's places of closed vocabulary (LoggedCall)
    "action", "resource.data_level", "resource.category", "resource.fields.*",
    "grants.data_level", "grants.category",  # the policy's (check_vocabulary)
    "as_of"})


def resource_level(request: Any) -> list[str]:
    """The data level an access request (a model or its mapping) would reach: its log entry
    is kept for that level's audit-log retention (seed 002 §2.3(3))."""
    resource = field_of(request, "resource")
    return [] if resource is None else [str(field_of(resource, "data_level"))]


def _logged_review(inputs: Mapping[str, Any], result: Any) -> Any:
    """A review as logged; with a role directory, what it answered about the approvers (as
    ``directory``), so replay confirms the approvers the call confirmed."""
    review = {"grants": inputs["grants"], "assignments": inputs["assignments"],
              "usage": inputs.get("usage"), "as_of": result.as_of}
    directory = as_directory(inputs.get("directory"))
    if directory is not None:
        review["directory"] = review_answers(inputs["grants"], inputs["assignments"], directory)
    return {"review": review}


DOMAIN = Domain(
    name="access",
    title="Least-privilege access",
    package=__name__,
    order=20,
    kinds=(POLICY_KIND,),
    evaluate_input=evaluate_input,
    time="datetime",
    operations={"authorize": authorize, "review_access": review_access},
    calls=CALLS,
    logged={"authorize": LoggedCall(_logged_request, vocabulary=VOCABULARY,
                                    levels=lambda i, r: resource_level(i["request"])),
            "review_access": LoggedCall(_logged_review, lambda r: r.decisions(), levels=lambda
                                        i, r: [str(field_of(g, "data_level"))
                                               for g in i.get("grants") or ()])},
    exports={name: globals()[name] for name in (
        "AccessDecision", "AccessGrant", "AccessRequest", "AccessReviewReport",
        "AssignmentDirectory", "Finding", "Resource", "RoleAssignment", "RoleDirectory",
        "Subject", "UsageRecord")},
    deprecated={"AccessReview": "AccessReviewReport"},
    input_models=(AccessRequest, Subject, Resource, AccessGrant, RoleAssignment, UsageRecord),
    grid=(("roles",), ("action",), ("data_level",), ("category",), ("purpose",)),
    invariants={KIND: InvariantAdapter(
        cases=_request_cases,
        evaluate=lambda runtime, c: authorize(runtime, _request_of(c),
                                              directory=c.get("assignments")),
        on=_request_day)},
    pictures={KIND: pictures.PICTURES},
    strategies="finpolicy.domains.access.strategies",
    cli="finpolicy.domains.access.cli",
    explain="finpolicy.domains.access.explain",
    pack_checks=(check_classification_link,),
    error_codes={"input": {
        "bad_directory": "A role directory is neither an object with `roles_of(subject_id, "
                         "at)` nor a list of role assignments.",
    }, "policy": {
        "misplaced_obligations": "Obligations on a rule that cannot carry them.",
        "missing_obligations": "An obligation rule lists no obligations.",
        "no_approver": "Grants are required but no role may approve them.",
        "bad_sod": "A separation-of-duties pair names one role twice.",
    }},
    outcomes=("allow", "deny"),
)

__getattr__ = alias_getattr(__name__, DOMAIN.deprecated, globals())
