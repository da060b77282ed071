"""Data leaving the bank: an access ``export`` to an outside recipient needs an allowed consent
decision, and the access decision names it.

``authorize_export`` decides the consent side first (``check_processing``: the recipient, the
data's levels — the resource's level and category unless the request names its own — and the
customer's consents), then the access request with that decision attached; the access policy's
own rules refuse data leaving the bank without an allowed consent decision for the same
recipient at the same instant.
"""

from __future__ import annotations

from typing import Any

import attrs

from finpolicy.domains.access.evaluation import authorize, coerce_request
from finpolicy.domains.access.model import AccessDecision
from finpolicy.domains.consent.evaluate import check_processing
from finpolicy.domains.consent.model import ConsentDecision, ProcessingRequest
from finpolicy.errors import InputError
from finpolicy.runtime import Runtime

__all__ = ["ExportDecision", "authorize_export"]


@attrs.frozen(slots=True)
class ExportDecision:
    """The two decisions behind data leaving the bank.

    Attributes:
        access: the access decision (it names ``consent`` by its input digest).
        consent: the consent decision for the customer's data going to the recipient.
    """

    access: AccessDecision
    consent: ConsentDecision

    @property
    def allowed(self) -> bool:
        """Both allow (the access decision already requires the consent decision to)."""
        return self.access.allowed and self.consent.allowed

    @property
    def outcome(self) -> str:
        """``allow`` when both allow, else ``deny`` (as the service's metrics count it)."""
        return "allow" if self.allowed else "deny"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as every decision has one: ``allowed`` and the two decisions'
        own ``to_dict()`` (``{"allowed": ..., "access": {...}, "consent": {...}}``)."""
        return {"allowed": self.allowed, "access": self.access.to_dict(),
                "consent": self.consent.to_dict()}

    def explain(self) -> str:
        return f"{self.access.explain()}\n\n{self.consent.explain()}"


def _joined(access: Any, request: ProcessingRequest) -> tuple[Any, ProcessingRequest]:
    """The access request and the processing request agreeing on recipient, time and data."""
    if request.recipient is None:
        raise InputError.one("request.recipient", "an export needs the recipient",
                             "missing")
    name = request.recipient.name
    if access.recipient not in (None, name):
        raise InputError.one("access.recipient", f"`{access.recipient}` is not the "
                                                 f"processing request's recipient `{name}`",
                             "recipient_mismatch", access.recipient)
    when = access.as_of or request.as_of
    if request.as_of is not None and when != request.as_of:
        raise InputError.one("request.as_of", "differs from the access request's `as_of`",
                             "time_mismatch", request.as_of)
    if when is None:
        raise InputError.one("access.as_of", "an export needs the time it happens", "missing")
    access = access.model_copy(update={"recipient": name, "as_of": when})
    update: dict[str, Any] = {"as_of": when}
    if not (request.data_levels or request.categories or request.fields):
        # the classification of the record exported decides which consent is needed
        update.update(data_levels=[access.resource.data_level],
                      categories=[access.resource.category])
    return access, ProcessingRequest.parse({**request.model_dump(), **update})


def authorize_export(runtime: Runtime, access: Any, request: Any, *, consents: Any = (),
                     contacts: Any = (), policy: str | None = None,
                     directory: Any = None) -> ExportDecision:
    """Decide data leaving the bank: the consent decision, then the access decision naming it.

    Args:
        runtime: the engine's runtime.
        access: the ``AccessRequest`` (its ``recipient`` is filled from ``request`` when
            absent; they must agree when both are given).
        request: the ``ProcessingRequest`` of the customer's data going to the recipient; its
            data levels and categories default to the resource's.
        consents: the customer's consents.
        contacts: the customer's contacts (not used by exports, accepted for symmetry).
        policy: the consent policy id, when the bundle has several.
        directory: the role directory that confirms the approvers of the access request's
            grants (as for ``authorize``; without it no grant counts).

    Raises:
        InputError: a malformed request, or the two requests disagree.
    """
    joined, processing = _joined(coerce_request(access),
                                 ProcessingRequest.parse(request, field="request"))
    consent = check_processing(runtime, processing, consents=consents, contacts=contacts,
                               policy=policy)
    return ExportDecision(authorize(runtime, joined, consent=consent, directory=directory),
                          consent)
