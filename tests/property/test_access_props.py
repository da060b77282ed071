"""Properties of least-privilege access: monotone in permissions and grants, fail closed,
and the two engines agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains import access
from tests.helpers.directory import DIRECTORY

TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
ROLES = ["teller", "customer_manager", "risk_officer", "compliance_auditor", "data_analyst",
         "department_head"]
LEVELS = ["ordinary", "important", "core"]
CATEGORIES = ["basic_identity", "business", "behaviour", "derived"]
ACTIONS = ["read", "write", "export", "delete"]
PURPOSES = ["account_service", "credit_review", "risk_monitoring", "audit", "marketing",
            "analytics"]
PEOPLE = ["u1", "u2", "h1"]
PLACES = ["BJ01", "SH02", None]
DEPTS = ["retail", "risk", None]

offsets = st.integers(min_value=-60, max_value=60).map(lambda d: AT + dt.timedelta(days=d))


@st.composite
def grants(draw: Any, subject_id: str) -> fp.AccessGrant:
    requested = draw(offsets)
    approved = draw(st.one_of(st.none(), offsets))
    return fp.AccessGrant(
        id=f"g{draw(st.integers(0, 99))}",
        grantee=draw(st.sampled_from([subject_id, *PEOPLE])),
        purpose=draw(st.sampled_from(PURPOSES)),
        resource_type=draw(st.sampled_from(["customer_record", "loan_file"])),
        data_level=draw(st.sampled_from(LEVELS)),
        category=draw(st.sampled_from(CATEGORIES)),
        requested_at=requested,
        requested_by=draw(st.sampled_from([None, *PEOPLE])),
        approved_by=None if approved is None else draw(st.sampled_from(PEOPLE)),
        approver_roles=draw(st.lists(st.sampled_from([*ROLES, "ghost"]), max_size=2)),
        approved_at=approved,
        expires_at=draw(offsets))


@st.composite
def requests(draw: Any, roles: Any = None) -> fp.AccessRequest:
    subject_id = draw(st.sampled_from(PEOPLE))
    if roles is None:
        roles = st.lists(st.sampled_from([*ROLES, "ghost"]), max_size=3)
    subject = fp.Subject(id=subject_id, roles=draw(roles), department=draw(st.sampled_from(DEPTS)),
                         branch=draw(st.sampled_from(PLACES)))
    fields = draw(st.dictionaries(st.sampled_from(["name", "id_number", "balance"]),
                                  st.sampled_from(LEVELS), max_size=2))
    resource = fp.Resource(type=draw(st.sampled_from(["customer_record", "loan_file"])),
                           data_level=draw(st.sampled_from(LEVELS)),
                           category=draw(st.sampled_from(CATEGORIES)),
                           department=draw(st.sampled_from(DEPTS)),
                           branch=draw(st.sampled_from(PLACES)), fields=fields)
    return fp.AccessRequest(subject=subject, action=draw(st.sampled_from(ACTIONS)),
                            resource=resource,
                            purpose=draw(st.sampled_from([*PURPOSES, "curiosity"])),
                            grants=draw(st.lists(grants(subject_id), max_size=3)), as_of=AT)


_TABLES = fp.load_bundle().in_force("AccessPolicy", AT.date()).policy
_KEYS = sorted(_TABLES.permissions)
_MUTATIONS: list[dict[str, Any]] = [
    {}, {}, {}, {"grantee": "u9"}, {"approved_by": "u1"}, {"purpose": "audit"},
    {"expires_at": AT - dt.timedelta(hours=1)}, {"approver_roles": ["teller"]},
    {"data_level": "ordinary"}, {"category": "derived"}, {"resource_type": "loan_file"},
    {"approved_at": AT + dt.timedelta(hours=1)}, {"approved_by": None, "approved_at": None},
]


@st.composite
def plausible_requests(draw: Any) -> fp.AccessRequest:
    """Requests near what the pack allows: a real permission, usually in scope, with grants
    that are valid or wrong in one way, so allows and every deny reason are common."""
    role, action, level, category = draw(st.sampled_from(_KEYS))
    roles = [role, *draw(st.lists(st.sampled_from(ROLES), max_size=1))]
    purposes = sorted(_TABLES.role_purposes[role]) or PURPOSES
    purpose = draw(st.sampled_from(purposes))
    dept, branch = draw(st.sampled_from(DEPTS[:2])), draw(st.sampled_from(PLACES[:2]))
    subject = fp.Subject(id="u1", roles=roles, department=dept, branch=branch)
    near = st.sampled_from([True, True, True, False])
    resource = fp.Resource(
        type="customer_record", data_level=level, category=category,
        department=dept if draw(near) else "corporate",
        branch=branch if draw(near) else "GZ03",
        fields=draw(st.dictionaries(st.sampled_from(["name", "id_number"]),
                                    st.sampled_from(LEVELS), max_size=2)))
    grant_list = []
    for i in range(draw(st.integers(0, 2))):
        mutation = draw(st.sampled_from(_MUTATIONS))
        data = {"id": f"g{i}", "grantee": "u1", "purpose": purpose,
                "resource_type": "customer_record",
                "data_level": draw(st.sampled_from(LEVELS[LEVELS.index(level):])),
                "category": category, "requested_at": AT - dt.timedelta(days=3),
                "approved_by": "h1", "approver_roles": ["department_head"],
                "approved_at": AT - dt.timedelta(days=2),
                "expires_at": AT + dt.timedelta(days=draw(st.integers(1, 20)))} | mutation
        grant_list.append(fp.AccessGrant(**data))
    return fp.AccessRequest(subject=subject, action=action, resource=resource, purpose=purpose,
                            grants=grant_list, as_of=AT)


any_requests = st.one_of(requests(), plausible_requests())


def _permissions() -> Any:
    return st.tuples(st.sampled_from(ROLES), st.sampled_from(ACTIONS), st.sampled_from(LEVELS),
                     st.sampled_from(CATEGORIES), st.sampled_from(["branch", "department", "any"]),
                     st.one_of(st.none(), st.sampled_from(PURPOSES)))


def _decide(engine: fp.PolicyEngine, request: fp.AccessRequest, tables: Any = None) -> Any:
    doc = engine.policy("AccessPolicy", AT.date())
    return access.decide(engine, doc, tables or doc.policy, request, AT, DIRECTORY)


def _view(d: Any) -> tuple[Any, ...]:
    return (d.outcome, d.allowed, d.hits, d.obligations, d.grant_id, d.grant_failures,
            d.masked_fields, d.input_digest)


@given(any_requests, st.lists(_permissions(), min_size=1, max_size=3))
def test_adding_a_permission_never_turns_an_allow_into_a_deny(
        engines: dict[str, fp.PolicyEngine], request: fp.AccessRequest,
        added: list[tuple[Any, ...]]) -> None:
    for engine in engines.values():
        base = _decide(engine, request)
        tables = engine.policy("AccessPolicy", AT.date()).policy
        for role, action, level, category, scope, purpose in added:
            tables = tables.with_permission(role, action, level, category, scope, purpose)
        wider = _decide(engine, request, tables)
        if base.allowed:
            assert wider.allowed, wider.explain()


@given(any_requests, st.data())
def test_removing_a_grant_never_turns_a_deny_into_an_allow(
        engines: dict[str, fp.PolicyEngine], request: fp.AccessRequest, data: Any) -> None:
    for engine in engines.values():
        base = _decide(engine, request)
        if request.grants:
            i = data.draw(st.integers(0, len(request.grants) - 1))
            fewer = request.model_copy(update={"grants": request.grants[:i]
                                               + request.grants[i + 1:]})
            if not base.allowed:
                assert not _decide(engine, fewer).allowed


@given(requests(roles=st.just([])))
def test_no_request_without_roles_is_ever_allowed(engines: dict[str, fp.PolicyEngine],
                                                  request: fp.AccessRequest) -> None:
    for engine in engines.values():
        d = engine.authorize(request)
        assert not d.allowed and "no-roles" in d.rule_ids


@given(any_requests)
def test_unknown_roles_are_never_allowed(engines: dict[str, fp.PolicyEngine],
                                         request: fp.AccessRequest) -> None:
    if "ghost" in request.subject.roles:
        assert not engines["compiled"].authorize(request).allowed


@given(any_requests)
def test_allowed_exactly_when_outcome_is_allow_and_audit_on_sensitive_data(
        engines: dict[str, fp.PolicyEngine], request: fp.AccessRequest) -> None:
    d = engines["compiled"].authorize(request)
    assert d.allowed == (d.outcome == "allow")
    assert d.hits
    if request.resource.data_level != "ordinary":
        assert "audit_log" in d.obligations
    if d.allowed and request.resource.data_level == "core":
        assert d.grant_id is not None


@given(any_requests)
def test_both_engines_agree(engines: dict[str, fp.PolicyEngine],
                            request: fp.AccessRequest) -> None:
    compiled, durable = (engines[n].authorize(request) for n in ("compiled", "durable"))
    assert _view(compiled) == _view(durable)


@given(st.lists(any_requests, min_size=1, max_size=5))
def test_both_engines_agree_on_reviews(engines: dict[str, fp.PolicyEngine],
                                       reqs: list[fp.AccessRequest]) -> None:
    # one grant per id: a review refuses an id given twice
    grant_list = list({g.id: g for r in reqs for g in r.grants}.values())
    # one record per subject and role: a review refuses an assignment given twice
    assignments = [fp.RoleAssignment(subject_id=subject, role=role)
                   for subject, role in dict.fromkeys((r.subject.id, role) for r in reqs
                                                      for role in r.subject.roles)]
    usage = [access.UsageRecord(grant_id=g.id, used_at=g.requested_at) for g in grant_list[::2]]
    a, b = (engines[n].review_access(grant_list, assignments, as_of=AT, usage=usage)
            for n in ("compiled", "durable"))
    assert a.findings == b.findings
