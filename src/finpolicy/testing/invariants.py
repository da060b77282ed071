"""Check the invariants declared in policy documents, with hypothesis, on any engine.

Each domain adapter draws inputs from the bundle's vocabulary and evaluates them; the facts the
domain derived for its rules (captured at ``PolicyEngine.run``) plus ``decision.*`` are what
the invariant's conditions read. A violation is shrunk to a minimal input and reported with
the rules that fired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.engine import PolicyEngine
from finpolicy.engines.compiled import compile_condition
from finpolicy.rules.invariants import Invariant
from finpolicy.rules.render import render

Case = dict[str, Any]


@attrs.frozen
class Adapter:
    """How to draw inputs for a kind and evaluate one (returning its decision)."""

    cases: Callable[[Bundle, PolicyDocument], st.SearchStrategy[Case]]
    evaluate: Callable[[PolicyEngine, Case], Any]
    on: Callable[[Case], dt.date]
    # more decision.* facts for invariants, computed from the decision and its input
    extra: Callable[[Any, Case], dict[str, Any]] | None = None


ADAPTERS: dict[str, Adapter] = {}


def register_adapter(kind: str, adapter: Adapter) -> None:
    """Teach ``check_invariants`` a policy kind."""
    ADAPTERS[kind] = adapter


@attrs.frozen
class InvariantResult:
    """The outcome of checking one invariant of one policy version."""

    policy: str
    version: str
    name: str
    holds: bool
    examples: int
    applicable: int = 0  # examples where `given` held: zero means the check said nothing
    counterexample: Case | None = None
    rules: tuple[str, ...] = ()
    outcome: str | None = None

    def describe(self) -> str:
        head = f"{self.policy} {self.version}: {self.name}"
        if self.holds:
            return f"ok    {head} ({self.examples} inputs, {self.applicable} applicable)"
        return (f"FAIL  {head}\n      counter-example: {self.counterexample}\n"
                f"      outcome: {self.outcome}; rules fired: {', '.join(self.rules) or 'none'}")


class InvariantViolation(AssertionError):
    """Raised by ``assert_invariants``; ``results`` holds every failing invariant."""

    def __init__(self, results: list[InvariantResult]) -> None:
        self.results = results
        super().__init__("\n".join(r.describe() for r in results))


class _RecordingEngine(PolicyEngine):
    """A PolicyEngine that keeps the facts the domain handed to its rules."""

    facts: Mapping[str, Any] = {}

    def run(self, doc: PolicyDocument, ruleset: str, fact: Mapping[str, Any]) -> list[Any]:
        self.facts = fact
        return super().run(doc, ruleset, fact)


def _fact(engine: _RecordingEngine, adapter: Adapter, decision: Any,
          case: Case) -> dict[str, Any]:
    about = {"outcome": decision.outcome, "obligations": list(decision.obligations),
             "rules": [h.rule_id for h in decision.hits]}
    if adapter.extra is not None:
        about.update(adapter.extra(decision, case))
    return {**engine.facts, "decision": about}


def _check_one(engine: _RecordingEngine, adapter: Adapter, doc: PolicyDocument,
               invariant: Invariant, max_examples: int, derandomize: bool) -> InvariantResult:
    given_test, expect_test = compile_condition(invariant.given), compile_condition(
        invariant.expect)
    strategy = adapter.cases(engine.bundle, doc)
    seen = {"n": 0, "applicable": 0}
    failure: dict[str, Any] = {}

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=derandomize,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(case: Case) -> None:
        seen["n"] += 1
        engine.facts = {}  # a domain may answer from a cache without running its rules
        decision = adapter.evaluate(engine, case)
        fact = _fact(engine, adapter, decision, case)
        applies = given_test(fact)
        seen["applicable"] += applies
        if applies and not expect_test(fact):
            failure.update(case=case, decision=decision)
            raise AssertionError(invariant.name)

    try:
        check()
    except AssertionError:
        decision = failure["decision"]
        return InvariantResult(doc.id, doc.version, invariant.name, False, seen["n"],
                               seen["applicable"], _plain(failure["case"]), decision.rule_ids,
                               decision.outcome)
    return InvariantResult(doc.id, doc.version, invariant.name, True, seen["n"],
                           seen["applicable"])


def check_invariants(bundle: Bundle, *, engine: str = "compiled", max_examples: int = 200,
                     derandomize: bool = False) -> list[InvariantResult]:
    """Check every invariant of every policy version in ``bundle``; never raises on failure.

    Args:
        bundle: the bundle to check.
        engine: ``"compiled"`` or ``"durable"``.
        max_examples: hypothesis examples per invariant.
        derandomize: draw the same inputs on every run (for CI), instead of fresh ones.
    """
    from finpolicy.testing import adapters  # noqa: F401  (registers the built-in domains)

    recording = _RecordingEngine(bundle, engine=engine)
    results = []
    for doc in bundle.documents:
        invariants = getattr(doc.policy, "invariants", ())
        adapter = ADAPTERS.get(doc.kind)
        if not invariants or adapter is None:
            continue
        for invariant in invariants:
            results.append(_check_one(recording, adapter, doc, invariant, max_examples,
                                      derandomize))
    return results


def assert_invariants(bundle: Bundle, **options: Any) -> list[InvariantResult]:
    """Like ``check_invariants`` but raise ``InvariantViolation`` when any invariant fails.

    One line in a bank's own test suite::

        def test_policy_invariants():
            finpolicy.testing.assert_invariants(fp.load_bundle("policies/our-pack"))
    """
    results = check_invariants(bundle, **options)
    failed = [r for r in results if not r.holds]
    if failed:
        raise InvariantViolation(failed)
    return results


def describe_invariant(invariant: Invariant) -> str:
    """``when <given>, <expect>`` in plain words."""
    return f"when {render(invariant.given)}: {render(invariant.expect)}"


def _plain(case: Case) -> Case:
    out: Case = {}
    for key, value in case.items():
        dump = getattr(value, "model_dump", None)
        out[key] = dump(mode="json", exclude_defaults=True) if dump else value
    return out
