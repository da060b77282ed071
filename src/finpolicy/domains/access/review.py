"""``review_access``: periodic audit of grants and role assignments (seed 000 §5.4,
seed 002 §2.3 "permissions are audited periodically").

Facts per grant and per subject are derived here; the policy's review rules (and one rule per
separation-of-duties pair) decide which findings to report and how severe they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from finpolicy._compat import renamed
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.assignments import review_roles
from finpolicy.domains.access.days import policy_day
from finpolicy.domains.access.directory import (
    AssignmentDirectory,
    RoleDirectory,
    approver_failure,
    as_directory,
    ask_directory,
    held_roles,
)
from finpolicy.domains.access.model import (
    AccessGrant,
    AccessReviewReport,
    Finding,
    RoleAssignment,
    UsageRecord,
    sort_findings,
)
from finpolicy.domains.access.spec import (
    POLICY_KIND,
    REVIEW_ASSIGNMENT_RULESET,
    REVIEW_GRANT_RULESET,
    AccessPolicyTables,
)
from finpolicy.domains.clock import now
from finpolicy.errors import InputError, InputProblem
from finpolicy.identity import canonical_id
from finpolicy.runtime import Runtime


def _items(values: Any, model: Any, field: str, *, none_is_empty: bool = False) -> list[Any]:
    """A list of ``model`` from models or mappings. ``None`` is refused (an argument left
    unset by mistake would read as nothing to review) unless ``none_is_empty`` (a file's key
    written without a value)."""
    if values is None:
        if none_is_empty:
            return []
        raise InputError.one(field, "expected a list, got None", "bad_input")
    if isinstance(values, Mapping | str | bytes):
        raise InputError.one(field, "expected a list", "bad_input")
    try:
        items = list(values)
    except TypeError:
        raise InputError.one(field, f"expected a list, got {type(values).__name__}",
                             "bad_input") from None
    return [model.parse(v, field=f"{field}.{i}") for i, v in enumerate(items)]


def grant_key(grant_id: str) -> str:
    """A grant id as a review compares it, in canonical form (``canonical_id``): one grant
    however an export or a usage log spells its id (``G-1 ``, ``g-1``)."""
    return canonical_id(grant_id)


def twice_message(grant_id: str, where: str) -> str:
    """The message of a grant id given twice, ``where`` naming both places."""
    return (f"grant `{grant_id}` is listed twice ({where}): its findings would be reported "
            "twice and its usage counted for both; give each grant once")


@attrs.frozen(slots=True)
class RepeatedGrant(InputProblem):
    """A grant id given again at a table's row or a file's line, naming the row or line it was
    first given at (``first``, counting from 1) as its own is named: once the problem is
    located in a CSV file, by the file's lines (``csv_lines``: blank lines and line breaks in
    quoted cells count), and so each time it is located again."""

    first: int = 0

    def __attrs_post_init__(self) -> None:
        first = self.first
        if self.file is not None and self.file.lower().endswith(".csv"):
            from finpolicy.columnar.tables import csv_lines

            first = csv_lines(self.file, [first])[first]
        object.__setattr__(self, "message", twice_message(
            str(self.value), f"lines {first} and {self.line}"))


def refuse_repeated_grants(grants: list[AccessGrant], field: str = "grants") -> None:
    """Refuse a grant id given twice in a list: its findings would be reported twice, and
    usage records, which name grants by id, would count for both (a table's rows:
    ``columnar_review``).

    Raises:
        InputError: at ``<field>.<i>.id`` of the second grant of an id, naming the first.
    """
    seen: dict[str, int] = {}
    for i, grant in enumerate(grants):
        first = seen.setdefault(grant_key(grant.id), i)
        if first != i:
            raise InputError.one(f"{field}.{i}.id",
                                 twice_message(grant.id, f"{field}.{first} and {field}.{i}"),
                                 "duplicate_value", grant.id)


def assignment_key(assignment: RoleAssignment) -> tuple[Any, ...]:
    """A role assignment as compared for a repeat: every field (ids in canonical form,
    times as instants), so a copy of one record is one, however its times are written."""
    return (assignment.subject_id, assignment.role, assignment.assigned_at,
            assignment.assigned_by, assignment.expires_at, assignment.approved_by,
            tuple(assignment.approver_roles), assignment.approved_at, assignment.reviewed_at)


def assignment_twice(assignment: RoleAssignment, where: str) -> str:
    """The message of a role assignment listed twice, ``where`` naming both places."""
    return (f"the role assignment of `{assignment.role}` to `{assignment.subject_id}` is "
            f"listed twice ({where}), every field alike: its findings would be reported "
            "twice; give each assignment once")


def refuse_repeated_assignments(assignments: list[RoleAssignment],
                                field: str = "assignments") -> None:
    """Refuse a role assignment given twice, every field alike (an export joined from two
    systems): each copy's findings were reported, two alike that no reader could tell apart.

    Raises:
        InputError: at ``<field>.<i>`` of the second copy, naming the first.
    """
    seen: dict[tuple[Any, ...], int] = {}
    for i, assignment in enumerate(assignments):
        first = seen.setdefault(assignment_key(assignment), i)
        if first != i:
            raise InputError.one(f"{field}.{i}", assignment_twice(
                assignment, f"{field}.{first} and {field}.{i}"), "duplicate_value")


def _days(delta: dt.timedelta) -> float:
    """``delta`` in days to the millionth, rounded up (from whole microseconds, exactly): a
    grant 40 ms longer than 30 days, which ``authorize`` refuses as too long, rounded to
    30.0 and was no finding."""
    micros = delta // dt.timedelta(microseconds=1)
    return -(-micros // 86_400) / 1_000_000


def grant_fact(grant: AccessGrant, at: dt.datetime, tables: AccessPolicyTables,
               last_use: dt.datetime | None, with_usage: bool,
               directory: RoleDirectory | None = None) -> dict[str, Any]:
    """What the review rules read about one grant (``approver_verified``: the directory
    confirms the approver held an approver role the grant names, when approving;
    ``self_approved``: the approver is the grantee or the requester, in canonical form;
    ``approved_before_request`` and ``approved_after_review``: the approval's time is before
    the request or after ``at``, grants ``authorize`` refuses as it refuses unapproved ones)."""
    start = grant.approved_at or grant.requested_at
    approved = grant.approved_at is not None and grant.approved_by is not None
    approved_at = grant.approved_at
    authorised = bool(tables.approver_roles.intersection(grant.approver_roles))
    fact: dict[str, Any] = {
        "id": grant.id, "grantee": grant.grantee, "requested_by": grant.requester,
        "approved": approved, "approver_authorised": authorised,
        "self_approved": approved and grant.approved_by in (grant.grantee, grant.requester),
        "approver_verified": approved and authorised and ask_directory(
            approver_failure, grant, tables.approver_roles, directory) is None,
        # of an approval on record (one without its approver is grant_not_approved alone)
        "approved_before_request": approved_at is not None and approved
        and approved_at < grant.requested_at,
        "approved_after_review": approved_at is not None and approved and approved_at > at,
        "expired": grant.expires_at <= at, "level": grant.data_level,
        # a level the policy does not declare has no maximum: its length goes unchecked
        "known_level": grant.data_level in tables.level_rank,
        "duration_days": _days(grant.expires_at - start),
    }
    if grant.approved_by is not None:
        fact["approved_by"] = grant.approved_by
    max_days = tables.max_days.get(grant.data_level)
    if max_days is not None:
        fact["max_days"] = max_days
    if directory is not None:
        fact.update(_grantee(grant, at, tables, directory))
    if with_usage and tables.dormancy_days is not None and grant.approved_at is not None:
        since = max(last_use, grant.approved_at) if last_use is not None else grant.approved_at
        if since <= at:
            fact["idle_days"] = _days(at - since)
            fact["dormancy_days"] = tables.dormancy_days
    return {"grant": fact}


def usage_fact(grant: AccessGrant, uses: Iterable[UsageRecord]) -> dict[str, Any]:
    """What a grant's usage records (those by the review time) say of its use:
    ``uses_outside_validity``, uses before its approval (or with none recorded) or from its
    expiry on, access the grant did not cover (seed 000 §5.4: the use follows the approval);
    ``uses_by_others``, uses by someone other than the grantee (a record naming its user)."""
    outside = others = 0
    for use in uses:
        if grant.approved_at is None or grant.approved_by is None \
                or use.used_at < grant.approved_at or use.used_at >= grant.expires_at:
            outside += 1
        if use.subject_id is not None and use.subject_id != grant.grantee:
            others += 1
    return {"uses_outside_validity": outside, "uses_by_others": others}


def _grantee(grant: AccessGrant, at: dt.datetime, tables: AccessPolicyTables,
             directory: RoleDirectory) -> dict[str, Any]:
    """What the grantee holds at the review time, by ``directory``: ``grantee_role_count``,
    the policy's roles held (0: a leaver's grant), and ``grantee_permitted``, whether one
    of them permits an action on the grant's level and category for its purpose (a grant
    opens nothing without such a role: ``authorize`` also needs ``subject.permitted``, so a
    grant kept after a move to a role that serves another purpose is idle privilege)."""
    held = sorted(tables.roles.intersection(
        ask_directory(held_roles, directory, grant.grantee, at)))
    permitted = any(grant.purpose in tables.role_purposes.get(role, ())
                    and tables.permissions.get((role, action, grant.data_level, grant.category))
                    for role in held for action in tables.actions)
    return {"grantee_roles": held, "grantee_role_count": len(held),
            "grantee_permitted": permitted}


def _grant_detail(kind: str, grant: AccessGrant, fact: Mapping[str, Any],
                  directory: RoleDirectory, levels: tuple[str, ...] = ()) -> str:
    g = fact["grant"]
    if kind == "expired_grant":
        return f"expired {grant.expires_at.isoformat()}"
    if kind == "excessive_duration":
        return (f"lasts {_in_days(g['duration_days'], g.get('max_days', 0))}; at most "
                f"{g.get('max_days', 0):g}")
    if kind == "self_approved":
        return f"approved by {grant.approved_by}"
    if kind == "unknown_level":
        known = {canonical_id(level): level for level in levels}
        meant = known.get(canonical_id(grant.data_level))
        return (f"level `{grant.data_level}`, " + (f"`{meant}` spelt otherwise" if meant else
                f"the policy's levels are {', '.join(levels)}") + "; its length is not "
                "checked against a maximum")
    if kind == "grant_not_approved":
        return _missing_approval(grant.approved_by, grant.approved_at)
    if kind in ("approved_before_request", "approved_after_review") and grant.approved_at:
        return (f"requested {grant.requested_at.isoformat()}, approved "
                f"{grant.approved_at.isoformat()}")
    if kind == "approver_without_role":  # what the grant names, not what the approver held
        return (f"approver {grant.approved_by}; the grant names "
                f"{', '.join(grant.approver_roles) or 'no role'}")
    if kind == "approver_unverified" and grant.approved_by and grant.approved_at:
        held = sorted(ask_directory(held_roles, directory, grant.approved_by,
                                      grant.approved_at))
        return (f"approver {grant.approved_by} named {', '.join(grant.approver_roles)}; the "
                f"role assignments show {', '.join(held) or 'no roles'} at approval")
    if "grantee_roles" in g and kind in ("grant_holder_without_role", "grant_not_usable"):
        holds = ", ".join(g["grantee_roles"]) or "no role of the policy"
        return (f"{grant.grantee} holds {holds} at the review time; the grant is for "
                f"`{grant.purpose}` on {grant.data_level} {grant.category} data")
    if kind in _USES and _USES[kind] in g:
        return _uses_detail(kind, grant, g[_USES[kind]])
    if kind == "dormant_grant" and "idle_days" in g:
        return (f"unused for {_in_days(g['idle_days'], g['dormancy_days'])}; at most "
                f"{g['dormancy_days']:g}")
    return ""


# the finding kinds a pack's rules on a grant's uses would report, and the fact they read
_USES = {"grant_used_outside_validity": "uses_outside_validity",
         "grant_used_by_others": "uses_by_others"}


def _uses_detail(kind: str, grant: AccessGrant, count: int) -> str:
    times = "1 use" if count == 1 else f"{count} uses"
    if kind == "grant_used_by_others":
        return f"{times} by someone other than {grant.grantee}"
    approved = grant.approved_at.isoformat() if grant.approved_at else "never approved"
    return f"{times} outside its validity (approved {approved}, expires " \
           f"{grant.expires_at.isoformat()})"


def _missing_approval(by: str | None, at: dt.datetime | None) -> str:
    """What a grant's record lacks of an approval: its approver, its time or both."""
    if by is None and at is None:
        return "no approver and no approval time recorded"
    if by is None:
        return f"no approver recorded; approved_at {at.isoformat() if at else ''}"
    return f"approved by {by}; no approval time recorded"


def _in_days(days: float, limit: float) -> str:
    """``31 days``: a duration rounded to whole days for people, never rounded down onto the
    limit it exceeds (``more than 90 days`` for 90 days and a minute)."""
    whole = round(days)
    if days > limit >= whole:
        return f"more than {limit:g} days"
    return f"{whole} day" if whole == 1 else f"{whole} days"


def review_with(runtime: Runtime, doc: PolicyDocument[Any], tables: AccessPolicyTables,
                grants: list[AccessGrant], assignments: list[RoleAssignment],
                usage: list[UsageRecord] | None, at: dt.datetime,
                directory: RoleDirectory | None = None) -> AccessReviewReport:
    """Review with explicit tables (the document's own, or a variant in tests); approvers are
    verified against ``directory``, or the reviewed ``assignments`` when it is ``None``."""
    verifier = directory if directory is not None else AssignmentDirectory(assignments)
    uses: dict[str, list[UsageRecord]] = {}
    for record in usage or ():
        if record.used_at <= at:
            uses.setdefault(grant_key(record.grant_id), []).append(record)
    findings: list[Finding] = []
    for grant in grants:
        used = uses.get(grant_key(grant.id), ())
        fact = grant_fact(grant, at, tables, max((u.used_at for u in used), default=None),
                          usage is not None, verifier)
        if usage is not None:
            fact["grant"].update(usage_fact(grant, used))
        for rule in runtime.run(doc, REVIEW_GRANT_RULESET, fact):
            kind = rule.effect["finding"]
            detail = _grant_detail(kind, grant, fact, verifier, tables.levels)
            message = f"{rule.reason} ({detail})" if detail else rule.reason
            findings.append(Finding(rule.effect["severity"], kind, message, rule.id, rule.cite,
                                    grant.id, grant.grantee))
    roles_of: dict[str, list[str]] = {}
    for assignment in assignments:
        held = roles_of.setdefault(assignment.subject_id, [])
        if assignment.active(at) and assignment.role not in held:
            held.append(assignment.role)
    for subject_id, roles in sorted(roles_of.items()):
        unknown = [r for r in roles if r not in tables.roles]
        fact = {"subject": {"id": subject_id, "roles": roles, "unknown_roles": unknown,
                            "unknown_role_count": len(unknown)}}
        for rule in runtime.run(doc, REVIEW_ASSIGNMENT_RULESET, fact):
            kind = rule.effect["finding"]
            detail = (f"holds {', '.join(sorted(roles))}" if kind == "sod_conflict"
                      else f"unknown: {_spelt(unknown, tables.roles)}" if unknown else "")
            message = f"{rule.reason} ({detail})" if detail else rule.reason
            findings.append(Finding(rule.effect["severity"], kind, message, rule.id, rule.cite,
                                    None, subject_id))
    findings.extend(review_roles(runtime, doc, tables, assignments, at, verifier))
    listed = {grant_key(g.id) for g in grants}
    unmatched: dict[str, str] = {}
    for record in usage or ():
        if record.used_at <= at and grant_key(record.grant_id) not in listed:
            unmatched.setdefault(grant_key(record.grant_id), record.grant_id)
    return AccessReviewReport(findings=sort_findings(findings), grants_reviewed=len(grants),
                              subjects_reviewed=len(roles_of), policy=runtime.ref(doc),
                              engine=runtime.engine_name, as_of=at,
                              unmatched_usage=tuple(unmatched.values()))


def _spelt(unknown: list[str], roles: frozenset[str]) -> str:
    """The unknown roles, each another spelling of a known role named with it: a role export
    in capitals or padded hides every separation-of-duties conflict, the roles then unknown."""
    known = {canonical_id(r): r for r in roles}
    return "; ".join(f"{r}, `{known[canonical_id(r)]}` spelt otherwise, so separation of "
                     "duties is not checked for it" if canonical_id(r) in known else r
                     for r in unknown)


def review_time(value: Any, field: str = "as_of") -> dt.datetime | None:
    """``value`` as a datetime: ISO text is parsed, and a bare date means its midnight UTC,
    as for requests; anything else is an ``InputError`` naming ``field``."""
    if isinstance(value, str):
        try:
            value = (dt.datetime.fromisoformat(value) if "T" in value or " " in value
                     else dt.date.fromisoformat(value))
        except ValueError:
            raise InputError.one(field, "expected an ISO datetime with a time zone offset",
                                 "bad_datetime", value) from None
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    raise InputError.one(field, f"expected a datetime, got {type(value).__name__}",
                         "bad_datetime", value)


def review_access(runtime: Runtime, grants: Iterable[Any], assignments: Iterable[Any], *,
                  as_of: dt.datetime | dt.date | str | None = None,
                  usage: Iterable[Any] | None = None, policy: str | None = None,
                  at: dt.datetime | dt.date | str | None = None,
                  directory: Any = None) -> AccessReviewReport:
    """Review grants and role assignments as of ``as_of`` (now when absent; ``at`` is its
    deprecated name): an aware datetime, or its ISO text; a date means its midnight UTC.

    Reports grants past expiry, longer than the policy allows, with no recorded approval or
    approved before their request or after ``as_of``, self-approved, approved without an
    approver role or by an approver the role assignments do not confirm, unused for longer
    than the dormancy period (only when ``usage`` records are given), subjects whose active
    roles break separation of duties, and role assignments the policy's ``role`` review rules
    flag (role changes without a proper approval, or by an approver the assignments do not
    confirm, assignments past their review interval). Subject ids are compared in canonical
    form, so one person's assignments count together however their id is spelt; so are
    grant ids (a grant given twice, the grant a usage record names).

    A review is self-contained: approvers (of grants and of role changes) are verified
    against the reviewed ``assignments`` (so one review file gives the same findings
    anywhere) unless ``directory`` (a ``RoleDirectory`` or a list of role assignments) is
    given.

    Raises:
        InputError: a grant, assignment or usage record is malformed, ``as_of`` is naive, or
            ``directory`` is not a directory.
        NotInForceError: no access policy is in force on its day in the policy's time zone.
    """
    # ISO text read, a date its midnight UTC (as a review file's as_of is read)
    at = review_time(renamed(as_of, at, old_name="at", new_name="as_of",
                              where="review_access"))
    if at is None:
        at = now()
    elif at.utcoffset() is None:
        raise InputError.one("as_of", "expected a datetime with a time zone offset",
                             "naive_datetime", at)
    grant_list = _items(grants, AccessGrant, "grants")
    refuse_repeated_grants(grant_list)
    assignment_list = _items(assignments, RoleAssignment, "assignments")
    refuse_repeated_assignments(assignment_list)
    usage_list = None if usage is None else _items(usage, UsageRecord, "usage")
    roles = as_directory(directory)
    doc = runtime.policy(POLICY_KIND, policy_day(runtime, at, policy), policy)
    review = review_with(runtime, doc, doc.policy, grant_list, assignment_list, usage_list, at,
                         roles)
    return attrs.evolve(review, input_digest=review_digest(grant_list, assignment_list,
                                                           usage_list, review.as_of))


def review_digest(grants: list[AccessGrant], assignments: list[RoleAssignment],
                  usage: list[UsageRecord] | None, at: dt.datetime) -> str:
    """sha256 of a review's inputs, named by its decisions (as every decision names one)."""
    body = json.dumps({"grants": [g.model_dump(mode="json") for g in grants],
                       "assignments": [a.model_dump(mode="json") for a in assignments],
                       "usage": None if usage is None
                       else [u.model_dump(mode="json") for u in usage],
                       "at": at.isoformat()}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()
