"""Hypothesis strategies for access inputs, drawn from a bundle's access policies.

Subjects holding the policy's roles (and unknown ones), grants approved and expiring on either
side of the request, and requests both random and plausible (a role's own permission, in
scope), so allows are common, not rare.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from finpolicy._compat import renamed
from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.domains.access.model import AccessGrant, AccessRequest, Resource, Subject
from finpolicy.errors import InputError

# the module, not its names: hypothesis' entry point imports this one while
# finpolicy.testing.strategies may be half-imported (it imports hypothesis)
from finpolicy.testing import strategies as shared
from finpolicy.testing.vocabulary import literals

__all__ = ["APPROVER", "STRATEGIES", "TYPE_STRATEGIES", "access_requests",
           "approver_assignments", "default_as_of", "grants", "subjects"]

_ACCESS = "AccessPolicy"
APPROVER = "u9"
"""The approver of the grants drawn here (``u1`` also approves some, and is nobody's
approver): ``approver_assignments`` makes a role directory that confirms them."""
_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _in_force(bundle: Bundle, at: dt.datetime | None) -> list[PolicyDocument[Any]]:
    """The access versions in force on ``at``'s day in their time zone (every one when
    ``at`` is None or naive, or none is): a request drawn at ``at`` uses their vocabulary,
    not one another version has and theirs refuses."""
    docs = shared.require(bundle, _ACCESS)
    if at is None or at.tzinfo is None:
        return docs
    return [d for d in docs if d.metadata.in_force(at.astimezone(d.policy.zone).date())] \
        or docs


def _access_vocabulary(bundle: Bundle, at: dt.datetime | None = None) -> dict[str, list[str]]:
    vocab: dict[str, dict[str, None]] = {k: {} for k in ("levels", "categories", "actions",
                                                         "purposes", "roles", "approvers")}
    for doc in _in_force(bundle, at):
        spec = doc.spec
        for key in ("levels", "categories", "actions", "purposes"):
            vocab[key].update(dict.fromkeys(getattr(spec, key)))
        vocab["roles"].update(dict.fromkeys(spec.roles))
        vocab["approvers"].update(dict.fromkeys(n for n, r in spec.roles.items() if r.approver))
    return {k: list(v) for k, v in vocab.items()}


def approver_assignments(bundle: Bundle | None = None) -> list[dict[str, Any]]:
    """Role assignments (mapping form) giving ``APPROVER`` every approver role of the bundle:
    the role directory under which the grants drawn here can count."""
    vocab = _access_vocabulary(shared.bundle_or_default(bundle))
    return [{"subject_id": APPROVER, "role": role} for role in vocab["approvers"]]


def subjects(bundle: Bundle | None = None) -> st.SearchStrategy[Any]:
    """``fp.Subject`` values holding zero to two of the bundle's roles (sometimes an unknown
    one), in one of two departments and branches."""

    vocab = _access_vocabulary(shared.bundle_or_default(bundle))
    roles = st.sampled_from([*vocab["roles"], "contractor"])
    return st.builds(Subject, id=st.sampled_from(["u1", "u2", "u3"]),
                     roles=st.lists(roles, max_size=2, unique=True),
                     department=st.sampled_from(["retail", "corporate"]),
                     branch=st.sampled_from(["BJ01", "SH02"]))


def default_as_of(bundle: Bundle | None = None) -> dt.datetime:
    """The instant the strategies draw at when given none: 2026-03-02 10:00 in Beijing when
    an access version is in force on it (on its day in that version's time zone), else 10:00
    on the first day of the earliest version, in its zone."""
    docs = sorted(shared.require(shared.bundle_or_default(bundle), _ACCESS),
                  key=lambda d: d.metadata.effective_from)
    if any(d.metadata.in_force(_AT.astimezone(d.policy.zone).date()) for d in docs):
        return _AT
    first = docs[0]
    return dt.datetime.combine(first.metadata.effective_from, dt.time(10), first.policy.zone)


def grants(bundle: Bundle | None = None, *, as_of: dt.datetime | None = None,
           at: dt.datetime | None = None) -> st.SearchStrategy[Any]:
    """``fp.AccessGrant`` values around ``as_of``: approved before or after it, expiring on
    either side, by the grantee or another person, with or without an approver role
    (``at`` is the deprecated name of ``as_of``; ``default_as_of`` when neither is given)."""
    b = shared.bundle_or_default(bundle)
    at = renamed(as_of, at, old_name="at", new_name="as_of", where="grants") \
        or default_as_of(b)
    if at.tzinfo is None:
        raise InputError.one("as_of", "needs a time zone offset", "naive_datetime")
    vocab = _access_vocabulary(b, at)
    hours = st.sampled_from([-48, -1, 1, 24 * 30, 24 * 400])

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        approved = at + dt.timedelta(hours=draw(st.sampled_from([-24, -1, 1])))
        return AccessGrant(
            id=f"g{draw(st.integers(0, 99))}",
            grantee=draw(st.sampled_from(["u1", "u2"])),
            purpose=draw(st.sampled_from(vocab["purposes"])),
            resource_type="customer_record",
            data_level=draw(st.sampled_from(vocab["levels"])),
            category=draw(st.sampled_from(vocab["categories"])),
            requested_at=approved - dt.timedelta(hours=2),
            approved_by=draw(st.sampled_from(["u1", APPROVER, None])),
            approver_roles=draw(st.lists(st.sampled_from(vocab["approvers"] or ["none"]),
                                         max_size=1)),
            approved_at=approved,
            expires_at=at + dt.timedelta(hours=draw(hours)),
        )

    return build()


def access_requests(bundle: Bundle | None = None, *, as_of: dt.datetime | None = None,
                    at: dt.datetime | None = None) -> st.SearchStrategy[Any]:
    """``fp.AccessRequest`` values over the bundle's actions, levels, categories and purposes,
    with zero to two grants, sometimes for a recipient outside the bank, as of ``as_of``
    (``at`` is its deprecated name; ``default_as_of``, a day an access version is in force,
    when neither is given); the purposes and levels the rules single out come up more
    often."""
    b = shared.bundle_or_default(bundle)
    at = renamed(as_of, at, old_name="at", new_name="as_of", where="access_requests") \
        or default_as_of(b)

    vocab = _access_vocabulary(b, at)
    mentioned = literals(b, _ACCESS)

    def often_mentioned(values: list[str], path: str) -> st.SearchStrategy[str]:
        # the values the rules single out (marketing, core …) come up more often
        named = sorted(str(v) for v in mentioned.get(path, ()) if v in values)
        return st.sampled_from(values) | st.sampled_from(named) if named \
            else st.sampled_from(values)

    resource = st.builds(Resource, type=st.just("customer_record"),
                         data_level=often_mentioned(vocab["levels"], "resource.level"),
                         category=st.sampled_from(vocab["categories"]),
                         department=st.sampled_from(["retail", "corporate"]),
                         branch=st.sampled_from(["BJ01", "SH02"]))
    random_requests = st.builds(AccessRequest, subject=subjects(b),
                                action=st.sampled_from(vocab["actions"]), resource=resource,
                                purpose=often_mentioned(vocab["purposes"], "request.purpose"),
                                grants=st.lists(grants(b, as_of=at), max_size=2),
                                as_of=st.just(at),
                                recipient=st.none() | st.just("partner-bank"))
    # a third of the draws are a role's own permission on the data the rules and invariants
    # name: removing a rule that denies such a request (marketing-never-core) is then caught
    # within `finpolicy test`'s 50 inputs, not only at 200
    return st.one_of(random_requests, _plausible_requests(b, at),
                     _plausible_requests(b, at, named=mentioned))


_NAMED_PATHS = {1: "request.purpose", 2: "request.action", 3: "resource.level",
                4: "resource.category"}
"""Where in a combination of ``_combinations`` each field path the rules may name sits."""


def _combinations(bundle: Bundle, at: dt.datetime | None = None,
                  ) -> list[tuple[str, str, str, str, str]]:
    """``(role, purpose, action, level, category)`` for every permission of every role (of
    the versions in force at ``at``), for each of its purposes: the requests the roles
    themselves cover."""
    out: dict[tuple[str, str, str, str, str], None] = {}
    for doc in _in_force(bundle, at):
        for name, role in doc.spec.roles.items():
            for permission in role.permissions:
                for purpose in role.purposes:
                    out.update(dict.fromkeys(
                        (name, purpose, action, level, category)
                        for action in permission.actions for level in permission.levels
                        for category in permission.categories))
    return list(out)


def _narrowed(combinations: list[tuple[str, str, str, str, str]],
              named: dict[str, set[Any]]) -> list[tuple[str, str, str, str, str]]:
    """The combinations whose purpose, action, level and category are the ones the rules and
    invariants name, field by field (a field whose named values no combination has is left
    open): marketing on core data when they name marketing and core."""
    for index, path in _NAMED_PATHS.items():
        values = {str(v) for v in named.get(path, ())}
        narrower = [c for c in combinations if c[index] in values]
        combinations = narrower or combinations
    return combinations


def _plausible_requests(bundle: Bundle, at: dt.datetime,
                        named: dict[str, set[Any]] | None = None) -> st.SearchStrategy[Any]:
    """Requests a role's permissions cover, in scope, with a proper grant half the time, so
    that allows (and their obligations) are common, not rare.

    With ``named`` (the literals of the rules and invariants), only the combinations of role,
    purpose, action, level and category on the data they name, always with a proper grant:
    the requests the policy would allow but for the rules that single that data out, which a
    removed rule lets through.
    """
    approvers = _access_vocabulary(bundle, at)["approvers"] or ["none"]
    if named is None:
        choices = [(name, purpose, permission) for doc in _in_force(bundle, at)
                   for name, role in doc.spec.roles.items()
                   for permission in role.permissions for purpose in role.purposes]

        @st.composite
        def pick(draw: st.DrawFn) -> tuple[str, str, str, str, str, bool]:
            role, purpose, permission = draw(st.sampled_from(choices))
            return (role, purpose, draw(st.sampled_from(permission.actions)),
                    draw(st.sampled_from(permission.levels)),
                    draw(st.sampled_from(permission.categories)), draw(st.booleans()))
        picked = pick()
    else:
        picked = st.sampled_from(_narrowed(_combinations(bundle, at), named)).map(
            lambda c: (*c, True))

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        role, purpose, action, level, category, granted = draw(picked)
        given = []
        if granted:
            given.append(AccessGrant(
                id="g1", grantee="u1", purpose=purpose, resource_type="customer_record",
                data_level=level, category=category, requested_at=at - dt.timedelta(days=1),
                approved_by=APPROVER, approver_roles=[approvers[0]],
                approved_at=at - dt.timedelta(hours=20), expires_at=at + dt.timedelta(days=5)))
        return AccessRequest(
            subject=Subject(id="u1", roles=[role], department="retail", branch="BJ01"),
            action=action,
            resource=Resource(type="customer_record", data_level=level, category=category,
                              department="retail", branch="BJ01"),
            purpose=purpose, grants=given, as_of=at)

    return build()


STRATEGIES = ("access_requests", "grants", "subjects")
TYPE_STRATEGIES = {AccessRequest: access_requests, AccessGrant: grants, Subject: subjects}
