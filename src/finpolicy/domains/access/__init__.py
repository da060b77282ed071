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
from finpolicy.domains.access.spec import KIND, POLICY_KIND, AccessPolicyTables, AccessSpec
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


def _request_cases(bundle: Bundle, doc: PolicyDocument[Any]) -> SearchStrategy[Case]:
    from finpolicy.domains.access.strategies import access_requests, approver_assignments

    directory = approver_assignments(bundle)
    return access_requests(bundle).map(lambda r: {"request": r, "assignments": directory})


def _request_day(case: Case) -> dt.date:
    request: AccessRequest = case["request"]
    return (request.as_of or dt.datetime.now(dt.UTC)).date()


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
        evaluate=lambda runtime, c: authorize(runtime, c["request"],
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
