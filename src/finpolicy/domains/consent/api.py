"""The consent methods of ``PolicyEngine`` (typed: each returns its decision class)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from finpolicy.domains.access.directory import RoleDirectory
from finpolicy.domains.access.model import AccessRequest, RoleAssignment
from finpolicy.domains.consent.campaign import CampaignCustomer, CampaignReport, plan_campaign
from finpolicy.domains.consent.evaluate import check_processing
from finpolicy.domains.consent.export import ExportDecision, authorize_export
from finpolicy.domains.consent.model import (
    Consent,
    ConsentDecision,
    ConsentReviewReport,
    ContactRecord,
    ProcessingRequest,
)
from finpolicy.domains.consent.review import review_consents
from finpolicy.runtime import EngineAPI

__all__ = ["ConsentAPI"]

ConsentInput = Consent | Mapping[str, Any]
ContactInput = ContactRecord | Mapping[str, Any]
RequestInput = ProcessingRequest | Mapping[str, Any]


class ConsentAPI(EngineAPI):
    """Consent and purpose limitation: decide uses of data, plan campaigns, review consents."""

    __slots__ = ()

    def check_processing(self, request: RequestInput, /, *,
                         consents: Iterable[ConsentInput] = (),
                         contacts: Iterable[ContactInput] = (),
                         policy: str | None = None) -> ConsentDecision:
        """Decide whether ``request`` may go ahead at its ``as_of`` (now when absent), given
        the customer's ``consents`` and earlier ``contacts``; fails closed.

        The decision names the consent that authorised it, the rules and their sources, and
        the obligations (record the consent evidence, include an opt-out, log the contact …).
        A malformed input (an unknown channel, level or category, a naive time, a consent
        dated before the customer's date of birth, a recipient's country not written as the
        policy's home country) raises ``InputError``; an unknown purpose, a missing or
        withdrawn consent, one the customer gave as a child under the policy's
        ``minors_under`` or a guardian gave for a customer who was not one, denies, with the
        reason. The policy in force on the day of ``as_of`` in the policy's time zone decides.
        ``consents`` and ``contacts`` are lists (empty for none): ``None`` raises
        ``InputError`` naming the argument.
        """
        return self._invoke(check_processing, request, consents=consents, contacts=contacts,
                            policy=policy)

    def plan_campaign(self, customers: Iterable[CampaignCustomer | Mapping[str, Any]], /, *,
                      consents: Iterable[ConsentInput] = (),
                      contacts: Iterable[ContactInput] = (), purpose: str = "marketing",
                      channels: Sequence[str] = (), data_levels: Sequence[str] = (),
                      categories: Sequence[str] = (), personalised: bool = False,
                      as_of: dt.datetime | None = None,
                      policy: str | None = None) -> CampaignReport:
        """Who of ``customers`` the campaign may contact, on which channel, and when (now,
        at the next allowed time, or never). Its lists given as ``None`` raise ``InputError``
        naming the argument (an empty list is none)."""
        return self._invoke(plan_campaign, customers, consents=consents, contacts=contacts,
                            purpose=purpose, channels=channels, data_levels=data_levels,
                            categories=categories, personalised=personalised, as_of=as_of,
                            policy=policy)

    def review_consents(self, consents: Iterable[ConsentInput], /, *,
                        contacts: Iterable[ContactInput] = (),
                        processing: Iterable[RequestInput] = (),
                        as_of: dt.datetime | dt.date | None = None,
                        policy: str | None = None) -> ConsentReviewReport:
        """Review consent records as of ``as_of`` and every contact and processing record
        as of its own time: bundled consents, missing evidence, outdated notices, contacts
        after a withdrawal, expired consents still used, sharing without an agreement …
        Its lists given as ``None`` raise ``InputError`` naming the argument."""
        return self._invoke(review_consents, consents, contacts=contacts,
                            processing=processing, as_of=as_of, policy=policy)

    def authorize_export(self, access: AccessRequest | Mapping[str, Any],
                         request: RequestInput, /, *,
                         consents: Iterable[ConsentInput] = (),
                         contacts: Iterable[ContactInput] = (),
                         policy: str | None = None,
                         directory: RoleDirectory | Iterable[RoleAssignment | Mapping[str, Any]]
                         | None = None) -> ExportDecision:
        """Decide data leaving the bank: the consent decision for the recipient, then the
        access decision, which names it. ``directory`` confirms the approvers of the access
        request's grants, as for ``authorize`` (the engine's own when not given)."""
        chosen = getattr(self, "directory", None) if directory is None else directory
        return self._invoke(authorize_export, access, request, consents=consents,
                            contacts=contacts, policy=policy, directory=chosen)
