"""Check the invariants declared in policy documents, with hypothesis, on any engine.

Each domain adapter draws inputs from the bundle's vocabulary and evaluates them; the facts the
domain derived for its rules (captured at ``PolicyEngine.run``) plus ``decision.*`` are what
the invariant's conditions read. A violation is shrunk to a minimal input and reported with
the rules that fired.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.domains.base import Case, InvariantAdapter
from finpolicy.engine import PolicyEngine
from finpolicy.engines.compiled import compile_condition
from finpolicy.rules.invariants import Invariant
from finpolicy.rules.model import Rule
from finpolicy.rules.render import render


def adapter(kind: str) -> InvariantAdapter:
    """The adapter its domain declares for ``kind`` (every registered kind has one)."""
    from finpolicy.domains.registry import domains

    for domain in domains():
        found = domain.invariants.get(kind)
        if found is not None:
            return found
    raise KeyError(kind)


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
        if self.holds and not self.applicable:
            return f"UNTESTED {head} (no input of {self.examples} met `given`)"
        if self.holds:
            return f"ok    {head} ({self.examples} inputs, {self.applicable} applicable)"
        return (f"FAIL  {head}\n      counter-example: {self.counterexample}\n"
                f"      outcome: {self.outcome}; rules fired: {', '.join(self.rules) or 'none'}")


class InvariantViolation(AssertionError):
    """Raised by ``assert_invariants``; ``results`` holds every failing invariant."""

    def __init__(self, results: list[InvariantResult]) -> None:
        self.results = results
        super().__init__("\n".join(r.describe() for r in results))


class _Facts:
    """The facts the domain handed to its rules in the latest rule-set run."""

    def __init__(self) -> None:
        self.last: Mapping[str, Any] = {}

    def __call__(self, doc: PolicyDocument[Any], ruleset: str, fact: Mapping[str, Any],
                 matched: Sequence[Rule]) -> None:
        self.last = fact


def _fact(facts: _Facts, found: InvariantAdapter, decision: Any, case: Case) -> dict[str, Any]:
    about = {"outcome": decision.outcome, "obligations": list(decision.obligations),
             "rules": [h.rule_id for h in decision.hits]}
    if found.extra is not None:
        about.update(found.extra(decision, case))
    return {**facts.last, "decision": about}


def _check_one(engine: PolicyEngine, facts: _Facts, found: InvariantAdapter,
               doc: PolicyDocument[Any], invariant: Invariant, max_examples: int,
               derandomize: bool) -> InvariantResult:
    given_test, expect_test = compile_condition(invariant.given), compile_condition(
        invariant.expect)
    strategy = found.cases(engine.bundle, doc)
    seen = {"n": 0, "applicable": 0}
    failure: dict[str, Any] = {}

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=derandomize,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(case: Case) -> None:
        seen["n"] += 1
        facts.last = {}  # a domain may answer from a cache without running its rules
        decision = found.evaluate(engine, case)
        fact = _fact(facts, found, decision, case)
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
    policy_engine = PolicyEngine(bundle, engine=engine)
    facts = _Facts()
    results = []
    with policy_engine.observe(facts):
        for doc in bundle.documents:
            invariants: tuple[Invariant, ...] = getattr(doc.policy, "invariants", ())
            if not invariants:
                continue
            found = adapter(doc.kind)  # every kind has one: its domain would not load
            for invariant in invariants:
                results.append(_check_one(policy_engine, facts, found, doc, invariant,
                                          max_examples, derandomize))
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
