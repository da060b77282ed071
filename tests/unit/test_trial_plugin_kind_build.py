"""A policy kind whose build raises (a plug-in's bug met by one document) fails the load as a
``PolicyError`` naming the file, the kind and the build's module — not a foreign exception
without a file — so ``finpolicy validate`` reports it and a reload keeps the old bundle."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

import finpolicy.documents.bundle as bundle_module
from finpolicy.documents.bundle import load_bundle
from finpolicy.documents.registry import kinds
from finpolicy.errors import PolicyError


def _build(spec: Any, ctx: Any) -> Any:
    raise KeyError("pep-review")


def test_a_kind_whose_build_raises_is_a_policy_error_naming_the_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = dict(kinds())
    real["ComplaintPolicy"] = attrs.evolve(real["ComplaintPolicy"], build=_build)
    monkeypatch.setattr(bundle_module, "kinds", lambda: real)
    with pytest.raises(PolicyError) as raised:
        load_bundle("cn-banking")
    (problem,) = [p for p in raised.value.problems if p.code == "kind_failed"]
    assert problem.file.endswith("complaints.yaml") and problem.path == "spec"
    assert problem.line is not None
    assert problem.message == (
        "policy kind `ComplaintPolicy` cannot compile this document: its build "
        f"({__name__}._build) raised KeyError: 'pep-review'")


@attrs.frozen
class _Rules:
    rulesets: Any  # what a plug-in's build returns when it forgets parse_invariants


def test_invariants_a_kind_does_not_compile_are_an_error_not_silently_unchecked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = dict(kinds())
    kind = real["ComplaintPolicy"]
    real["ComplaintPolicy"] = attrs.evolve(
        kind, build=lambda spec, ctx: _Rules(kind.build(spec, ctx).rulesets))
    monkeypatch.setattr(bundle_module, "kinds", lambda: real)
    with pytest.raises(PolicyError) as raised:
        load_bundle("cn-banking")
    (problem,) = raised.value.problems
    assert problem.file.endswith("complaints.yaml") and problem.path == "spec.invariants"
    assert problem.code == "invariants_ignored" and problem.line is not None
    assert "policy kind `ComplaintPolicy` does not compile invariants" in problem.message
