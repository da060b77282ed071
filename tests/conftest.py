"""Shared fixtures: the shipped bundle, one engine of each kind (compiled and durable), and
a local Spark session for the Spark tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import finpolicy as fp
from tests.helpers.directory import DIRECTORY
from tests.helpers.tools import require, require_module

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


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local Spark (two cores), per test module; skipped, saying why, without pyspark or
    Java (failing instead in CI)."""
    require_module("pyspark", "spark")
    require(shutil.which("java") is not None,
            "needs a Java runtime on PATH (apt-get install openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("finpolicy-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
