"""The access strategies draw, by default, on a day an access version is in force: for a pack
whose access policy takes effect after 2026-03-02 (the instant they drew at before) every drawn
request raised NotInForceError."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import finpolicy as fp
from finpolicy.domains.access.strategies import access_requests, grants
from tests.helpers.packversions import starting_on


@pytest.mark.parametrize("day", [dt.date(2027, 1, 1), dt.date(2020, 1, 1)])
def test_access_requests_default_to_a_day_the_access_policy_is_in_force(
        bundle: fp.Bundle, tmp_path: Path, day: dt.date) -> None:
    pack = fp.load_bundle(starting_on(bundle, tmp_path / "later", kind="AccessPolicy",
                                      file="access.yaml", day=day))
    engine = fp.PolicyEngine(pack)
    (doc,) = pack.policies("AccessPolicy")

    @settings(max_examples=30, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(access_requests(pack), grants(pack))
    def decided(request: fp.AccessRequest, grant: fp.AccessGrant) -> None:
        assert request.as_of is not None
        assert doc.metadata.in_force(request.as_of.astimezone(doc.policy.zone).date())
        assert grant.approved_at is not None and grant.approved_at.date() >= day - dt.timedelta(1)
        assert engine.authorize(request).outcome in {"allow", "deny"}  # (not NotInForceError)

    decided()
