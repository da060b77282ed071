"""Shared fixtures: the shipped bundle and one engine of each kind (compiled and durable)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

import finpolicy as fp
from tests.helpers.directory import DIRECTORY

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def bundle() -> fp.Bundle:
    return fp.load_bundle()


@pytest.fixture(scope="session")
def engines(bundle: fp.Bundle) -> dict[str, fp.PolicyEngine]:
    """Both engines over the shipped pack (durable rulesets cannot be freed, so build once),
    with the tests' role directory (``tests.helpers.directory``)."""
    return {name: fp.PolicyEngine(bundle, engine=name, directory=DIRECTORY)
            for name in ("compiled", "durable")}


@pytest.fixture(params=["compiled", "durable"])
def engine(request: pytest.FixtureRequest, engines: dict[str, fp.PolicyEngine]) -> fp.PolicyEngine:
    """The shipped pack on each engine in turn."""
    return engines[request.param]
