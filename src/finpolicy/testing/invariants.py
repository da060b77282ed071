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
from finpolicy.documents.git import shown_text
from finpolicy.domains.base import Case, InvariantAdapter
from finpolicy.engine import PolicyEngine
from finpolicy.engines.compiled import compile_condition
from finpolicy.errors import FinpolicyError
from finpolicy.rules.invariants import Invariant
from finpolicy.rules.model import Rule
from finpolicy.rules.render import render
from finpolicy.testing.invariant_cases import (
    adapter_of,
    case_yaml,
    invariant_case,
    invariant_facts,
    plain,
)


def adapter(kind: str) -> InvariantAdapter:
    """The adapter its domain declares for ``kind`` (every registered kind has one)."""
    return adapter_of(kind)[1]


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
    file: str | None = None  # the policy file and the line where the invariant is written
    line: int | None = None
    error: str | None = None  # what evaluating the (shrunk) counter-example raised
    more: int = 0  # inputs drawn besides `examples` because none of those met `given`
    domain: str | None = None  # the domain of the policy (a case file's `domain`)
    elsewhere: int = 0  # inputs drawn that the engine decided by another version: not judged
    # the counter-example as a policy test case (`name`, `as_of`, `input`, `expect`)
    case: dict[str, Any] | None = None

    @property
    def untested(self) -> bool:
        """No generated input met ``given``: the invariant was not checked at all."""
        return self.holds and not self.applicable

    @property
    def where(self) -> str:
        """``file:line`` of the invariant in its policy file ('' when unknown)."""
        if self.file is None:
            return ""
        return f"{shown_text(self.file)}:{self.line}" if self.line is not None else \
            shown_text(self.file)

    def none_met(self) -> str:
        """``none of the 20 generated inputs, nor 80 more, met its `given```, or that none
        was decided by this version at all."""
        if not self.examples and self.elsewhere:
            return (f"none of the {self.elsewhere} generated inputs was decided by this "
                    "version: the engine decided each by another version, in force on the "
                    "input's day; its domain's inputs are not drawn on this version's days")
        more = f", nor {self.more} more," if self.more else ""
        return (f"none of the {self.examples} generated inputs{more} met its "
                "`given`")

    def describe(self) -> str:
        head = f"{self.policy} {self.version}: {self.name}" + (
            f" ({self.where})" if self.where else "")
        if self.untested:
            advice = "" if not self.examples and self.elsewhere else \
                "; draw more with max_examples"
            return f"UNTESTED {head} ({self.none_met()}, so it was not checked{advice})"
        if self.holds:
            return (f"ok    {head} ({self.examples + self.more} inputs, {self.applicable} "
                    "applicable)")
        if self.error is not None:
            return (f"ERROR {head}\n      evaluating a generated input raised {self.error}\n"
                    + self.pasteable())
        return (f"FAIL  {head}\n      outcome: {self.outcome}; rules fired: "
                f"{', '.join(self.rules) or 'none'}\n" + self.pasteable())

    def case_yaml(self) -> str:
        """The counter-example as an item of a case file's ``cases:`` list ('' when none)."""
        return "" if self.case is None else case_yaml(self.case)

    def pasteable(self) -> str:
        """The counter-example as a test case, with where it goes."""
        if self.case is None:
            return f"      counter-example: {self.counterexample}"
        return (f"      counter-example, as a test case (paste under `cases:` in a tests/*.yaml "
                f"file with `domain: {self.domain}`):\n{self.case_yaml()}")


class InvariantViolation(AssertionError):
    """Raised by ``assert_invariants``; ``results`` holds every failing invariant, and every
    untested one unless they were allowed."""

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


# An invariant none of the first inputs reaches gets this many times as many more before it is
# reported untested: with inputs drawn the same way on every run (derandomize), which ones are
# drawn shifts with any change to the strategies, so an invariant met by a few inputs in a
# hundred must not hinge on the first fifty.
MORE_WHEN_UNTESTED = 4


def _search(strategy: Any, judge: Any, examples: int, derandomize: bool
            ) -> dict[str, Any] | None:
    """Run ``judge`` on ``examples`` drawn inputs; the shrunk problem it found, if any."""
    failure: dict[str, Any] = {}

    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(case: Case) -> None:
        problem = judge(case)
        if problem is not None:
            failure.clear()
            failure.update(problem)
            raise AssertionError("invariant")  # one place, so hypothesis sees one failure

    try:
        check()
    except AssertionError:
        return failure
    return None


def _check_one(engine: PolicyEngine, facts: _Facts, found: InvariantAdapter,
               doc: PolicyDocument[Any], invariant: Invariant, line: int | None,
               max_examples: int, derandomize: bool) -> InvariantResult:
    given_test, expect_test = compile_condition(invariant.given), compile_condition(
        invariant.expect)
    strategy = found.cases(engine.bundle, doc)
    seen = {"n": 0, "applicable": 0, "elsewhere": 0}

    def judge(case: Case) -> dict[str, Any] | None:
        facts.last = {}  # a domain may answer from a cache without running its rules
        try:
            decision = found.evaluate(engine, case)
            fact = invariant_facts(facts.last, found, decision, case)
        except FinpolicyError as exc:  # shrunk and reported like a violation, not a traceback
            if not doc.metadata.in_force(found.on(case)):
                return None  # (on a day this version is not in force: not its input)
            seen["n"] += 1
            return {"case": case, "error": _error_text(exc)}
        # an invariant speaks for its own version: an input the engine decided by another one
        # (on its day of the input, outside this version's window) is not judged against it
        if (decision.policy.id, decision.policy.version) != (doc.id, doc.version):
            seen["elsewhere"] += 1
            return None
        seen["n"] += 1
        applies = given_test(fact)
        seen["applicable"] += applies
        return {"case": case, "decision": decision} if applies and not expect_test(
            fact) else None

    failure = _search(strategy, judge, max_examples, derandomize)
    failed: dict[str, Any] = {}
    if failure is None and not seen["applicable"]:
        first = seen["n"]
        failure = _search(strategy, judge, max_examples * MORE_WHEN_UNTESTED, derandomize)
        failed["more"] = seen["n"] - first
        seen["n"] = first
    if failure is not None:
        failed["counterexample"] = plain(failure["case"])
        failed["case"] = invariant_case(found, failure["case"], invariant.name)
        if "error" in failure:
            failed.update(outcome="<error>", error=failure["error"])
        else:
            failed.update(rules=failure["decision"].rule_ids,
                          outcome=failure["decision"].outcome)
    return InvariantResult(doc.id, doc.version, invariant.name, failure is None, seen["n"],
                           seen["applicable"], file=doc.file, line=line,
                           domain=adapter_of(doc.kind)[0], elsewhere=seen["elsewhere"],
                           **failed)


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
            for i, invariant in enumerate(invariants):
                line = None if doc.source is None else doc.source.line_of(
                    ("spec", "invariants", i))
                results.append(_check_one(policy_engine, facts, found, doc, invariant, line,
                                          max_examples, derandomize))
    return results


def assert_invariants(bundle: Bundle, *, allow_untested: bool = False,
                      **options: Any) -> list[InvariantResult]:
    """Like ``check_invariants`` but raise ``InvariantViolation`` when any invariant fails,
    or when no generated input met an invariant's ``given`` (it was not checked at all),
    unless ``allow_untested``.

    One line in a bank's own test suite::

        def test_policy_invariants():
            finpolicy.testing.assert_invariants(fp.load_bundle("policies/our-pack"))
    """
    results = check_invariants(bundle, **options)
    failed = [r for r in results if not r.holds or (r.untested and not allow_untested)]
    if failed:
        raise InvariantViolation(failed)
    return results


def describe_invariant(invariant: Invariant) -> str:
    """``when <given>, <expect>`` in plain words."""
    return f"when {render(invariant.given)}: {render(invariant.expect)}"


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


_plain = plain  # (the name tests and older callers import)


