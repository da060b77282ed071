"""The access methods of ``PolicyEngine`` (typed: each returns its decision class)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

from finpolicy._compat import renamed
from finpolicy.decisions import Decision
from finpolicy.domains.access.directory import RoleDirectory
from finpolicy.domains.access.evaluation import authorize, authorize_plain
from finpolicy.domains.access.model import (
    AccessDecision,
    AccessGrant,
    AccessRequest,
    AccessReviewReport,
    AttachedConsent,
    RoleAssignment,
    UsageRecord,
)
from finpolicy.domains.access.review import review_access
from finpolicy.runtime import PINNED, EngineAPI

__all__ = ["AccessAPI"]


class AccessAPI(EngineAPI):
    """Least-privilege access: decide requests, review grants and role assignments."""

    __slots__ = ()

    directory: RoleDirectory | None
    """The role directory that confirms grant approvers (``PolicyEngine(directory=...)``)."""

    def authorize(self, request: AccessRequest | Mapping[str, Any], /, *,
                  policy: str | None = None,
                  consent: Decision | AttachedConsent | None = None,
                  directory: RoleDirectory | Iterable[RoleAssignment | Mapping[str, Any]]
                  | None = None) -> AccessDecision:
        """Decide an access request at ``request.as_of`` (now when absent); fails closed.

        Deny overrides: any matching deny rule denies, and without a matching allow rule the
        request is denied. A malformed request (an unknown action, level or category, a naive
        time) raises ``InputError``; anything the caller may legitimately not know (an unknown
        role or purpose, a grant that does not count, an evaluation error) denies, with the
        reason. ``consent`` is the consent decision for a request whose data leaves the bank
        (``request.recipient``): it counts when it allows that recipient at that instant, and
        the access decision names it. A ``consent`` that is no consent decision (nor an
        ``AttachedConsent``), or a ``policy`` that is no text, raises ``InputError`` naming it.

        A grant counts only when the role directory confirms that its approver held one of
        the approver roles the grant names: ``directory`` (a ``RoleDirectory`` or a list of
        role assignments) or else the engine's own; with neither, no grant counts.
        """
        chosen = self.directory if directory is None else directory
        hot = self._hot  # nothing to record or watch: straight to the domain (the hot path)
        if hot is not None and policy is None and consent is None and PINNED.get() is None:
            return authorize_plain(hot, request, chosen)
        runtime = self._direct()
        if runtime is not None:  # nothing to record
            return authorize(runtime, request, policy=policy, consent=consent,
                             directory=chosen)
        return self._invoke(authorize, request, policy=policy, consent=consent,
                            directory=chosen)

    def review_access(self, grants: Iterable[AccessGrant | Mapping[str, Any]],
                      assignments: Iterable[RoleAssignment | Mapping[str, Any]], /, *,
                      as_of: dt.datetime | dt.date | str | None = None,
                      usage: Iterable[UsageRecord | Mapping[str, Any]] | None = None,
                      policy: str | None = None,
                      at: dt.datetime | dt.date | str | None = None,
                      directory: RoleDirectory
                      | Iterable[RoleAssignment | Mapping[str, Any]] | None = None
                      ) -> AccessReviewReport:
        """Review grants and role assignments as of ``as_of`` (now when absent): an aware
        datetime, or its ISO text; a date means its midnight UTC.

        Reports expired, over-long, self-approved, unapproved and wrongly approved grants
        (approvers are verified against the reviewed ``assignments``, or ``directory`` when
        given), dormant grants (when ``usage`` is given), separation-of-duties conflicts and
        role changes not properly approved (their approvers verified as grants' are), most
        severe first. ``at`` is the deprecated name of ``as_of``. ``grants`` and
        ``assignments`` are lists (``None`` raises ``InputError`` naming the argument);
        ``usage=None`` means no usage records, so dormancy is not checked.
        """
        when = cast("dt.datetime | dt.date | str | None", renamed(
            as_of, at, old_name="at", new_name="as_of", where="review_access"))
        return self._invoke(review_access, grants, assignments, as_of=when, usage=usage,
                            policy=policy, directory=directory)

