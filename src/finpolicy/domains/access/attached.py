"""The consent decision attached to an access request whose data leaves the bank, in mapping
form: what ``finpolicy eval access`` and explanations read and write as the request's
``consent`` entry.

In Python the consent decision itself is passed (``authorize(request, consent=decision)``,
or ``engine.authorize_export``, which takes it). A file or an explanation carries what the
access rules read of it: its outcome, its recipient and its instant, and the input digest the
access decision names (``None`` for a decision still to be obtained, in a suggestion).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
from pydantic import Field, field_validator

from finpolicy.decisions import Decision, PolicyRef
from finpolicy.domains.access.model import _aware
from finpolicy.errors import InputError
from finpolicy.inputs import InputModel

__all__ = ["AttachedConsent", "AttachedDecision", "split_consent"]

# the consent decision's own policy is not carried: the access rules do not read it
_UNKNOWN_POLICY = PolicyRef(id="", version="", kind="ConsentPolicy", bundle="",
                            bundle_version="", bundle_digest="")


@attrs.frozen(slots=True, kw_only=True)
class AttachedDecision(Decision):
    """A consent decision rebuilt from its mapping form (``recipient`` as the consent
    domain's decisions carry it)."""

    recipient: str | None = None


class AttachedConsent(InputModel):
    """What the access rules read of an attached consent decision.

    Attributes:
        outcome: the consent decision's outcome (``allow`` or ``deny``).
        recipient: the recipient it was decided for.
        as_of: the instant it was decided for (the request's ``as_of`` when absent).
        input_digest: the consent decision's input digest (named in the access decision);
            ``None`` when the decision is still to be obtained.
    """

    outcome: str = Field(min_length=1)
    recipient: str | None = Field(default=None, min_length=1)
    as_of: dt.datetime | None = None
    input_digest: str | None = None

    _aware = field_validator("as_of")(_aware)

    @classmethod
    def of(cls, decision: Decision) -> AttachedConsent:
        """The mapping form of a consent decision."""
        return cls(outcome=decision.outcome, recipient=getattr(decision, "recipient", None),
                   as_of=decision.as_of if isinstance(decision.as_of, dt.datetime) else None,
                   input_digest=decision.input_digest or None)

    def decision(self, at: dt.datetime | None) -> AttachedDecision:
        """The decision to pass to ``authorize`` (``at``: the request's time, for a missing
        ``as_of``).

        Raises:
            InputError: neither gives a time.
        """
        when = self.as_of or at
        if when is None:
            raise InputError.one("consent.as_of", "the time the consent decision was taken "
                                                  "for is needed when the request has no "
                                                  "`as_of`", "missing")
        return AttachedDecision(outcome=self.outcome, recipient=self.recipient,
                                policy=_UNKNOWN_POLICY, engine="", as_of=when,
                                input_digest=self.input_digest or "")


def split_consent(data: Mapping[str, Any]) -> tuple[dict[str, Any], AttachedConsent | None]:
    """An access request's mapping form without its ``consent`` entry, and that entry.

    Raises:
        InputError: the entry is malformed (named ``consent.<field>``).
    """
    payload = dict(data)
    found = payload.pop("consent", None)
    if found is None:
        return payload, None
    return payload, AttachedConsent.parse(found, field="consent")
