"""``authorize``: derive the facts of a request in Python, let the policy's rules decide.

Which errors raise and which deny:

- A *malformed* request raises ``fp.InputError`` naming the field: a missing subject or
  resource, a naive datetime, and any value outside the policy's own vocabulary of actions,
  data levels and categories (the caller's program is wrong; denying would hide the bug).
- Anything the caller may legitimately not know denies with a reason (fail closed): an unknown
  role or purpose, no roles, a grant that does not count, and any error while evaluating
  (an error of the role directory included).

Ids, departments and branches are compared in canonical form (the input models keep them so),
and a grant's approver counts only when the role directory confirms the approver role
(``finpolicy.domains.access.directory``); without a directory no grant counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from finpolicy.decisions import Decision, Hit, PolicyRef, decision_maker
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.days import policy_day
from finpolicy.domains.access.directory import (
    APPROVER_UNVERIFIED,
    RoleDirectory,
    approver_failure,
    as_directory,
)
from finpolicy.domains.access.model import (
    AccessDecision,
    AccessGrant,
    AccessRequest,
    AttachedConsent,
)
from finpolicy.domains.access.spec import ACCESS_RULESET, POLICY_KIND, AccessPolicyTables
from finpolicy.domains.clock import now
from finpolicy.errors import InputError, InputProblem
from finpolicy.inputs import kind_of
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime, StateKey

DEFAULT_DENY = Hit("default-deny", "no rule allows this request (access fails closed)", "")
_ALLOW = "allow"
_DENY = "deny"

# A plain request (no grants, no field levels, no recipient, no consent) is decided by the
# policy in force on its day in the policy's time zone (``days.policy_day``: the memo's key
# holds that day, so instants on two days never share a decision) and a few of its values
# (the key in ``_plain``: ``access_fact`` builds its fact from them alone): each engine keeps
# those decisions (bounded, and not while observers watch its rule sets), so a repeated
# request costs a look-up and the decision object. What is kept: outcome, allowed, hits,
# obligations (shared tuples, so identical decisions share them), policy reference and
# engine name.
_Core = tuple[str, bool, tuple[Hit, ...], tuple[str, ...], PolicyRef, str]
_DECIDED: StateKey[dict[tuple[Any, ...], _Core]] = StateKey("access.decided", dict)
_MAX_DECIDED = 65_536
_plain_decision = decision_maker(AccessDecision, "outcome", "allowed", "hits", "obligations",
                                 "policy", "engine", "input_digest", "as_of")



def coerce_request(request: Any) -> AccessRequest:
    """Accept an ``AccessRequest`` or its mapping form; anything else is an input error."""
    if isinstance(request, AccessRequest):
        return request
    if isinstance(request, Mapping):
        parsed: AccessRequest = AccessRequest.parse(request)
        return parsed
    raise InputError.one("request", f"expected an AccessRequest, got {type(request).__name__}",
                         "bad_input")


def check_vocabulary(request: AccessRequest, tables: AccessPolicyTables) -> None:
    """Raise ``InputError`` for values outside the policy's actions, levels and categories."""
    resource = request.resource
    if (request.action in tables.actions and resource.data_level in tables.level_rank
            and resource.category in tables.categories and not resource.fields
            and all(g.data_level in tables.level_rank and g.category in tables.categories
                    for g in request.grants)):
        return  # the common case, without building messages
    problems = []

    def known(value: str, vocab: Any, path: str, what: str) -> None:
        if value not in vocab:
            problems.append(InputProblem(path, f"unknown {what} `{value}`, expected one of "
                                               f"{', '.join(sorted(vocab))}", f"unknown_{what}",
                                         value))

    known(request.action, tables.actions, "action", "action")
    known(request.resource.data_level, tables.levels, "resource.data_level", "level")
    known(request.resource.category, tables.categories, "resource.category", "category")
    for name, level in request.resource.fields.items():
        known(level, tables.levels, f"resource.fields.{name}", "level")
    for i, grant in enumerate(request.grants):
        known(grant.data_level, tables.levels, f"grants.{i}.data_level", "level")
        known(grant.category, tables.categories, f"grants.{i}.category", "category")
    if problems:
        raise InputError(problems, model="AccessRequest")


def grant_failures(grant: AccessGrant, request: AccessRequest, at: dt.datetime,
                   tables: AccessPolicyTables, level: str, *,
                   approver: str | None = APPROVER_UNVERIFIED) -> list[str]:
    """Every reason ``grant`` does not count for ``request`` at ``level`` (empty: it counts).

    ``approver`` is the outcome of checking the approver against the role directory
    (``directory.approver_failure``); unverified unless given.
    """
    out = []
    if grant.grantee != request.subject.id:
        out.append("not_held")
    if grant.approved_by is None or grant.approved_at is None:
        out.append("not_approved")
    else:
        self_approved = grant.approved_by in (grant.grantee, grant.requester)
        if self_approved:
            out.append("self_approved")
        if not tables.approver_roles.intersection(grant.approver_roles):
            out.append("approver_not_authorised")
        elif approver is not None and not self_approved:  # a void approval needs no proof
            out.append(approver)
        if grant.approved_at < grant.requested_at:
            out.append("approved_before_request")
        if grant.approved_at > at:
            out.append("not_yet_approved")
    if grant.expires_at <= at:
        out.append("expired")
    max_days = tables.max_days.get(grant.data_level)
    start = grant.approved_at or grant.requested_at
    if max_days is not None and (grant.expires_at - start).total_seconds() > max_days * 86400:
        out.append("too_long")
    if grant.purpose != request.purpose:
        out.append("wrong_purpose")
    if grant.resource_type != request.resource.type:
        out.append("wrong_resource_type")
    rank = tables.level_rank
    if rank.get(grant.data_level, -1) < rank[level]:
        out.append("level_not_covered")
    if grant.category != request.resource.category:
        out.append("wrong_category")
    return out


def _role_access(tables: AccessPolicyTables, roles: list[str], action: str, level: str,
                 category: str, purpose: str, same_branch: bool,
                 same_department: bool) -> tuple[bool, bool]:
    """(some role permits it for this purpose, some such role's scope covers the resource)."""
    permitted = in_scope = False
    perms, purposes = tables.permissions, tables.role_purposes
    for role in roles:
        if purpose not in purposes.get(role, ()):
            continue
        scopes = perms.get((role, action, level, category))
        if not scopes:
            continue
        permitted = True
        if ("any" in scopes or (same_branch and "branch" in scopes)
                or (same_department and "department" in scopes)):
            return True, True
    return permitted, in_scope


def consent_fact(request: AccessRequest, at: dt.datetime,
                 consent: Decision | AttachedConsent | None) -> dict[str, Any]:
    """Whether a consent decision is attached, and whether it allows this request: an allow
    for the same recipient at the same instant."""
    if consent is None:
        return {"attached": False, "allowed": False}
    return {"attached": True,
            "allowed": consent.outcome == "allow" and consent.as_of == at
            and getattr(consent, "recipient", None) == request.recipient}


def access_fact(request: AccessRequest, at: dt.datetime, tables: AccessPolicyTables,
                directory: RoleDirectory | None = None, *,
                consent: Decision | AttachedConsent | None = None
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fact the rules read, and Python-side details (valid grant, failures, masks)."""
    subject, resource = request.subject, request.resource
    approvers = [approver_failure(g, tables.approver_roles, directory) for g in request.grants]
    roles = list(dict.fromkeys(subject.roles))
    unknown = [r for r in roles if r not in tables.roles]
    level, action, purpose = resource.data_level, request.action, request.purpose
    same_branch = subject.branch is not None and subject.branch == resource.branch
    same_department = (subject.department is not None
                       and subject.department == resource.department)
    permitted, in_scope = _role_access(tables, roles, action, level, resource.category,
                                       purpose, same_branch, same_department)
    required = (action, level) in tables.grant_needed
    valid_grant: AccessGrant | None = None
    failures: list[str] = []
    detail: list[str] = []
    for grant, approver in zip(request.grants, approvers, strict=True):
        why = grant_failures(grant, request, at, tables, level, approver=approver)
        if not why:
            valid_grant = valid_grant or grant
        else:
            failures.extend(w for w in why if w not in failures)
            detail.append(f"{grant.id}: {', '.join(why)}")
    masked = _masked_fields(request, at, tables, roles, same_branch, same_department,
                            approvers)
    fact = {
        "subject": {"roles": roles, "role_count": len(roles), "unknown_roles": unknown,
                    "unknown_role_count": len(unknown), "permitted": permitted,
                    "in_scope": in_scope,
                    "purpose_allowed": any(purpose in tables.role_purposes.get(r, ())
                                           for r in roles)},
        "request": {"action": action, "purpose": purpose,
                    "purpose_known": purpose in tables.purposes,
                    "recipient_outside": request.recipient is not None},
        "resource": {"type": resource.type, "level": level,
                     "level_rank": tables.level_rank[level], "category": resource.category},
        "scope": {"same_branch": same_branch, "same_department": same_department},
        "grant": {"required": required, "offered": len(request.grants),
                  "valid": valid_grant is not None,
                  "failures": [] if valid_grant is not None else failures},
        "mask": {"needed": bool(masked)},
        "consent": consent_fact(request, at, consent),
    }
    extra = {"grant": valid_grant, "failures": detail if valid_grant is None else [],
             "masked": masked}
    return fact, extra


def _masked_fields(request: AccessRequest, at: dt.datetime, tables: AccessPolicyTables,
                   roles: list[str], same_branch: bool, same_department: bool,
                   approvers: list[str | None]) -> tuple[str, ...]:
    """Fields whose own level the subject may not see (by role, scope and grant)."""
    out = []
    resource = request.resource
    for name, level in sorted(resource.fields.items()):
        _, visible = _role_access(tables, roles, request.action, level, resource.category,
                                  request.purpose, same_branch, same_department)
        if visible and (request.action, level) in tables.grant_needed:
            visible = any(not grant_failures(g, request, at, tables, level, approver=a)
                          for g, a in zip(request.grants, approvers, strict=True))
        if not visible:
            out.append(name)
    return tuple(out)


def digest(request: AccessRequest, at: dt.datetime) -> str:
    """sha256 of the request's JSON (with its evaluation time) for audit replay.

    pydantic's serializer writes fields in declaration order and ``Resource.fields`` is kept
    sorted, so equal requests give equal digests; it is several times faster than sorting keys
    through ``json.dumps`` on the hot path.
    """
    # without a recipient the JSON is what it was before requests had one: digests stay put
    body = request.__pydantic_serializer__.to_json(
        request, exclude=None if request.recipient is not None else {"recipient"})
    return hashlib.sha256(body + b"|" + at.isoformat().encode()).hexdigest()


def decide(runtime: Runtime, doc: PolicyDocument[Any], tables: AccessPolicyTables,
           request: AccessRequest, at: dt.datetime,
           directory: RoleDirectory | None = None, *,
           consent: Decision | AttachedConsent | None = None) -> AccessDecision:
    """Evaluate ``request`` against ``tables`` (the document's, or a variant in tests),
    verifying approvers against ``directory``; ``consent`` is the consent decision for data
    leaving the bank, if any."""
    check_vocabulary(request, tables)
    try:
        fact, extra = access_fact(request, at, tables, directory, consent=consent)
        matched = runtime.run(doc, ACCESS_RULESET, fact)
    except Exception as exc:  # fail closed: an evaluation error denies, with the reason
        return _error_decision(runtime, doc, request, at, exc)
    outcome, allowed, hits, obligations = combine(matched)
    grant = extra["grant"]
    return AccessDecision(
        outcome=outcome, allowed=allowed, hits=hits, obligations=obligations,
        policy=runtime.ref(doc), engine=runtime.engine_name,
        input_digest=(digest, request, at),  # type: ignore[arg-type]  # lazy: see decisions.py
        as_of=at,
        grant_id=grant.id if grant is not None and allowed and fact["grant"]["required"]
        else None,
        grant_failures=tuple(extra["failures"]) if fact["grant"]["required"] else (),
        masked_fields=tuple(extra["masked"]) if allowed else (),
        consent_decision=consent.input_digest if consent is not None else None)


def combine(matched: Sequence[Rule]) -> tuple[str, bool, tuple[Hit, ...], tuple[str, ...]]:
    """Deny overrides: the outcome, whether it allows, the hits it names and the obligations
    of the matching rules (in rule order) that come with it."""
    denies = [r for r in matched if r.effect.get("effect") == _DENY]
    allows = [r for r in matched if r.effect.get("effect") == _ALLOW]
    allowed = bool(allows) and not denies
    outcome = _ALLOW if allowed else _DENY
    if allowed:
        hits = tuple(Hit.of(r) for r in allows)
    else:
        hits = tuple(Hit.of(r) for r in denies) or (DEFAULT_DENY,)
    obligations = sorted({o for r in matched if r.effect.get("effect") == "obligation"
                          and outcome in r.effect.get("applies_to", ()) for o in r.obligations})
    return outcome, allowed, hits, tuple(obligations)


def _error_decision(runtime: Runtime, doc: PolicyDocument[Any], request: AccessRequest,
                    at: dt.datetime, exc: Exception) -> AccessDecision:
    hit = Hit("evaluation-error", f"access denied because evaluation failed: "
                                  f"{type(exc).__name__}: {exc}", "")
    return AccessDecision(outcome=_DENY, allowed=False, hits=(hit,), obligations=(),
                          policy=runtime.ref(doc), engine=runtime.engine_name,
                          input_digest=digest(request, at), as_of=at)


def check_policy_id(policy: Any) -> None:
    """Refuse a ``policy`` argument that is no policy id: a number read as an id no policy
    has would say the bundle lacks that policy, not that the call is wrong."""
    if policy is not None and not isinstance(policy, str):
        raise InputError.one("policy", f"expected a policy id (text) or None, got "
                                       f"{kind_of(policy)}", "bad_input", policy)


def check_consent(consent: Any) -> None:
    """Refuse a ``consent`` argument that is no consent decision: it denied before with
    ``evaluation-error``, as if the policy had failed, hiding the caller's mistake."""
    if consent is None or isinstance(consent, AttachedConsent) or (
            isinstance(consent, Decision) and hasattr(consent, "recipient")):
        return
    raise InputError.one("consent", f"expected the consent decision for the recipient (the "
                                    f"ConsentDecision of engine.check_processing), an "
                                    f"AttachedConsent or None, got {kind_of(consent)}",
                         "bad_input", consent)


def authorize(runtime: Runtime, request: Any, *, policy: str | None = None,
              consent: Decision | AttachedConsent | None = None,
              directory: Any = None) -> AccessDecision:
    """Decide an access request by the ``AccessPolicy`` in force at ``request.as_of``: the
    version in force on its day in the policy's time zone (``settings.time_zone``), so the same
    instant written in UTC or in Beijing time is decided by one version.

    Combining is deny-overrides: any matching deny rule denies, and without a matching allow
    rule the request is denied (``default-deny``). ``consent`` is the consent decision for a
    request whose data leaves the bank (``request.recipient``); the access decision names it.
    ``directory`` (a ``RoleDirectory``, or a list of role assignments) confirms the approvers
    of the request's grants; without it no grant counts (``approver_unverified``).

    Raises:
        InputError: the request is malformed (see the module docstring), ``directory`` is
            not a directory, ``consent`` no consent decision or ``policy`` no text.
        NotInForceError: no access policy is in force on that day.
    """
    if consent is not None:
        check_consent(consent)
    check_policy_id(policy)
    if policy is None and consent is None and not getattr(runtime, "observed", True):
        return authorize_plain(runtime, request, directory)
    return _authorize(runtime, request, policy, consent, directory)


def _authorize(runtime: Runtime, request: Any, policy: str | None,
               consent: Decision | AttachedConsent | None, directory: Any) -> AccessDecision:
    req = coerce_request(request)
    roles = as_directory(directory)
    at = req.as_of or now()
    doc = runtime.policy(POLICY_KIND, policy_day(runtime, at, policy), policy)
    return decide(runtime, doc, doc.policy, req, at, roles, consent=consent)


def authorize_plain(runtime: Runtime, request: Any, directory: Any) -> AccessDecision:
    """``authorize`` without a policy id or a consent, on a runtime no observer watches
    (``EngineAPI._hot``): a plain request (see ``_DECIDED``) like one decided before is a
    look-up (the hot path)."""
    if type(request) is AccessRequest:
        # the models' fields straight from their __dict__: pydantic's __getattr__ makes every
        # attribute read a slow one, and this reads a dozen
        r = request.__dict__
        resource = r["resource"].__dict__
        if not r["grants"] and r["recipient"] is None and not resource["fields"]:
            at = r["as_of"] or now()
            subject = r["subject"].__dict__
            branch, department = subject["branch"], subject["department"]
            key = (policy_day(runtime, at), tuple(subject["roles"]), r["action"], r["purpose"],
                   resource["type"], resource["data_level"], resource["category"],
                   branch is not None and branch == resource["branch"],
                   department is not None and department == resource["department"])
            core = runtime.state(_DECIDED).get(key)
            if core is None:
                return _plain(runtime, request, at, key, as_directory(directory))
            if directory is not None:
                as_directory(directory)  # a bad directory is an error even when unused
            return _plain_decision(*core, (digest, request, at), at)  # type: ignore[no-any-return]
    return _authorize(runtime, request, None, None, directory)


def _plain(runtime: Runtime, request: AccessRequest, at: dt.datetime, key: tuple[Any, ...],
           directory: RoleDirectory | None) -> AccessDecision:
    """Decide a plain request not decided before and keep its decision under ``key`` (the
    policy's day of ``at``, whose version decides, and the values ``access_fact`` builds a
    plain request's fact from)."""
    memo = runtime.state(_DECIDED)
    doc = runtime.policy(POLICY_KIND, key[0])
    made = decide(runtime, doc, doc.policy, request, at, directory)
    if made.hits[0].rule_id != "evaluation-error":  # an error is not a decision to keep
        if len(memo) >= _MAX_DECIDED:
            memo.clear()
        memo[key] = (made.outcome, made.allowed, made.hits, made.obligations, made.policy,
                     made.engine)
    return made
