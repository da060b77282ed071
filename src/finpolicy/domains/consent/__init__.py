"""Consent and purpose limitation: purposes, channels, separate consent, withdrawal, campaigns.

The ``ConsentPolicy`` kind (PIPL Art. 13–17, 21, 23–24, 28–30, 38–39; seed 000 §2.2, §5.2;
seed 002 §2.1–2.3) and its API: ``engine.check_processing(fp.ProcessingRequest(...),
consents=[...], contacts=[...])`` → ``ConsentDecision``; ``engine.plan_campaign(customers,
...)`` → ``CampaignReport``; ``engine.review_consents(consents, ...)`` →
``ConsentReviewReport``; ``engine.authorize_export(access_request, processing_request, ...)``
→ ``ExportDecision`` (data leaving the bank: the access decision names the consent decision).
See ``evaluate`` for which problems raise ``InputError`` and which deny, and ``consents`` for
the exact instants.

This domain is a plug-in like any other: everything finpolicy asks of it is the ``DOMAIN``
object below, registered under the ``finpolicy.domains`` entry point group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from finpolicy.domains.access import VOCABULARY as ACCESS_VOCABULARY
from finpolicy.domains.access import resource_level
from finpolicy.domains.access.directory import as_directory, directory_answers
from finpolicy.domains.access.evaluation import coerce_request
from finpolicy.domains.base import Case, Domain, InvariantAdapter, LoggedCall
from finpolicy.domains.consent import pictures
from finpolicy.domains.consent.calls import CALLS
from finpolicy.domains.consent.campaign import (
    CampaignCustomer,
    CampaignEntry,
    CampaignReport,
    plan_campaign,
)
from finpolicy.domains.consent.checks import local_day
from finpolicy.domains.consent.evaluate import check_processing
from finpolicy.domains.consent.export import ExportDecision, authorize_export
from finpolicy.domains.consent.inputs import evaluate_input
from finpolicy.domains.consent.model import (
    Consent,
    ConsentDecision,
    ConsentFinding,
    ConsentReviewReport,
    ContactRecord,
    ProcessingRequest,
    Recipient,
    Refusal,
)
from finpolicy.domains.consent.review import review_consents
from finpolicy.domains.consent.spec import FIELDS, KIND, POLICY_KIND, ConsentRules, ConsentSpec

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = [
    "DOMAIN",
    "FIELDS",
    "KIND",
    "POLICY_KIND",
    "CampaignCustomer",
    "CampaignEntry",
    "CampaignReport",
    "Consent",
    "ConsentDecision",
    "ConsentFinding",
    "ConsentReviewReport",
    "ConsentRules",
    "ConsentSpec",
    "ContactRecord",
    "ExportDecision",
    "ProcessingRequest",
    "Recipient",
    "Refusal",
    "authorize_export",
    "check_processing",
    "evaluate_input",
    "plan_campaign",
    "review_consents",
]


def _logged_export(inputs: Mapping[str, Any], result: Any) -> Any:
    """An export as logged, with what the role directory answered about the access request's
    grant approvers (``assignments``), so replay decides without asking it again."""
    body = {"access": inputs["access"], "request": inputs["request"],
            "consents": inputs.get("consents", ()), "contacts": inputs.get("contacts", ())}
    directory = as_directory(inputs.get("directory"))
    if directory is not None:
        body["assignments"] = directory_answers(coerce_request(inputs["access"]), directory)
    return {"export": body}


class _ConsentCase(dict[str, Any]):
    """A consent case (``request``, ``consents``, ``contacts``) with ``day``: the day the
    engine picks the policy version on (the request's ``as_of`` on its day in the policy's
    time zone), computed when it is drawn."""

    day: dt.date | None = None


def _cases(bundle: Bundle, doc: PolicyDocument[Any]) -> SearchStrategy[Case]:
    from finpolicy.domains.consent.evaluate import policy_in_force
    from finpolicy.domains.consent.strategies import consent_cases
    from finpolicy.errors import NotInForceError
    from finpolicy.facade import PolicyEngine

    runtime = PolicyEngine(bundle)

    def case(drawn: Case) -> Case:
        found = _ConsentCase(drawn)
        at = drawn["request"].as_of
        try:
            found.day = local_day(policy_in_force(runtime, at).policy, None, at)
        except NotInForceError:  # (no version on the policy's day: its day in doc's zone)
            found.day = local_day(doc.policy, None, at)
        return found

    return consent_cases(bundle, policy=doc).map(case)


def _day(case: Case) -> dt.date:
    """The day the engine decides the case on: the request's ``as_of`` on its day in the
    policy's time zone, as drawn (a case made otherwise: its day in the zone consent
    policies default to)."""
    if isinstance(case, _ConsentCase) and case.day is not None:
        return case.day
    request: ProcessingRequest = case["request"]
    assert request.as_of is not None  # the strategies always give one
    zone = ZoneInfo(ConsentSpec.model_fields["time_zone"].default)
    return request.as_of.astimezone(zone).date()


# the policy's channels, levels, categories and (of consents and contacts) purposes, each
# refused when the policy does not name it (check_vocabulary; a request's purpose is not: an
# unknown one denies), and the request's evaluation time
_VOCABULARY = frozenset({
    "request.as_of",
    "request.channel", "request.data_levels", "request.categories", "consents.purpose",
    "consents.channels", "consents.data_levels", "consents.categories", "contacts.purpose",
    "contacts.channel"})
# the same places in an export, whose access request has the access domain's (not in a
# review: it reports what it finds in consents and contacts instead of refusing them)
_EXPORT_VOCABULARY = frozenset({*(f"export.{place}" for place in _VOCABULARY),
                                *(f"export.access.{place}" for place in ACCESS_VOCABULARY)})


DOMAIN = Domain(
    name="consent",
    title="Consent and purpose limitation",
    package=__name__,
    order=50,
    kinds=(POLICY_KIND,),
    evaluate_input=evaluate_input,
    time="datetime",
    operations={"check_processing": check_processing, "plan_campaign": plan_campaign,
                "review_consents": review_consents, "authorize_export": authorize_export},
    calls=CALLS,
    logged={"check_processing": LoggedCall(lambda i, r: {
                "request": i["request"], "consents": i.get("consents", ()),
                "contacts": i.get("contacts", ())}, vocabulary=_VOCABULARY),
            "review_consents": LoggedCall(lambda i, r: {"review": {
                "consents": i["consents"], "contacts": i.get("contacts", ()),
                "processing": i.get("processing", ()), "as_of": r.as_of}},
                lambda r: r.decisions()),
            "authorize_export": LoggedCall(_logged_export, lambda r: [r.consent, r.access],
                                           vocabulary=_EXPORT_VOCABULARY,
                                           levels=lambda i, r: resource_level(i["access"]))},
    exports={name: globals()[name] for name in (
        "CampaignCustomer", "CampaignEntry", "CampaignReport", "Consent", "ConsentDecision",
        "ConsentFinding", "ConsentReviewReport", "ContactRecord", "ExportDecision",
        "ProcessingRequest", "Recipient", "Refusal")},
    input_models=(ProcessingRequest, Consent, ContactRecord, Recipient, CampaignCustomer,
                  Refusal),
    grid=(("purpose",), ("channel",), ("data_levels",)),
    invariants={KIND: InvariantAdapter(
        cases=_cases,
        evaluate=lambda runtime, c: check_processing(runtime, c["request"],
                                                     consents=c["consents"],
                                                     contacts=c["contacts"]),
        on=_day)},
    pictures={KIND: pictures.PICTURES},
    strategies="finpolicy.domains.consent.strategies",
    cli="finpolicy.domains.consent.cli",
    explain="finpolicy.domains.consent.explain",
    error_codes={
        "policy": {
            "bad_hours": "Allowed hours start and end at the same time.",
            "undeclared_channel": "A purpose names a channel the policy does not declare.",
            "consent_settings_without_consent": "A purpose that does not rest on consent "
                                                "sets consent settings.",
            "misplaced_obligations": "Obligations on a rule that cannot carry them.",
            "missing_obligations": "An obligation rule lists no obligations.",
        },
        "input": {
            "unknown_channel": "A channel the policy does not declare.",
            "bad_country": "A recipient's country is not written as the policy's home "
                           "country (ISO 3166-1 with as many letters), so whether it is "
                           "abroad cannot be told.",
            "unclassified_field": "A field no rule of the classification policy knows, so "
                                  "whether its data is sensitive is unknown.",
            "recipient_mismatch": "An export's access and processing requests name different "
                                  "recipients.",
            "time_mismatch": "An export's access and processing requests are at different "
                             "times.",
            "set_aside_with_record": "A campaign file's record set aside with its customer's "
                                     "refused record (planned without it, the customer might "
                                     "be contacted against a withdrawal).",
        },
    },
    outcomes=("allow", "deny"),
)
