"""Running policy test cases on engines, with rule coverage (``finpolicy test``).

``run_cases(bundle)`` runs the YAML cases of a pack on both engines and
``coverage(bundle, decisions)`` says which rules they exercised, like ``opa test --coverage``:
a rule counts as exercised when a decision lists it among its hits or when its condition held
while a case was evaluated (a rule that only adds an obligation, or one a deny overrode).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from finpolicy.decisions import Decision
from finpolicy.documents.bundle import Bundle, PolicyDocument, rule_lines
from finpolicy.errors import InputError
from finpolicy.rules.model import Rule
from finpolicy.rules.parse import suggest
from finpolicy.testing.cases import (
    CaseResult,
    Expectation,
    PolicyCase,
    _error_name,
    _signature,
    check_case,
    evaluate_case,
    load_cases,
)

if TYPE_CHECKING:
    from finpolicy.facade import PolicyEngine

__all__ = ["CaseReport", "Coverage", "PolicyCoverage", "coverage", "run_cases"]


@attrs.frozen(slots=True)
class PolicyCoverage:
    """Rule coverage of one policy version."""

    policy_id: str
    version: str
    kind: str
    file: str
    rules: tuple[str, ...]
    covered: frozenset[str]
    lines: Mapping[str, int | None] = attrs.field(factory=dict, eq=False)

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(r for r in self.rules if r not in self.covered)

    @property
    def percent(self) -> float:
        return 100.0 * len(self.covered) / len(self.rules) if self.rules else 100.0


@attrs.frozen(slots=True)
class Coverage:
    """Which rules of every policy version in a bundle the decisions exercised."""

    policies: tuple[PolicyCoverage, ...]

    @property
    def total(self) -> int:
        return sum(len(p.rules) for p in self.policies)

    @property
    def covered(self) -> int:
        return sum(len(p.covered) for p in self.policies)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0

    @property
    def uncovered(self) -> tuple[tuple[PolicyCoverage, str], ...]:
        """Every rule no decision hit, with its policy version."""
        return tuple((p, r) for p in self.policies for r in p.uncovered)

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": round(self.percent, 2), "covered": self.covered, "total": self.total,
            "policies": [{"id": p.policy_id, "version": p.version, "kind": p.kind,
                          "file": p.file, "rules": len(p.rules), "covered": len(p.covered),
                          "percent": round(p.percent, 2), "uncovered": list(p.uncovered)}
                         for p in self.policies],
        }


def coverage(bundle: Bundle, decisions: Iterable[Decision] = (), *,
             matched: Iterable[tuple[str, str, str]] = ()) -> Coverage:
    """Rule coverage of ``bundle`` by ``decisions``.

    Every rule id of every policy version (``doc.policy.rulesets[*].rules[*].id``) is matched
    against the rule ids the decisions hit, keyed by policy id and version, and against
    ``matched``: ``(policy id, version, rule id)`` of rules whose condition held while the
    decisions were made (``run_cases`` records them, so a rule that only adds an obligation,
    or that a deny overrode, counts as exercised even when a decision does not list it).
    """
    hit: dict[tuple[str, str], set[str]] = {}
    for decision in decisions:
        key = (decision.policy.id, decision.policy.version)
        hit.setdefault(key, set()).update(h.rule_id for h in decision.hits)
    for policy_id, version, rule_id in matched:
        hit.setdefault((policy_id, version), set()).add(rule_id)
    policies = []
    for doc in bundle.documents:
        ids = list(doc.rule_ids)
        found = hit.get((doc.id, doc.version), set())
        lines = rule_lines(doc)
        policies.append(PolicyCoverage(doc.id, doc.version, doc.kind, doc.file, tuple(ids),
                                       frozenset(i for i in ids if i in found),
                                       {i: lines.get(i) for i in ids}))
    return Coverage(tuple(policies))


class _Recorder:
    """Records every rule whose condition holds while an engine evaluates (for coverage)."""

    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self.matched: set[tuple[str, str, str]] = set()
        self.last: Mapping[str, Any] = {}  # the facts of the latest rule-set run
        self._observing = engine.observe(self._seen)

    def _seen(self, doc: PolicyDocument[Any], ruleset: str, fact: Mapping[str, Any],
              rules: Sequence[Rule]) -> None:
        self.matched.update((doc.id, doc.version, r.id) for r in rules)
        self.last = fact

    def __enter__(self) -> _Recorder:
        self._observing.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._observing.__exit__(None, None, None)


@attrs.frozen(slots=True)
class CaseReport:
    """The result of running a pack's cases: per case and engine, and rule coverage."""

    results: tuple[CaseResult, ...]
    coverage: Coverage
    engines: tuple[str, ...]

    @property
    def cases(self) -> tuple[PolicyCase, ...]:
        seen: dict[tuple[str, str], PolicyCase] = {}
        for r in self.results:
            seen.setdefault((r.case.file, r.case.name), r.case)
        return tuple(seen.values())

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "engines": list(self.engines), "cases": len(self.cases),
            "passed": self.passed,
            "failures": [{"file": r.case.shown_file, "line": r.case.line, "case": r.case.name,
                          "engine": r.engine, "failures": list(r.failures)}
                         for r in self.failures],
            "coverage": self.coverage.to_dict(),
        }


def _engines(bundle: Bundle, engines: Sequence[Any]) -> list[PolicyEngine]:
    from finpolicy.facade import PolicyEngine

    out = []
    for engine in engines:
        if isinstance(engine, str):
            out.append(PolicyEngine(bundle, engine=engine))
        elif isinstance(engine, PolicyEngine):
            if engine.bundle.digest != bundle.digest:
                raise InputError.one("engines", "engine was built on another bundle", "bad_option")
            out.append(engine)
        else:
            raise InputError.one("engines", "expected engine names or PolicyEngine objects, "
                                            f"got {type(engine).__name__}", "bad_option")
    if not out:
        raise InputError.one("engines", "expected at least one engine", "bad_option")
    return out


def _unknown_hits(case: PolicyCase, rule_ids: set[str]) -> list[str]:
    """A line for each rule id the case expects that no policy of the bundle has: a typo
    otherwise reads like a rule that did not fire."""
    expects = case.expect if isinstance(case.expect, tuple) else (case.expect,)
    wanted = dict.fromkeys(h for e in expects if e is not None for h in e.hits)
    return [f"hits: `{h}` is no rule of any policy of the pack{suggest(h, sorted(rule_ids))}"
            for h in wanted if h not in rule_ids]


def _invariant(bundle: Bundle, case: PolicyCase, decisions: Sequence[Decision],
               error: Exception | None, last: Mapping[str, Any]) -> list[str]:
    """Why the decision breaks the invariant ``expect: {invariant: NAME}`` names, if it does."""
    expect = case.expect
    if error is not None or not isinstance(expect, Expectation) or expect.invariant is None:
        return []
    from finpolicy.testing.invariant_cases import invariant_failures

    return invariant_failures(bundle, case.domain, expect.invariant, case.input, case.as_of,
                              decisions, last)


def run_cases(bundle: Bundle, cases: Iterable[PolicyCase] | None = None, *,
              engines: Sequence[Any] = ("compiled", "durable")) -> CaseReport:
    """Run policy test cases on each engine and measure rule coverage.

    Args:
        bundle: the bundle under test.
        cases: the cases; by default every case in the bundle's ``tests/`` folder.
        engines: engine names (``"compiled"``, ``"durable"``) or ``PolicyEngine`` objects
            built on ``bundle``. When there are several, a case whose decisions differ between
            engines fails on every engine after the first.

    Raises:
        PolicyError: when a case file is malformed.
    """
    case_list = load_cases(bundle) if cases is None else list(cases)
    built = _engines(bundle, engines)
    rule_ids = {r for doc in bundle.documents for r in doc.rule_ids}
    results: list[CaseResult] = []
    decisions: list[Decision] = []
    matched: set[tuple[str, str, str]] = set()
    for case in case_list:
        first: tuple[str, Any] | None = None
        for engine in built:
            with _Recorder(engine) as recorder:
                got, error = evaluate_case(engine, case)
            matched |= recorder.matched
            failures = check_case(case, got, error) + _invariant(bundle, case, got, error,
                                                                 recorder.last)
            failures += _unknown_hits(case, rule_ids) if failures else []
            signature = _signature(got) if error is None else _error_name(error)
            if first is None:
                first = (engine.engine_name, signature)
            elif signature != first[1]:
                failures.append(f"engines disagree: {first[0]} gave {first[1]}, "
                                f"{engine.engine_name} gave {signature}")
            decisions += got
            results.append(CaseResult(case, engine.engine_name, tuple(failures), tuple(got),
                                      None if error is None else _error_name(error)))
    return CaseReport(tuple(results), coverage(bundle, decisions, matched=matched),
                      tuple(e.engine_name for e in built))
