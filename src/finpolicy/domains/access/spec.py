"""The ``AccessPolicy`` kind: its spec schema and the build into lookup tables and rule sets.

Role permissions are expanded at build time into a table keyed by
``(role, action, level, category)`` whose value is the set of scopes under which the
permission holds, so a decision is a handful of dictionary lookups before the rules run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from pydantic import Field, StrictBool, StrictFloat

from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind
from finpolicy.domains.access.labels import LABELS
from finpolicy.domains.access.literals import check_rule_literals
from finpolicy.rules.compile import RuleSpecBase, compile_rules
from finpolicy.rules.conditions import All, Compare, Scalar
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.precedence import Authoring, Standing, deny_overrides
from finpolicy.rules.vocabulary import hint

KIND = "AccessPolicy"
ACCESS_RULESET = "access"
REVIEW_GRANT_RULESET = "review_grant"
REVIEW_ASSIGNMENT_RULESET = "review_assignment"
REVIEW_ROLE_RULESET = "review_role"

Scope = Literal["branch", "department", "any"]
Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

# Facts the access rules may read (derived in Python by ``decide.access_fact``).
ACCESS_FIELDS: dict[str, str] = {
    "subject.roles": "list",
    "subject.role_count": "number",
    "subject.unknown_roles": "list",
    "subject.unknown_role_count": "number",
    "subject.permitted": "boolean",
    "subject.in_scope": "boolean",
    "subject.purpose_allowed": "boolean",
    "request.action": "text",
    "request.purpose": "text",
    "request.purpose_known": "boolean",
    "resource.type": "text",
    "resource.level": "text",
    "resource.level_rank": "number",
    "resource.category": "text",
    "scope.same_branch": "boolean",
    "scope.same_department": "boolean",
    "grant.required": "boolean",
    "grant.offered": "number",
    "grant.valid": "boolean",
    "grant.failures": "list",
    "mask.needed": "boolean",
    "request.recipient_outside": "boolean",
    "consent.attached": "boolean",
    "consent.allowed": "boolean",
}

# Facts the review rules may read (derived by ``review.grant_fact`` / ``assignment_fact``).
REVIEW_GRANT_FIELDS: dict[str, str] = {
    "grant.id": "text",
    "grant.grantee": "text",
    "grant.requested_by": "text",
    "grant.approved_by": "text",
    "grant.approved": "boolean",
    "grant.approver_authorised": "boolean",
    "grant.approver_verified": "boolean",
    "grant.self_approved": "boolean",
    "grant.approved_before_request": "boolean",
    "grant.approved_after_review": "boolean",
    "grant.expired": "boolean",
    "grant.level": "text",
    "grant.known_level": "boolean",
    "grant.duration_days": "number",
    "grant.max_days": "number",
    "grant.idle_days": "number",
    "grant.dormancy_days": "number",
    "grant.grantee_roles": "list",
    "grant.grantee_role_count": "number",
    "grant.grantee_permitted": "boolean",
    "grant.uses_outside_validity": "number",
    "grant.uses_by_others": "number",
}
REVIEW_ASSIGNMENT_FIELDS: dict[str, str] = {
    "subject.id": "text",
    "subject.roles": "list",
    "subject.unknown_roles": "list",
    "subject.unknown_role_count": "number",
}

# Facts per role assignment (derived by ``assignments.assignment_fact``), for review rules with
# ``target: role``.
REVIEW_ROLE_FIELDS: dict[str, str] = {
    "assignment.subject": "text",
    "assignment.role": "text",
    "assignment.known_role": "boolean",
    "assignment.assigned_by": "text",
    "assignment.approved": "boolean",
    "assignment.approved_by": "text",
    "assignment.self_approved": "boolean",
    "assignment.approver_authorised": "boolean",
    "assignment.approved_after_review": "boolean",
    "assignment.approver_verified": "boolean",
    "assignment.days_since_review": "number",
    "assignment.review_days": "number",
}

# Why a grant does not count, in the order they are checked; rules test ``grant.failures``.
GRANT_FAILURES: dict[str, str] = {
    "not_held": "the grant is held by someone else",
    "not_approved": "the grant has not been approved",
    "self_approved": "the grant was approved by its own requester",
    "approver_not_authorised": "the grant names no approver role for its approver",
    "approver_unverified": "no role directory was given to confirm the approver's role",
    "approver_role_not_held": "the role directory shows the approver held none of the "
                              "approver roles the grant names when approving",
    "approved_before_request": "the grant was approved before it was requested",
    "not_yet_approved": "the grant was approved after the time of access",
    "expired": "the grant had expired at the time of access",
    "too_long": "the grant lasts longer than the policy allows for its level",
    "wrong_purpose": "the grant is for another purpose",
    "wrong_resource_type": "the grant is for another resource type",
    "level_not_covered": "the grant does not cover the resource's data level",
    "wrong_category": "the grant is for another data category",
}


# --- spec schema --------------------------------------------------------------------------

class Permission(Strict):
    """Actions on data of some levels and categories, within a scope."""

    actions: list[str] = Field(min_length=1, description="Actions allowed, e.g. `[read]`.")
    levels: list[str] = Field(min_length=1, description="Data levels covered.")
    categories: list[str] = Field(min_length=1, description="Data categories covered.")
    scope: Scope | None = Field(default=None, description="Overrides the role's scope.")


class Role(Strict):
    """A role: the purposes it serves and what it may do."""

    title: str = Field(description="Human name of the role.")
    purposes: list[str] = Field(default_factory=list, description="Purposes the role serves.")
    scope: Scope = Field(default="branch", description="Default scope of its permissions.")
    approver: StrictBool = Field(default=False, description="May approve grants.")
    requestable: StrictBool = Field(
        default=False,
        description="May be requested through the approval flow "
        "(an explanation may suggest requesting it).",
    )
    permissions: list[Permission] = Field(default_factory=list)


class GrantRequirement(Strict):
    """Levels (and optionally only some actions) that need a grant besides the role."""

    levels: list[str] = Field(min_length=1)
    actions: list[str] | None = Field(default=None, description="Every action when absent.")


class Approval(Strict):
    """When a grant is needed, who approves it and how long it may last."""

    requirements: list[GrantRequirement] = Field(default_factory=list)
    max_days: dict[str, StrictFloat] = Field(default_factory=dict,
                                             description="Longest grant per level, in days.",
                                             title="longest grant per level")
    dormancy_days: StrictFloat | None = Field(
        default=None, description="A grant unused this long is reported by the review.",
        title="a grant unused this long is reported")
    cite: str = Field(description="Source of the approval flow.")


class SodPair(Strict):
    """Two roles one person must not hold together."""

    roles: list[str] = Field(min_length=2, max_length=2)
    severity: Severity = "high"
    reason: str
    cite: str


def _both_outcomes() -> list[Literal["allow", "deny"]]:
    return ["allow", "deny"]


class RuleSpec(RuleSpecBase):
    """An access rule: deny, allow, or attach obligations."""

    effect: Literal["deny", "allow", "obligation"]
    applies_to: list[Literal["allow", "deny"]] = Field(
        default_factory=_both_outcomes,
        description="For obligation rules: the outcomes the obligations come with.")


class ReviewRuleSpec(RuleSpecBase):
    """A review rule: when it holds for a grant, a subject's assignments (``assignment``) or
    one role assignment (``role``), it reports a finding. Review rules carry no obligations."""

    target: Literal["grant", "assignment", "role"] = "grant"
    finding: str
    severity: Severity


class AssignmentReview(Strict):
    """How often each role assignment must be reviewed (recertified)."""

    interval_days: StrictFloat = Field(gt=0, description="Days from the last review (or the "
                                                         "approval, or the assignment) after which "
                                                         "an assignment is overdue.")
    cite: str = Field(description="Source of the review duty.")


class AccessSettings(Strict):
    """Settings of the access policy."""

    time_zone: str = Field(default="Asia/Shanghai", description="IANA zone whose day of a "
                           "request's `as_of` picks the version in force (as `effective_from` "
                           "reads).")


class AccessSpec(PolicySpec):
    """Spec of an ``AccessPolicy`` document."""

    levels: list[str] = Field(min_length=1, description="Data levels, lowest first.")
    categories: list[str] = Field(min_length=1)
    actions: list[str] = Field(min_length=1)
    purposes: list[str] = Field(min_length=1)
    roles: dict[str, Role] = Field(min_length=1)
    approval: Approval
    separation_of_duties: list[SodPair] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(min_length=1)
    review_rules: list[ReviewRuleSpec] = Field(default_factory=list)
    assignment_review: AssignmentReview | None = Field(
        default=None, description="Review interval of role assignments (`assignment.review_days`).")
    settings: AccessSettings = Field(default_factory=lambda: AccessSettings.model_validate({}))


# --- the compiled policy ------------------------------------------------------------------

def _freeze(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class AccessPolicyTables:
    """A built access policy: vocabularies, lookup tables and rule sets.

    Attributes:
        permissions: ``(role, action, level, category)`` → scopes under which it is allowed.
        role_purposes: role → purposes it serves.
        grant_needed: ``(action, level)`` pairs that need a valid grant.
        max_days: level → longest grant in days.
        zone: the zone whose day of ``as_of`` picks the version in force.
    """

    levels: tuple[str, ...]
    categories: frozenset[str]
    actions: frozenset[str]
    purposes: frozenset[str]
    roles: frozenset[str]
    approver_roles: frozenset[str]
    permissions: Mapping[tuple[str, str, str, str], frozenset[str]] = attrs.field(
        converter=_freeze)
    role_purposes: Mapping[str, frozenset[str]] = attrs.field(converter=_freeze)
    grant_needed: frozenset[tuple[str, str]]
    max_days: Mapping[str, float] = attrs.field(converter=_freeze)
    dormancy_days: float | None
    sod_pairs: tuple[tuple[str, str], ...]
    rulesets: Mapping[str, RuleSet] = attrs.field(converter=_freeze)
    invariants: tuple[Invariant, ...] = attrs.field(default=(), kw_only=True)
    assignment_review_days: float | None = attrs.field(default=None, kw_only=True)
    zone: ZoneInfo = attrs.field(factory=lambda: ZoneInfo("Asia/Shanghai"), kw_only=True)
    level_rank: Mapping[str, int] = attrs.field(init=False, converter=_freeze)

    @level_rank.default
    def _ranks(self) -> Mapping[str, int]:
        return {level: i for i, level in enumerate(self.levels)}

    def with_permission(self, role: str, action: str, level: str, category: str,
                        scope: str = "any", purpose: str | None = None) -> AccessPolicyTables:
        """A copy where ``role`` also holds the permission (used by property tests)."""
        perms = dict(self.permissions)
        key = (role, action, level, category)
        perms[key] = perms.get(key, frozenset()) | {scope}
        purposes = dict(self.role_purposes)
        if purpose is not None:
            purposes[role] = purposes.get(role, frozenset()) | {purpose}
        roles = self.roles | {role}
        return attrs.evolve(self, permissions=perms, role_purposes=purposes, roles=roles)


def _check_names(values: list[str] | None, known: set[str], what: str,
                 path: tuple[str | int, ...], ctx: BuildContext) -> None:
    """Report each of ``values`` that ``known`` does not hold."""
    for i, value in enumerate(values or ()):
        if value not in known:
            ctx.problem((*path, i), f"unknown {what} `{value}`{hint(value, sorted(known))}",
                        f"unknown_{what}")


def _check_duplicates(spec: AccessSpec, ctx: BuildContext) -> None:
    """Report each vocabulary that lists a value twice."""
    for name, values in (("levels", spec.levels), ("categories", spec.categories),
                         ("actions", spec.actions), ("purposes", spec.purposes)):
        ctx.no_repeats((name,), values)


def _permissions(spec: AccessSpec, ctx: BuildContext) -> tuple[
        dict[tuple[str, str, str, str], frozenset[str]], dict[str, frozenset[str]]]:
    """The roles' permissions expanded into the lookup table, and each role's purposes."""
    levels, categories = set(spec.levels), set(spec.categories)
    actions, purposes = set(spec.actions), set(spec.purposes)
    permissions: dict[tuple[str, str, str, str], frozenset[str]] = {}
    role_purposes: dict[str, frozenset[str]] = {}
    for name, role in spec.roles.items():
        _check_names(role.purposes, purposes, "purpose", ("roles", name, "purposes"), ctx)
        role_purposes[name] = frozenset(role.purposes)
        for j, perm in enumerate(role.permissions):
            path = ("roles", name, "permissions", j)
            _check_names(perm.actions, actions, "action", (*path, "actions"), ctx)
            _check_names(perm.levels, levels, "level", (*path, "levels"), ctx)
            _check_names(perm.categories, categories, "category", (*path, "categories"), ctx)
            scope = perm.scope or role.scope
            for a in perm.actions:
                for lv in perm.levels:
                    for c in perm.categories:
                        key = (name, a, lv, c)
                        permissions[key] = permissions.get(key, frozenset()) | {scope}
    return permissions, role_purposes


def _approval(spec: AccessSpec,
              ctx: BuildContext) -> tuple[set[tuple[str, str]], frozenset[str]]:
    """The ``(action, level)`` pairs that need a grant, and the roles that approve grants."""
    levels, actions = set(spec.levels), set(spec.actions)
    approval = spec.approval
    ctx.check_cite(approval.cite, ("approval", "cite"))
    grant_needed: set[tuple[str, str]] = set()
    for i, req in enumerate(approval.requirements):
        _check_names(req.levels, levels, "level", ("approval", "requirements", i, "levels"), ctx)
        _check_names(req.actions, actions, "action", ("approval", "requirements", i, "actions"),
                     ctx)
        grant_needed |= {(a, lv) for a in (req.actions or spec.actions) for lv in req.levels}
    for level, days in approval.max_days.items():
        if level not in levels:  # located by its key: `approval.max_days.secret`
            ctx.problem(("approval", "max_days", level), f"unknown level `{level}`"
                        f"{hint(level, sorted(levels))}", "unknown_level")
        if days <= 0:
            ctx.problem(("approval", "max_days", level), "expected a positive number of days",
                        "bad_days")
    if approval.dormancy_days is not None and approval.dormancy_days <= 0:
        ctx.problem(("approval", "dormancy_days"), "expected a positive number of days",
                    "bad_days")
    approvers = frozenset(n for n, r in spec.roles.items() if r.approver)
    if grant_needed and not approvers:
        ctx.problem(("roles",), "grants are required but no role is an approver",
                    "no_approver")
    return grant_needed, approvers


def _sod_pairs(spec: AccessSpec, ctx: BuildContext) -> list[tuple[str, str]]:
    """The separation-of-duties pairs, checked against the roles."""
    sod: list[tuple[str, str]] = []
    for i, pair in enumerate(spec.separation_of_duties):
        _check_names(pair.roles, set(spec.roles), "role", ("separation_of_duties", i, "roles"),
                     ctx)
        ctx.check_cite(pair.cite, ("separation_of_duties", i, "cite"))
        if pair.roles[0] == pair.roles[1]:
            ctx.problem(("separation_of_duties", i, "roles"), "a role cannot conflict with "
                        "itself", "bad_sod")
        sod.append((pair.roles[0], pair.roles[1]))
    return sod


def _rulesets(spec: AccessSpec, ctx: BuildContext) -> dict[str, RuleSet]:
    """The compiled rule sets, each SoD pair's rules ahead of the authored ones."""
    access_rules = _parse_rules(spec, ctx)
    review = _parse_review_rules(spec, ctx)
    sod_rules = _sod_rules(spec)
    return {
        ACCESS_RULESET: RuleSet(ACCESS_RULESET, (*sod_rules["access"], *access_rules)),
        REVIEW_GRANT_RULESET: RuleSet(REVIEW_GRANT_RULESET, tuple(review["grant"])),
        REVIEW_ASSIGNMENT_RULESET: RuleSet(REVIEW_ASSIGNMENT_RULESET,
                                           (*sod_rules["review"], *review["assignment"])),
        REVIEW_ROLE_RULESET: RuleSet(REVIEW_ROLE_RULESET, tuple(review["role"])),
    }


def build(spec: AccessSpec, ctx: BuildContext) -> AccessPolicyTables:
    """Check the spec's vocabulary and compile it; report every problem through ``ctx``."""
    _check_duplicates(spec, ctx)
    permissions, role_purposes = _permissions(spec, ctx)
    grant_needed, approvers = _approval(spec, ctx)
    sod = _sod_pairs(spec, ctx)
    rulesets = _rulesets(spec, ctx)
    check_rule_literals(spec, ctx)
    invariants = parse_invariants(spec.invariants, ctx, ACCESS_FIELDS)
    if spec.assignment_review is not None:
        ctx.check_cite(spec.assignment_review.cite, ("assignment_review", "cite"))
    approval = spec.approval
    try:
        zone = ZoneInfo(spec.settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.problem(("settings", "time_zone"), f"unknown time zone `{spec.settings.time_zone}`",
                    "unknown_time_zone")
        zone = ZoneInfo("UTC")
    return AccessPolicyTables(
        invariants=invariants, zone=zone,
        assignment_review_days=None if spec.assignment_review is None
        else spec.assignment_review.interval_days,
        levels=tuple(spec.levels), categories=frozenset(spec.categories),
        actions=frozenset(spec.actions), purposes=frozenset(spec.purposes),
        roles=frozenset(spec.roles), approver_roles=approvers, permissions=permissions,
        role_purposes=role_purposes, grant_needed=frozenset(grant_needed),
        max_days=dict(approval.max_days), dormancy_days=approval.dormancy_days,
        sod_pairs=tuple(sod), rulesets=rulesets)


def _parse_rules(spec: AccessSpec, ctx: BuildContext) -> list[Rule]:
    for i, rs in enumerate(spec.rules):
        if rs.effect != "obligation" and rs.obligations:
            ctx.problem(("rules", i, "obligations"), "only `effect: obligation` rules carry "
                        "obligations", "misplaced_obligations")
        if rs.effect == "obligation" and not rs.obligations:
            ctx.problem(("rules", i, "obligations"), "an obligation rule needs obligations",
                        "missing_obligations")
    compiled = compile_rules(spec.rules, ctx, fields=ACCESS_FIELDS, effect=lambda rs: {
        "effect": rs.effect, "applies_to": tuple(rs.applies_to)})
    return [rule for _, rule in compiled]


def _parse_review_rules(spec: AccessSpec, ctx: BuildContext) -> dict[str, list[Rule]]:
    rules: dict[str, list[Rule]] = {"grant": [], "assignment": [], "role": []}
    seen: dict[str, tuple[str, int]] = {}
    fields = {"grant": REVIEW_GRANT_FIELDS, "assignment": REVIEW_ASSIGNMENT_FIELDS,
              "role": REVIEW_ROLE_FIELDS}
    for target, table in fields.items():
        chosen = [(i, rs) for i, rs in enumerate(spec.review_rules) if rs.target == target]
        for i, rs in chosen:
            if rs.obligations:
                ctx.problem(("review_rules", i, "obligations"), "review rules carry no "
                            "obligations", "misplaced_obligations")
        compiled = compile_rules([rs for _, rs in chosen], ctx, fields=table, seen=seen,
                                 where="review_rules", positions=[i for i, _ in chosen],
                                 effect=lambda rs: {
                                     "finding": rs.finding, "severity": rs.severity})
        rules[target] = [rule for _, rule in compiled]
    return rules


def _sod_rules(spec: AccessSpec) -> dict[str, list[Rule]]:
    """One deny rule (for requests) and one finding rule (for reviews) per SoD pair."""
    access, review = [], []
    for pair in spec.separation_of_duties:
        a, b = pair.roles
        rule_id = f"sod-{a}-{b}".replace("_", "-")
        holds = All((Compare("contains", ("subject", "roles"), a),
                     Compare("contains", ("subject", "roles"), b)))
        access.append(Rule(rule_id, holds, {"effect": "deny", "applies_to": ("allow", "deny")}, (),
                           pair.reason, pair.cite))
        review.append(Rule(rule_id, holds, {"finding": "sod_conflict",
                                            "severity": pair.severity}, (), pair.reason,
                           pair.cite))
    return {"access": access, "review": review}


def _standing(ruleset: str, rule: Rule) -> Standing | None:
    """Deny overrides allow; obligation rules add their obligations for the outcomes they
    apply to. Review rules each report their own finding: they do not compete."""
    if ruleset != ACCESS_RULESET:
        return None
    return deny_overrides(rule)


def _domains(spec: AccessSpec) -> dict[str, Collection[Scalar]]:
    """Actions, levels and categories are the policy's own (others are input errors); a
    level's rank is its place in ``levels`` (0 for the lowest)."""
    return {"request.action": list(spec.actions), "resource.level": list(spec.levels),
            "resource.level_rank": list(range(len(spec.levels))),
            "resource.category": list(spec.categories)}


POLICY_KIND: PolicyKind[AccessSpec, AccessPolicyTables] = PolicyKind(
    KIND, AccessSpec, build,
    summary="Least-privilege access: roles, scopes, purpose-bound approved grants, review.",
    fields=ACCESS_FIELDS,
    labels=LABELS,
    combining="deny overrides: any matching deny rule denies, and without a matching allow "
              "rule the request is denied (access fails closed)",
    authoring=Authoring(_standing, _domains))
