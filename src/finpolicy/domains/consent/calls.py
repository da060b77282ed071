"""The JSON form of the consent operations' calls (``finpolicy serve`` request bodies)."""

from __future__ import annotations

from pydantic import Field

from finpolicy.domains.access.model import AccessRequest
from finpolicy.domains.base import Call
from finpolicy.domains.consent.campaign import CampaignCustomer
from finpolicy.domains.consent.model import Consent, ContactRecord, ProcessingRequest
from finpolicy.inputs import Moment
from finpolicy.limits import MAX_ITEMS, MAX_LONG_ITEMS, MAX_TERM_LENGTH

__all__ = ["CALLS", "AuthorizeExportCall", "CheckProcessingCall", "PlanCampaignCall",
           "ReviewConsentsCall"]


class CheckProcessingCall(Call):
    """``check_processing(request, consents=..., contacts=..., policy=...)``."""

    request: ProcessingRequest
    consents: list[Consent] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    contacts: list[ContactRecord] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


class PlanCampaignCall(Call):
    """``plan_campaign(customers, consents=..., contacts=..., purpose=..., ...)``."""

    customers: list[CampaignCustomer] = Field(max_length=MAX_LONG_ITEMS)
    consents: list[Consent] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    contacts: list[ContactRecord] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    purpose: str = Field(default="marketing", max_length=MAX_TERM_LENGTH)
    channels: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    data_levels: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    categories: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    personalised: bool = False
    as_of: Moment | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


class ReviewConsentsCall(Call):
    """``review_consents(consents, contacts=..., processing=..., as_of=..., policy=...)``."""

    consents: list[Consent] = Field(max_length=MAX_LONG_ITEMS)
    contacts: list[ContactRecord] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    processing: list[ProcessingRequest] = Field(default_factory=list,
                                                max_length=MAX_LONG_ITEMS)
    as_of: Moment | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


class AuthorizeExportCall(Call):
    """``authorize_export(access, request, consents=..., contacts=..., policy=...)``."""

    access: AccessRequest
    request: ProcessingRequest
    consents: list[Consent] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    contacts: list[ContactRecord] = Field(default_factory=list, max_length=MAX_LONG_ITEMS)
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


CALLS: dict[str, type[Call]] = {"check_processing": CheckProcessingCall,
                                "plan_campaign": PlanCampaignCall,
                                "review_consents": ReviewConsentsCall,
                                "authorize_export": AuthorizeExportCall}
