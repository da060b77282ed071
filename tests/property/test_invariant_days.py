"""The day an invariant adapter judges a drawn case on (``on``) is the day the engine picks the
policy version on, and the adapter draws cases a version that takes effect later decides: with
a pack whose consent, classification or complaint policy has a version from 2027-01-01, every
drawn case of either version is decided by the version in force on its ``on`` day."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import finpolicy as fp
from finpolicy.testing.invariants import adapter
from tests.helpers.packversions import with_version_from_2027

KINDS = [("ConsentPolicy", "consent.yaml"), ("ClassificationPolicy", "classification.yaml"),
         ("ComplaintPolicy", "complaints.yaml")]


@pytest.mark.parametrize(("kind", "file"), KINDS)
def test_each_drawn_case_is_judged_on_the_day_of_the_version_that_decides_it(
        bundle: fp.Bundle, tmp_path: Path, kind: str, file: str) -> None:
    pack = fp.load_bundle(with_version_from_2027(bundle, tmp_path / "next", kind=kind,
                                                 file=file))
    engine = fp.PolicyEngine(pack)
    for doc in pack.policies(kind):
        decided = _decided(engine, pack, kind, doc)
        # the version's own cases are mostly its own (a few, drawn at its window's edges in
        # another zone, are the neighbour's)
        assert decided[doc.version] > sum(decided.values()) / 2, (doc.version, decided)


def _decided(engine: fp.PolicyEngine, pack: fp.Bundle, kind: str, doc: Any) -> Counter[str]:
    """How many of the cases drawn for ``doc`` each version decided, each checked to be the
    version in force on the adapter's day of it."""
    found = adapter(kind)
    decided: Counter[str] = Counter()

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(found.cases(pack, doc))
    def judged_on_its_day(case: dict[str, object]) -> None:
        try:
            decision = found.evaluate(engine, case)
        except fp.InputError:
            return  # (an input the domain refuses: no version decides it)
        on = found.on(case)
        assert pack.in_force(kind, on).version == decision.policy.version, (on, case)
        decided[decision.policy.version] += 1

    judged_on_its_day()
    return decided
