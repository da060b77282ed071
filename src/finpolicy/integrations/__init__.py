"""Authorize web requests with finpolicy, in the application's own process.

``finpolicy.integrations.fastapi.Authorize`` (a FastAPI dependency) and
``finpolicy.integrations.django.authorize`` (a view decorator, with
``FinpolicyAccessMiddleware``) take the subject from the framework's user and the resource and
purpose from the route, decide with ``engine.authorize`` and answer 403 with the denial's
reasons. ``field_levels`` and ``mask_fields`` mask a response's fields by classification.
This module needs no web framework; each framework's module imports its own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from finpolicy.errors import FinpolicyError, InputError
from finpolicy.facade import AccessDecision, PolicyEngine

__all__ = ["AccessDenied", "RouteAccess", "denial", "field_levels", "mask_fields",
           "subject_of"]

Source = Any | Callable[[Any], Any]
"""A value, or a function of the framework's request that gives it."""


class AccessDenied(FinpolicyError, PermissionError):
    """The request was denied; ``decision`` says why."""

    def __init__(self, decision: AccessDecision) -> None:
        super().__init__("access denied: " + "; ".join(h.reason for h in decision.hits))
        self.decision = decision


def subject_of(user: Any) -> dict[str, Any] | None:
    """The access subject of a framework's user: a mapping with ``id`` and ``roles`` (and
    optionally ``department``, ``branch``), or an object with a ``finpolicy_subject()``
    method or those attributes (``username`` for ``id``). ``None`` for no user, an anonymous
    one, one the framework does not count as authenticated (``is_authenticated`` false, as
    Starlette's and Django's users say it) or a disabled account (``is_active`` false): such
    a request is denied. A user without ``id`` or ``username``, or whose ``roles`` is no
    list of names (a text), gives a subject the decision refuses, naming the field."""
    if user is None or getattr(user, "is_anonymous", False) is True \
            or getattr(user, "is_authenticated", True) is False \
            or getattr(user, "is_active", True) is False:
        return None
    method = getattr(user, "finpolicy_subject", None)
    if callable(method):
        user = method()
        if user is None:
            return None
    if isinstance(user, Mapping):
        return dict(user)
    subject: dict[str, Any] = {}
    identity = getattr(user, "id", None) or getattr(user, "username", None)
    if identity is not None:  # (else the decision refuses it, naming ``subject.id``)
        subject["id"] = str(identity)
    roles = getattr(user, "roles", None)
    # a text or any other single value is refused naming ``subject.roles``, not read as
    # the list of its letters
    subject["roles"] = [] if roles is None else list(roles) \
        if isinstance(roles, Iterable) and not isinstance(roles, str | bytes) else roles
    for scope in ("department", "branch"):
        value = getattr(user, scope, None)
        if value is not None:
            subject[scope] = value
    return subject


def _value(source: Source, request: Any) -> Any:
    return source(request) if callable(source) else source


class RouteAccess:
    """What a route asks of the access policy: ``action`` on ``resource`` for ``purpose``.

    Args:
        engine: the engine (or a function returning it, read per request so a reloaded
            engine is used).
        action: the action (``read``, ``write``...), or a function of the request.
        resource: the resource mapping (``type``, ``data_level``, ``category``...), or a
            function of the request (for a record whose level depends on the path).
        purpose: the purpose of processing, or a function of the request (a header, say).
        subject: a function of the request giving the subject (the framework's user by
            default, read by the framework's module).
    """

    def __init__(self, engine: PolicyEngine | Callable[[], PolicyEngine], *, action: Source,
                 resource: Source, purpose: Source,
                 subject: Callable[[Any], Any] | None = None) -> None:
        self.engine = engine
        self.action = action
        self.resource = resource
        self.purpose = purpose
        self.subject = subject

    def policy_engine(self) -> PolicyEngine:
        engine = self.engine
        return engine if isinstance(engine, PolicyEngine) else engine()

    def decide(self, request: Any, user: Any, *, as_of: dt.datetime | None = None
               ) -> AccessDecision:
        """The decision on ``request`` by ``user`` (fails closed: no subject denies).

        Raises:
            AccessDenied: the decision denies, there is no authenticated subject, or what the
                request brings (the user's attributes, a value read from the request) is
                invalid (the reason names the field).
            InputError: the route's own fixed resource, action or purpose is invalid (a
                programming error).
        """
        subject = subject_of(user) if self.subject is None else self.subject(request)
        engine = self.policy_engine()
        if subject is None:
            raise AccessDenied(_refused(engine, "no-subject",
                                        "the request has no authenticated user"))
        try:
            decision = engine.authorize({
                "subject": subject, "action": _value(self.action, request),
                "resource": _value(self.resource, request),
                "purpose": _value(self.purpose, request),
                "as_of": as_of or dt.datetime.now(dt.UTC)})
        except InputError as exc:
            # what the request brings (its user, a header) fails closed with a 403 naming
            # the field; a route's own fixed values that are invalid stay a programming error
            if not all(self._from_request(p.path) for p in exc.problems):
                raise
            raise AccessDenied(_refused(engine, "invalid-request",
                                        f"the request cannot be decided: {exc}")) from None
        if not decision.allowed:
            raise AccessDenied(decision)
        return decision


    def _from_request(self, path: str) -> bool:
        """Whether the input at ``path`` came from the request (its user, or a function of
        it) rather than from the route's fixed values."""
        head = path.split(".", 1)[0].split("[", 1)[0]
        if head == "subject":
            return True
        return head in ("action", "resource", "purpose") and callable(getattr(self, head))


def _refused(engine: PolicyEngine, rule_id: str, reason: str) -> AccessDecision:
    """A deny taken before any policy is consulted (no user, an input it cannot read)."""
    from finpolicy.decisions import Hit, PolicyRef

    bundle = engine.bundle
    ref = PolicyRef("", "", "AccessPolicy", bundle.name, bundle.version, bundle.digest)
    return AccessDecision(outcome="deny", allowed=False, policy=ref,
                          engine=engine.engine_name, input_digest="",
                          as_of=dt.datetime.now(dt.UTC), hits=(Hit(rule_id, reason, ""),))


def denial(decision: AccessDecision) -> dict[str, Any]:
    """The body of a 403: the outcome, each reason with its rule and citation, the policy."""
    return {"error": "forbidden", "outcome": decision.outcome, "allowed": False,
            "reasons": [{"rule_id": h.rule_id, "reason": h.reason, "cite": h.cite}
                        for h in decision.hits],
            "grant_failures": list(decision.grant_failures),
            "policy": {"id": decision.policy.id, "version": decision.policy.version,
                       "bundle_digest": decision.policy.bundle_digest}}


def field_levels(engine: PolicyEngine, record: Mapping[str, Any], *,
                 as_of: dt.date | None = None) -> dict[str, str]:
    """Each field of ``record`` with its classification level (what ``Resource.fields``
    takes, so the access decision can name the fields the subject may not see)."""
    decision = engine.classify_record(
        {k: _sample(v) for k, v in record.items() if v is not None}, as_of=as_of)
    return {name: field.outcome for name, field in decision.fields.items()}


def _sample(value: Any) -> Any:
    """A record's value as ``classify_record`` reads it: text, a number, a date or a list of
    them as they are; any other value of a database row (a UUID, bytes, an infinite float)
    by its text, so that the row is classified rather than refused."""
    if isinstance(value, list | tuple):
        return [_sample(v) for v in value if v is not None]
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if (isinstance(value, Decimal) and not value.is_finite()) or (
            isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    if isinstance(value, str | int | float | Decimal | dt.date | dt.time):
        return value
    return str(value)


def mask_fields(engine: PolicyEngine, record: Mapping[str, Any],
                fields: Iterable[str] | AccessDecision, *,
                as_of: dt.date | None = None) -> dict[str, Any]:
    """``record`` with ``fields`` (or the ``masked_fields`` of an access decision) masked as
    the classification policy masks them; a field it cannot mask is hidden in full."""
    names = set(fields.masked_fields if isinstance(fields, AccessDecision) else fields)
    out = dict(record)
    for name in names & set(record):
        value = record[name]
        if value is None:
            continue
        try:
            masked = engine.mask(value if isinstance(value, int) and not isinstance(
                value, bool) else str(value), field=name, as_of=as_of)
        except InputError:
            masked = "*" * max(len(str(value)), 1)  # fail closed: never show it plain
        out[name] = masked if masked != str(value) else "*" * max(len(str(value)), 1)
    return out
