"""Role directories: where finpolicy checks that a grant's approver really held an approver
role.

A grant names its approver (``approved_by``) and the roles it says the approver held
(``approver_roles``). Both come with the request, so neither proves anything: the application
supplies the truth through a *role directory*, an object with one method,
``roles_of(subject_id, at)``, returning the roles the subject held at that time. finpolicy
calls it with the approver's canonical id (``finpolicy.identity.canonical_id``) and the time
of approval; a grant counts only if the directory confirms one of the approver roles the
grant names.

``AssignmentDirectory`` is a ready directory over ``RoleAssignment`` records (an export of the
bank's identity system, or the assignments a review is given). Without any directory an
approver cannot be verified and no grant counts (``approver_unverified``): access fails
closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from finpolicy.domains.access.model import AccessGrant, AccessRequest, RoleAssignment
from finpolicy.errors import EvaluationError, FinpolicyError, InputError
from finpolicy.identity import canonical_id

__all__ = [
    "APPROVER_ROLE_NOT_HELD",
    "APPROVER_UNVERIFIED",
    "AssignmentDirectory",
    "RoleDirectory",
    "approver_failure",
    "as_directory",
    "ask_directory",
    "held_roles",
    "review_answers",
]

T = TypeVar("T")

APPROVER_UNVERIFIED = "approver_unverified"
APPROVER_ROLE_NOT_HELD = "approver_role_not_held"


@runtime_checkable
class RoleDirectory(Protocol):
    """The application's source of truth for who held which role when.

    ``roles_of`` receives the subject's id in canonical form (``fp.canonical_id``); a
    directory keyed by other spellings should bring its keys to that form. It returns a
    collection of role names (a set, list or tuple; not a string). An exception it raises
    denies the request, naming the error.
    """

    def roles_of(self, subject_id: str, at: dt.datetime, /) -> Collection[str]: ...


class AssignmentDirectory:
    """A role directory over ``RoleAssignment`` records: a subject holds a role at ``at`` when
    one of its assignments of that role is active then (``RoleAssignment.active``).

    Args:
        assignments: ``RoleAssignment`` values or their mapping form.
        field: what the caller calls the list, naming it in errors (``directory`` when it
            was given as a role directory).

    Raises:
        InputError: an assignment is malformed (naming ``<field>.N``).
    """

    __slots__ = ("_by_subject",)

    def __init__(self, assignments: Iterable[RoleAssignment | Mapping[str, Any]], *,
                 field: str = "assignments") -> None:
        if isinstance(assignments, Mapping | str | bytes):
            raise InputError.one(field, "expected a list of role assignments", "bad_input")
        by_subject: dict[str, list[RoleAssignment]] = {}
        for i, item in enumerate(assignments):
            assignment = RoleAssignment.parse(item, field=f"{field}.{i}")
            by_subject.setdefault(assignment.subject_id, []).append(assignment)
        self._by_subject = {k: tuple(v) for k, v in by_subject.items()}

    def __repr__(self) -> str:
        return f"AssignmentDirectory({len(self._by_subject)} subjects)"

    def assignments(self) -> tuple[RoleAssignment, ...]:
        """Every assignment it holds, in canonical form."""
        return tuple(a for found in self._by_subject.values() for a in found)

    def roles_of(self, subject_id: str, at: dt.datetime, /) -> frozenset[str]:
        """The roles ``subject_id`` (any spelling) held at ``at``."""
        found = self._by_subject.get(canonical_id(subject_id), ())
        return frozenset(a.role for a in found if a.active(at))


def as_directory(value: Any, *, field: str = "directory") -> RoleDirectory | None:
    """``value`` as a role directory: ``None``, a ``RoleDirectory``, or a list of role
    assignments (made an ``AssignmentDirectory``)."""
    if value is None or type(value) is AssignmentDirectory:
        return value
    if callable(getattr(value, "roles_of", None)):  # (isinstance on a Protocol is slow)
        return cast(RoleDirectory, value)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        # its errors name the argument it came as: ``review_access([], [], directory=[bad])``
        # was refused at ``assignments.0``, of the review's empty list of assignments
        return AssignmentDirectory(value, field=field)
    raise InputError.one(field, "expected a role directory (an object with "
                                "`roles_of(subject_id, at)`) or a list of role assignments, "
                                f"got {type(value).__name__}", "bad_directory")


def held_roles(directory: RoleDirectory, subject_id: str, at: dt.datetime) -> frozenset[str]:
    """The roles ``directory`` says ``subject_id`` held at ``at``.

    Raises:
        TypeError: the directory answered something other than a collection of names (the
            access decision then denies, naming this error).
    """
    if type(directory) is AssignmentDirectory:
        return directory.roles_of(subject_id, at)
    roles = directory.roles_of(subject_id, at)
    if isinstance(roles, str | bytes) or not isinstance(roles, Collection):
        raise TypeError(f"the role directory answered {type(roles).__name__}, expected a "
                        "set of role names")
    if not all(isinstance(r, str) for r in roles):
        raise TypeError("the role directory answered a role that is not text")
    return frozenset(roles)


def ask_directory(function: Callable[..., T], *args: Any) -> T:
    """Call the role directory; its failure is an ``EvaluationError`` (never its own)."""
    try:
        return function(*args)
    except FinpolicyError:
        raise
    except Exception as exc:
        raise EvaluationError(f"the role directory failed: {type(exc).__name__}: {exc}") \
            from exc


def approver_failure(grant: AccessGrant | RoleAssignment, approver_roles: frozenset[str],
                     directory: RoleDirectory | None) -> str | None:
    """Why the grant's (or a role change's) approval is not backed by the directory, or
    ``None`` when it is (or when there is no approval to check: ``not_approved`` and
    ``approver_not_authorised`` report those).

    ``approver_roles`` are the policy's approver roles: the grant must name one of them and
    the directory must confirm that the approver held it at ``approved_at``.
    """
    if grant.approved_by is None or grant.approved_at is None:
        return None
    named = approver_roles.intersection(grant.approver_roles)
    if not named:
        return None
    if directory is None:
        return APPROVER_UNVERIFIED
    if named.isdisjoint(held_roles(directory, grant.approved_by, grant.approved_at)):
        return APPROVER_ROLE_NOT_HELD
    return None


def directory_answers(request: AccessRequest, directory: RoleDirectory) -> list[dict[str, Any]]:
    """What ``directory`` confirms of the approvers of ``request``'s grants, as role
    assignments active at each approval (the decision log keeps them in place of the
    directory). A directory that fails confirms nothing, as ``authorize`` then decides."""
    out: list[dict[str, Any]] = []
    for grant in request.grants:
        if grant.approved_by is None or grant.approved_at is None:
            continue
        try:
            held = held_roles(directory, grant.approved_by, grant.approved_at)
        except Exception:
            continue
        at = grant.approved_at.isoformat()
        out.extend({"subject_id": grant.approved_by, "role": role, "assigned_at": at}
                   for role in sorted(set(held) & set(grant.approver_roles)))
    return out


def review_answers(grants: Iterable[Any], assignments: Iterable[Any],
                   directory: RoleDirectory) -> list[dict[str, Any]]:
    """What ``directory`` answered a review about the approvers of its grants and role
    changes, as role assignments each held at that approval's instant alone (the decision
    log keeps them in place of the directory, so replay confirms what the call confirmed)."""
    approvals = {(record.approved_by, record.approved_at)
                 for model, items in ((AccessGrant, grants), (RoleAssignment, assignments))
                 for record in (model.parse(item) for item in items or ())
                 if record.approved_by is not None and record.approved_at is not None}
    out: list[dict[str, Any]] = []
    for approver, at in sorted(approvals, key=lambda a: (a[0], a[1])):
        try:
            held = held_roles(directory, approver, at)
        except Exception:  # the review then failed: nothing was logged
            continue
        out.extend({"subject_id": approver, "role": role, "assigned_at": at.isoformat(),
                    "expires_at": (at + dt.timedelta(microseconds=1)).isoformat()}
                   for role in sorted(held))
    return out
