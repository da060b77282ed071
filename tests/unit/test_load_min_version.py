"""``load_bundle(min_version=...)``: an application that loads its bundle itself (not through
``finpolicy serve``'s watcher) can refuse an older release put back in the folder, as
``finpolicy bundle verify --min-version`` and the watcher do; it had no such keyword."""

from __future__ import annotations

import pytest

import finpolicy as fp


def test_an_older_bundle_than_the_minimum_is_refused(bundle: fp.Bundle) -> None:
    major, minor = (int(x) for x in bundle.version.split(".")[:2])
    assert fp.load_bundle(bundle.root, min_version=bundle.version).digest == bundle.digest
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(bundle.root, min_version=f"{major}.{minor + 1}.0")
    (problem,) = caught.value.problems
    assert problem.code == "downgrade" and bundle.version in problem.message
    with pytest.raises(fp.InputError, match="min_version"):
        fp.load_bundle(bundle.root, min_version="newest")
