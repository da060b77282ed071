"""Taking a decision again, recording its rule-set runs and tracing every rule.

The decision is taken on a ``RecordingRuntime``: a runtime that passes everything to the
engine's own runtime but records each rule-set run of *this* decision (other threads' decisions
never mix in), gives the domain fresh per-engine state so that no cache hides a run, and
evaluates rule sets with evaluators of its own (built once per engine, for the same engine
kind), so that the engine's memo caches and observers see only the normal path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from finpolicy.decisions import Decision
from finpolicy.errors import EvaluationError, FinpolicyError
from finpolicy.explain.explainer import Explainer, Role
from finpolicy.rules.conditions import Compare, FieldRef
from finpolicy.rules.evaluate import LeafTrace, Trace, trace
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime, StateKey

if TYPE_CHECKING:
    import datetime as dt

    from finpolicy.decisions import PolicyRef
    from finpolicy.documents.bundle import Bundle, PolicyDocument
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind

__all__ = ["Analysis", "RecordingRuntime", "Run", "Traced", "analyse"]

T = TypeVar("T")
P = TypeVar("P", bound="CompiledPolicy")

# explanations' own evaluators, per engine (see RecordingRuntime.run)
_EVALUATORS: StateKey[dict[tuple[Any, str], Callable[[Mapping[str, Any]], list[Rule]]]] = \
    StateKey("explain.evaluators", dict)
_BUILDING = threading.Lock()


@attrs.frozen(slots=True)
class Run:
    """One rule-set run of a decision: the document, rule set, fact and matching rules."""

    doc: PolicyDocument[Any]
    ruleset: str
    fact: Mapping[str, Any]
    matched: tuple[Rule, ...]


class RecordingRuntime:
    """A ``Runtime`` recording the rule-set runs of one decision (see the module docstring)."""

    __slots__ = ("_inner", "_state", "runs")

    def __init__(self, inner: Runtime) -> None:
        self._inner = inner
        self._state: dict[StateKey[Any], Any] = {}
        self.runs: list[Run] = []

    @property
    def bundle(self) -> Bundle:
        return self._inner.bundle

    @property
    def engine_name(self) -> str:
        return self._inner.engine_name

    def policy(self, kind: PolicyKind[Any, P], on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[P]:
        return self._inner.policy(kind, on, policy_id)

    def run(self, doc: PolicyDocument[Any], ruleset: str,
            fact: Mapping[str, Any]) -> Sequence[Rule]:
        # the engine's own evaluators memoise the facts the normal path sees (the many unusual
        # facts of an explanation must not crowd them out), and its observers watch decisions
        matched = self._private(doc, ruleset)(fact)
        self.runs.append(Run(doc, ruleset, fact, tuple(matched)))
        return matched

    def _private(self, doc: PolicyDocument[Any],
                 ruleset: str) -> Callable[[Mapping[str, Any]], list[Rule]]:
        evaluators = self._inner.state(_EVALUATORS)
        key = (doc.key, ruleset)
        found = evaluators.get(key)
        if found is not None:
            return found
        with _BUILDING:  # a durable rule set, once registered, stays: build each once
            found = evaluators.get(key)
            if found is None:
                found = evaluators[key] = self._build(doc, ruleset)
        return found

    def _build(self, doc: PolicyDocument[Any],
               ruleset: str) -> Callable[[Mapping[str, Any]], list[Rule]]:
        from finpolicy.engines import make_evaluator

        rules = doc.policy.rulesets[ruleset]
        engine = self._inner.engine_name
        evaluator = make_evaluator(rules, engine, source=doc.file)

        def matching(fact: Mapping[str, Any]) -> list[Rule]:
            try:
                indices = evaluator.matches(fact)
            except FinpolicyError:
                raise
            except Exception as exc:  # as the runtime does: an engine bug is ours
                raise EvaluationError(f"{engine} engine failed on `{doc.id}` {doc.version} "
                                      f"rule set `{ruleset}`: {exc}") from exc
            return [rules.rules[i] for i in indices]

        return matching

    def ref(self, doc: PolicyDocument[Any]) -> PolicyRef:
        return self._inner.ref(doc)

    def state(self, key: StateKey[T]) -> T:
        if key not in self._state:
            self._state[key] = key.factory()
        value: T = self._state[key]
        return value


@attrs.frozen(slots=True, eq=False)
class Traced:
    """A rule of a recorded run with its condition traced over the run's fact."""

    run: Run
    rule: Rule
    trace: Trace
    role: Role | None


@attrs.frozen(slots=True, eq=False)
class Analysis:
    """A decision taken again on a recording runtime, with every rule traced."""

    explainer: Explainer
    runtime: Runtime
    case: Mapping[str, Any]
    decision: Decision
    runs: tuple[Run, ...]
    target: str | None
    traced: tuple[Traced, ...]

    def changeable(self, leaf: LeafTrace) -> bool:
        """Whether a person can change some fact ``leaf`` reads."""
        condition = leaf.condition
        paths = [condition.path]
        if isinstance(condition, Compare) and isinstance(condition.value, FieldRef):
            paths.append(condition.value.path)
        return any(self.explainer.changeable(self, p) for p in paths)

    @property
    def doc(self) -> PolicyDocument[Any] | None:
        """The document of the last run (the one the decision is mostly about)."""
        return self.runs[-1].doc if self.runs else None


def _primary(runs: Sequence[Run]) -> list[Run]:
    """The last run of each (document, rule set): a derived field's sources run first."""
    last: dict[tuple[Any, str], Run] = {}
    for run in runs:
        last.pop((run.doc.key, run.ruleset), None)
        last[(run.doc.key, run.ruleset)] = run
    return list(last.values())


def analyse(explainer: Explainer, runtime: Runtime, case: Mapping[str, Any]) -> Analysis:
    """Take the decision on ``case`` again, recording and tracing its runs."""
    recording = RecordingRuntime(runtime)
    decision = explainer.decide(recording, case)
    target = explainer.target(decision)
    traced = []
    for run in _primary(recording.runs):
        for rule in run.doc.policy.rulesets[run.ruleset].rules:
            role = explainer.role(rule, target) if target is not None else None
            traced.append(Traced(run, rule, trace(rule.when, run.fact), role))
    return Analysis(explainer, runtime, case, decision, tuple(recording.runs), target,
                    tuple(traced))
