"""The consent strategies draw requests the pack decides: each on a day its consent policy is
in force in the policy's own time zone (a request at 07:59 in Beijing on a London policy's
first day is the day before in London, and was refused as not in force, so invariant checks
on uk-fca reported errors instead of decisions)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.consent.strategies import processing_requests


@pytest.mark.parametrize("pack", ["cn-banking", "uk-fca"])
def test_every_drawn_request_is_decided_by_a_version_in_force(pack: str) -> None:
    bundle = fp.load_bundle(shipped_packs() / pack)
    engine = fp.PolicyEngine(bundle)

    @settings(max_examples=400, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(processing_requests(bundle))
    def decided(request: fp.ProcessingRequest) -> None:
        # (a drawn unknown purpose or channel is an input error by design)
        with contextlib.suppress(fp.InputError):
            engine.check_processing(request, consents=[])

    decided()
