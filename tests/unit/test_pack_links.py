"""The shipped cn-banking pack keeps its policies consistent with each other: access follows
classification (a level that needs approval needs a grant for every action), every access is
logged, and the audit log of every level has a retention period."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp
from finpolicy.domains.classification import DataLevel

_ON = dt.date(2026, 3, 2)
_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def bundle() -> fp.Bundle:
    return fp.load_bundle()


def test_every_level_that_needs_approval_needs_a_grant_for_every_action(
        bundle: fp.Bundle) -> None:
    classification = bundle.in_force("ClassificationPolicy", _ON).policy
    access = bundle.in_force("AccessPolicy", _ON).policy
    needing = sorted(str(level) for level, h in classification.handling.items()
                     if h.approval_required)
    assert needing == ["core", "important"]
    missing = [(action, level) for level in needing for action in sorted(access.actions)
               if (action, level) not in access.grant_needed]
    assert not missing, f"access lets these through without a grant: {missing}"
    assert not any(level == "ordinary" for _, level in access.grant_needed)


@pytest.mark.parametrize("level", ["ordinary", "important", "core"])
def test_a_refused_access_at_every_level_is_logged(level: str) -> None:
    engine = fp.PolicyEngine()
    decision = engine.authorize(fp.AccessRequest(
        subject=fp.Subject(id="u1", roles=[], department="retail", branch="BJ01"),
        action="read", purpose="account_service", as_of=_AT,
        resource=fp.Resource(type="customer_record", data_level=level, category="business",
                             department="retail", branch="BJ01")))
    assert not decision.allowed
    assert "audit_log" in decision.obligations


def test_every_level_keeps_its_audit_log_for_a_period_in_years(bundle: fp.Bundle) -> None:
    handling = bundle.in_force("ClassificationPolicy", _ON).policy.handling
    years = {str(level): h.audit_log_retention.years for level, h in handling.items()
             if h.audit_log_retention is not None}
    assert years == {"ordinary": 1, "important": 3, "core": 5}
    assert all(h.audit_log_retention.after == "logged" for h in handling.values()
               if h.audit_log_retention is not None)
    core = handling[DataLevel.CORE]
    assert core.retention is not None and core.retention.after == "relationship_end"
    # five years from the end of a relationship on 29 February end on 28 February
    assert core.retention.last_day(dt.date(2028, 2, 29)) == dt.date(2033, 2, 28)
