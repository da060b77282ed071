"""Explaining access decisions: why a request is denied and what would allow it.

Allow is the better outcome; deny rules block it and allow rules enable it (one must hold).
What a person can change, and how a wanted fact maps back to the request:

- **a grant** (``grant.*``): request one for the request's purpose, resource type, data level
  and category, approved by someone else holding an approver role, no longer than the policy
  allows for the level; or wait until a presented grant's approval time;
- **the roles acted under**: drop a role from the request (a role the policy does not define,
  or one of a separated pair), or request a role the policy marks ``requestable`` and that is
  not separated from a role the subject holds; never a role the subject does not hold
  otherwise;
- **the data asked for**: a lower data level (leave the higher-level fields out);
- **the purpose**, only when the stated one is not a purpose the policy knows;
- **the consent decision** for data leaving the bank: obtain the customer's consent for
  sharing with the recipient and attach the consent decision (the request's ``consent``
  entry, ``AttachedConsent``: an allowed decision for the same recipient and instant).

The subject's identity, department and branch, the purpose the policy knows, the resource's
type, category and place, and who receives the data are facts, not levers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from finpolicy.decisions import Decision
from finpolicy.domains.access.directory import (
    AssignmentDirectory,
    approver_failure,
    as_directory,
)
from finpolicy.domains.access.evaluation import (
    access_fact,
    authorize,
    coerce_request,
    grant_failures,
)
from finpolicy.domains.access.model import AccessRequest, AttachedConsent
from finpolicy.domains.access.spec import AccessPolicyTables, AccessSpec
from finpolicy.errors import InputError
from finpolicy.explain.explainer import (
    Explainer,
    Move,
    Role,
    bad_operation,
    dated_moves,
    set_value,
)
from finpolicy.explain.model import Change
from finpolicy.explain.patch import pointer
from finpolicy.identity import canonical_id
from finpolicy.rules.evaluate import Target, meets
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.explain.record import Analysis

__all__ = ["EXPLAINER", "AccessExplainer"]

_ROLE_FACTS = {"subject.roles", "subject.unknown_roles", "subject.unknown_role_count",
               "subject.role_count"}
_PERMISSION_FACTS = {"subject.permitted", "subject.in_scope", "subject.purpose_allowed"}
_LEVEL_FACTS = {"resource.level", "resource.level_rank"}
_PURPOSE_FACTS = {"request.purpose", "request.purpose_known"}
_CONSENT_FACTS = {"consent.attached", "consent.allowed"}
# a suggested consent decision is still to be taken: it has no input digest yet
_TO_OBTAIN = "consent-decision-to-obtain"
_DEFAULT_DAYS = 30.0  # a grant's length when the policy sets no maximum for its level


class AccessExplainer(Explainer):
    """The access domain's explainer (see the module docstring)."""

    domain = "access"
    operations = ("authorize",)
    outcomes = ("allow", "deny")
    immutable = ("the subject's identity, department and branch, the roles the subject does "
                 "not hold, a purpose the policy knows, the resource's type, category and "
                 "place, and who receives the data")

    # --- the input ----------------------------------------------------------------------------

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        if method != "authorize":
            raise bad_operation(self, method)
        if kwargs.get("policy") is not None:
            raise InputError.one("policy", "explanations use the access policy in force",
                                 "unknown_option", kwargs["policy"])
        request = kwargs.get("request", args[0] if args else None)
        # the consent decision attached to data leaving the bank, as authorize takes it
        consent = kwargs.get("consent")
        return self._fixed(coerce_request(request),
                           None if consent is None else AttachedConsent.of(consent),
                           _assignments(kwargs.get("directory")))

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping) or "review" in data:
            raise InputError.one("input", "expected one access request (reviews are not "
                                          "explained)", "bad_input")
        payload, attached, directory = _split(data)
        if payload.get("as_of") is None and payload.get("at") is None and as_of is not None:
            if not isinstance(as_of, dt.datetime):
                as_of = dt.datetime.combine(as_of, dt.time(), dt.UTC)
            payload["as_of"] = as_of
        return self._fixed(AccessRequest.parse(payload), attached, _assignments(directory))

    @staticmethod
    def _fixed(request: AccessRequest, attached: AttachedConsent | None,
               assignments: list[dict[str, Any]] | None) -> dict[str, Any]:
        if request.as_of is None:
            request = request.model_copy(update={"as_of": dt.datetime.now(dt.UTC)})
        data: dict[str, Any] = request.model_dump(mode="json")
        if attached is not None:
            data["consent"] = attached.model_dump(mode="json")
        if assignments is not None:
            data["assignments"] = assignments
        return data

    def decide(self, runtime: Runtime, case: Mapping[str, Any]) -> Decision:
        payload, attached, directory = _split(case)
        return authorize(runtime, AccessRequest.parse(payload), consent=attached,
                         directory=directory)

    # --- rules --------------------------------------------------------------------------------

    def role(self, rule: Rule, target: str) -> Role | None:
        effect = rule.effect.get("effect")
        return "blocks" if effect == "deny" else "enables" if effect == "allow" else None

    def effect(self, rule: Rule) -> str:
        return str(rule.effect.get("effect", ""))

    def needs_enabler(self, target: str) -> bool:
        return True

    def notes(self, analysis: Analysis) -> list[str]:
        if analysis.target is None or analysis.decision.outcome == "allow":
            return []
        return [*_missing_places(analysis), *_approvers_held(analysis)]

    # --- levers -------------------------------------------------------------------------------

    def changeable(self, analysis: Analysis, path: tuple[str, ...]) -> bool:
        dotted = ".".join(path)
        if path[0] == "grant" or dotted in _ROLE_FACTS | _PERMISSION_FACTS | _LEVEL_FACTS \
                or dotted == "mask.needed":  # fields left out, or a grant for their level
            return True
        if dotted in _PURPOSE_FACTS:
            return analysis.case["purpose"] not in _tables(analysis).purposes
        if dotted in _CONSENT_FACTS:
            return analysis.case.get("recipient") is not None
        return False

    def moves(self, analysis: Analysis, target: Target) -> list[Move]:
        path = target.dotted
        if path == "grant.required":
            return _narrower(analysis, target)
        if path.startswith("grant."):
            return [*_new_grant(analysis), *_wait_for_approval(analysis)]
        if path in ("subject.roles", "subject.unknown_roles", "subject.unknown_role_count"):
            return _drop_roles(analysis, target)
        if path == "subject.role_count":
            return _requested_roles(analysis) if not meets(target, 0) else []
        if path in _PERMISSION_FACTS:
            return [*_respelt(analysis), *_requested_roles(analysis),
                    *_narrower(analysis, None)]
        if path in _LEVEL_FACTS:
            return _narrower(analysis, target)
        if path in _PURPOSE_FACTS:
            return _restated_purposes(analysis)
        if path in _CONSENT_FACTS and meets(target, True):
            return _attach_consent(analysis)
        if path == "mask.needed" and meets(target, False):
            return _unmasked(analysis)
        return []


def _missing_places(analysis: Analysis) -> list[str]:
    """Notes for roles scoped to a branch or department that the subject or the data does
    not name (a record of the directory with its department missing read only as 'the
    resource is outside the subject's branch or department')."""
    tables, request = _tables(analysis), _request(analysis)
    subject, resource = request.subject, request.resource
    out = []
    for scope, label in (("department", "department"), ("branch", "branch")):
        roles = [r for r in dict.fromkeys(subject.roles)
                 if request.purpose in tables.role_purposes.get(r, ())
                 and scope in tables.permissions.get(
                     (r, request.action, resource.data_level, resource.category), ())]
        missing = [who for who, place in (("the subject", getattr(subject, scope)),
                                          ("the data", getattr(resource, scope)))
                   if place is None]
        if roles and missing:
            names = ", ".join(f"`{r}`" for r in roles)
            out.append(f"{' and '.join(missing)} name{'s' if len(missing) == 1 else ''} no "
                       f"{label} (a blank one is none), so {names}, scoped to the {label}, "
                       f"cover{'s' if len(roles) == 1 else ''} nothing here: complete the "
                       "record rather than request another role")
    return out


def _approvers_held(analysis: Analysis) -> list[str]:
    """For each grant whose approver the role directory does not confirm, what it shows the
    approver holding at the approval, an approver role spelt otherwise named (a directory
    record of `Department_Head` read only as 'held none of the approver roles')."""
    tables, directory = _tables(analysis), _split(analysis.case)[2]
    if directory is None:
        return []
    spelling = {canonical_id(r): r for r in tables.approver_roles}
    out = []
    for grant in _request(analysis).grants:
        if grant.approved_by is None or grant.approved_at is None or \
                approver_failure(grant, tables.approver_roles, directory) is None:
            continue
        held = sorted(directory.roles_of(grant.approved_by, grant.approved_at))
        spelt = [f"`{r}` is `{spelling[canonical_id(r)]}` spelt otherwise" for r in held
                 if r not in spelling.values() and canonical_id(r) in spelling]
        shown = ", ".join(f"`{r}`" for r in held) or "no role"
        out.append(f"the role directory shows {grant.approved_by}, the approver of grant "
                   f"`{grant.id}`, holding {shown} at its approval "
                   f"({grant.approved_at.isoformat()})"
                   + (f": {'; '.join(spelt)} (the directory must spell it as the policy "
                      "does)" if spelt else ""))
    return out


def _tables(analysis: Analysis) -> AccessPolicyTables:
    doc = analysis.doc
    assert doc is not None  # an access decision always runs its rule set
    tables: AccessPolicyTables = doc.policy
    return tables


def _spec(analysis: Analysis) -> AccessSpec:
    doc = analysis.doc
    assert doc is not None
    spec: AccessSpec = doc.spec
    return spec


def _request(analysis: Analysis) -> AccessRequest:
    return AccessRequest.parse(_split(analysis.case)[0])


def _split(data: Mapping[str, Any]
           ) -> tuple[dict[str, Any], AttachedConsent | None, AssignmentDirectory | None]:
    """An access request's mapping form without its ``consent`` and ``assignments`` (the role
    directory) entries, and those entries."""
    payload = dict(data)
    found = payload.pop("consent", None)
    assignments = payload.pop("assignments", None)
    directory = None if assignments is None else AssignmentDirectory(assignments)
    return (payload, None if found is None else AttachedConsent.parse(found, field="consent"),
            directory)


def _assignments(directory: Any) -> list[dict[str, Any]] | None:
    """The role directory in the case's mapping form: its assignments. A directory that is not
    a list of assignments cannot be written into a case, so the explanation goes without it
    (no grant counts, as ``authorize`` decides with no directory)."""
    chosen = as_directory(directory)
    if not isinstance(chosen, AssignmentDirectory):
        return None
    return [a.model_dump(mode="json") for a in chosen.assignments()]


@dated_moves
def _new_grant(analysis: Analysis, level: str | None = None) -> list[Move]:
    """A grant to request for the request's data, at ``level`` (the resource's when
    ``None``: a field's, to see it unmasked)."""
    tables, request = _tables(analysis), _request(analysis)
    approvers = sorted(tables.approver_roles)
    if not approvers or request.as_of is None:
        return []
    at, resource, approver = request.as_of, request.resource, approvers[0]
    level = level or resource.data_level
    days = tables.max_days.get(level, _DEFAULT_DAYS)
    taken = {g.id for g in request.grants}
    grant_id, n = "new-grant", 1
    while grant_id in taken:
        n += 1
        grant_id = f"new-grant-{n}"
    grant = {"id": grant_id, "grantee": request.subject.id, "purpose": request.purpose,
             "resource_type": resource.type, "data_level": level,
             "category": resource.category, "requested_at": at.isoformat(),
             "requested_by": None, "approved_by": f"{approver} (approver)",
             "approver_roles": [approver], "approved_at": at.isoformat(),
             "expires_at": (at + dt.timedelta(days=days)).isoformat()}
    # the approver counts only when the role directory confirms the role they approve in
    holder = {"subject_id": grant["approved_by"], "role": approver,
              "assigned_at": (at - dt.timedelta(days=1)).isoformat()}
    listed = analysis.case.get("assignments")
    confirm = (Change("add", pointer("assignments", "-"), holder) if listed is not None
               else Change("add", pointer("assignments"), [holder]))
    text = (f"obtain a grant for `{request.purpose}` on {level} "
            f"{resource.category} data of `{resource.type}`, approved by someone else holding "
            f"`{approver}` (as the role directory shows), lasting at most {days:g} days")
    return [Move(text, (Change("add", pointer("grants", "-"), grant), confirm), "grant", 1)]


def _unmasked(analysis: Analysis) -> list[Move]:
    """For a rule denying fields the subject may not see at their own level (``mask.needed``:
    a deletion removes them, masking cannot hide them): leave them out of the request, or
    obtain a grant at their highest level."""
    tables, request = _tables(analysis), _request(analysis)
    if request.as_of is None:
        return []
    directory = _split(analysis.case)[2]
    masked = access_fact(request, request.as_of, tables, directory)[1]["masked"]
    if not masked:
        return []
    kept = {k: v for k, v in request.resource.fields.items() if k not in masked}
    names = ", ".join(f"`{name}` ({request.resource.fields[name]})" for name in masked)
    top = max((request.resource.fields[name] for name in masked),
              key=lambda level: tables.level_rank[level])
    return [Move(f"leave out the field{'s' if len(masked) > 1 else ''} {names}",
                 (Change("replace", pointer("resource", "fields"), kept),), "scope", 2),
            *_new_grant(analysis, top)]


def _wait_for_approval(analysis: Analysis) -> list[Move]:
    """Presented grants that fail only because their approval comes after the request."""
    tables, request = _tables(analysis), _request(analysis)
    if request.as_of is None:
        return []
    out = []
    for grant in request.grants:
        failures = grant_failures(grant, request, request.as_of, tables,
                                  request.resource.data_level)
        if failures == ["not_yet_approved"] and grant.approved_at is not None:
            when = grant.approved_at
            out.append(Move(f"wait until grant `{grant.id}` is approved ({when.isoformat()}) "
                            "and ask then", (Change("replace", "/as_of", when.isoformat()),),
                            "time", 2))
    return out


def _drop_roles(analysis: Analysis, target: Target) -> list[Move]:
    tables, roles = _tables(analysis), list(analysis.case["subject"]["roles"])
    if target.op == "excludes":
        dropped = [target.value] if target.value in roles else []
    else:
        dropped = [r for r in roles if r not in tables.roles]
    if not dropped:
        return []
    kept = [r for r in roles if r not in dropped]
    names = ", ".join(f"`{r}`" for r in dropped)
    why = "" if target.op == "excludes" else " (the policy does not define them)"
    moves = [Move(f"act without the role{'s' if len(dropped) > 1 else ''} {names}{why}",
                  (Change("replace", pointer("subject", "roles"), kept),), "role", 2)]
    if target.op != "excludes":
        moves.extend(_respelt(analysis))
    return moves


def _respelt(analysis: Analysis) -> list[Move]:
    """The roles written as the policy spells them, when an unknown one is a known role
    spelt otherwise (``Teller``, `` teller``: the role the subject holds, not one to drop and
    request again); roles still unknown are left out. It is also a move for a permission
    or purpose the roles lack: the role spelt right may give it."""
    known, roles = _tables(analysis).roles, list(analysis.case["subject"]["roles"])
    unknown = [r for r in roles if r not in known]
    spelling = {canonical_id(r): r for r in known}
    meant = {r: spelling[canonical_id(r)] for r in unknown if canonical_id(r) in spelling}
    if not meant:
        return []
    fixed = list(dict.fromkeys(meant.get(r, r) for r in roles if r in meant or r not in unknown))
    said = "; ".join(f"`{r}` is `{m}`" for r, m in meant.items())
    rest = [r for r in unknown if r not in meant]
    also = (f", and act without {', '.join(f'`{r}`' for r in rest)} (the policy does not "
            f"define {'it' if len(rest) == 1 else 'them'})") if rest else ""
    return [Move(f"write the roles as the policy spells them ({said}){also}",
                 (Change("replace", pointer("subject", "roles"), fixed),), "role", 1)]


def _covers(scopes: frozenset[str], request: AccessRequest) -> bool:
    subject, resource = request.subject, request.resource
    return ("any" in scopes
            or ("branch" in scopes and subject.branch is not None
                and subject.branch == resource.branch)
            or ("department" in scopes and subject.department is not None
                and subject.department == resource.department))


def _requested_roles(analysis: Analysis) -> list[Move]:
    """Roles the policy lets be requested that would permit this request, in scope; never
    one separated from a role the subject holds (holding both is a finding of the review,
    whatever role a request is made under)."""
    tables, request, spec = _tables(analysis), _request(analysis), _spec(analysis)
    resource = request.resource
    held = set(request.subject.roles)
    separated = {b if a in held else a for a, b in tables.sod_pairs if held & {a, b}}
    out = []
    for name, role in spec.roles.items():
        if not role.requestable or name in held or name in separated:
            continue
        if request.purpose not in tables.role_purposes.get(name, ()):
            continue
        scopes = tables.permissions.get((name, request.action, resource.data_level,
                                         resource.category))
        if scopes and _covers(scopes, request):
            out.append(Move(f"request the role `{name}` ({role.title}; the policy lets it be "
                            "requested for approval)",
                            (Change("add", pointer("subject", "roles", "-"), name),), "role", 3))
    return out


def _narrower(analysis: Analysis, target: Target | None) -> list[Move]:
    """Lower data levels: those ``target`` accepts, or (no target) those the subject's own
    roles permit in scope."""
    tables, request = _tables(analysis), _request(analysis)
    current = tables.level_rank[request.resource.data_level]
    out = []
    for level in tables.levels[:current]:
        if target is not None:
            value: Any = tables.level_rank[level]
            if target.path == ("grant", "required"):
                value = (request.action, level) in tables.grant_needed
            elif target.path[-1] == "level":
                value = level
            if not meets(target, value):
                continue
        elif not any(tables.permissions.get((r, request.action, level,
                                             request.resource.category))
                     and request.purpose in tables.role_purposes.get(r, ())
                     for r in request.subject.roles):
            continue
        out.append(Move(f"ask only for data up to the `{level}` level (leave out the "
                        f"{request.resource.data_level} fields)",
                        (Change("replace", pointer("resource", "data_level"), level),),
                        "scope", 4 + current - tables.level_rank[level]))
    return out


def _restated_purposes(analysis: Analysis) -> list[Move]:
    tables, request = _tables(analysis), _request(analysis)
    if request.purpose in tables.purposes:
        return []
    served = sorted({p for r in request.subject.roles for p in tables.role_purposes.get(r, ())})
    return [Move(f"if the access is for `{p}`, state that purpose (the policy does not know "
                 f"`{request.purpose}`)", (set_value(analysis.case, "purpose", value=p),),
                 "purpose", 2)
            for p in served or sorted(tables.purposes)]


def _attach_consent(analysis: Analysis) -> list[Move]:
    """An allowed consent decision for the request's recipient at its instant, attached."""
    case = analysis.case
    recipient, at = case.get("recipient"), case.get("as_of")
    if recipient is None or at is None:
        return []
    decision = AttachedConsent(outcome="allow", recipient=recipient, as_of=at,
                               input_digest=_TO_OBTAIN)
    return [Move(f"obtain the customer's consent for sharing with `{recipient}` and attach the "
                 "consent decision (the consent policy decides it: `authorize_export`)",
                 (set_value(case, "consent", value=decision.model_dump(mode="json")),),
                 "consent", 1)]


EXPLAINER = AccessExplainer()
