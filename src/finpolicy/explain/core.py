"""Explaining one decision: record its rule runs, trace them, find obstacles and changes.

The decision is taken again on a ``RecordingRuntime``: a runtime that passes everything to the
engine's own runtime but records each rule-set run of *this* decision (other threads' decisions
never mix in) and gives the domain fresh per-engine state, so that no cache hides a run. The
normal path is untouched: nothing here runs unless an explanation is asked for.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from finpolicy.decisions import Decision
from finpolicy.errors import EvaluationError, FinpolicyError
from finpolicy.explain.explainer import Explainer, Move, Role
from finpolicy.explain.model import Clause, Explanation, Group, Obstacle, RuleTrace, Suggestion
from finpolicy.explain.patch import apply_changes
from finpolicy.rules.conditions import All, Compare, FieldRef, Not
from finpolicy.rules.evaluate import (
    MISSING,
    LeafTrace,
    Need,
    Trace,
    leaves,
    targets,
    trace,
    ways,
)
from finpolicy.rules.model import Rule
from finpolicy.rules.render import render, render_path, render_value
from finpolicy.runtime import Runtime, StateKey

if TYPE_CHECKING:
    import datetime as dt

    from finpolicy.decisions import PolicyRef
    from finpolicy.documents.bundle import Bundle, PolicyDocument
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind

__all__ = ["Analysis", "RecordingRuntime", "Run", "Traced", "analyse", "explain_case"]

T = TypeVar("T")
P = TypeVar("P", bound="CompiledPolicy")

PLAN_LIMIT = 24  # needs combinations tried per state
# explanations' own compiled evaluators, per engine (see RecordingRuntime.run)
_EVALUATORS: StateKey[dict[tuple[Any, str], Callable[[Mapping[str, Any]], list[Rule]]]] = \
    StateKey("explain.evaluators", dict)
BUDGET = 240  # evaluations per explanation
FRONTIER = 8  # states a second round of changes starts from


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
        if self._inner.engine_name == "compiled":
            # the engine's own evaluators memoise the facts the normal path sees; the many
            # unusual facts of an explanation must not crowd them out or switch them off
            matched: Sequence[Rule] = self._private(doc, ruleset)(fact)
        else:
            matched = self._inner.run(doc, ruleset, fact)
        self.runs.append(Run(doc, ruleset, fact, tuple(matched)))
        return matched

    def _private(self, doc: PolicyDocument[Any],
                 ruleset: str) -> Callable[[Mapping[str, Any]], list[Rule]]:
        evaluators = self._inner.state(_EVALUATORS)
        key = (doc.key, ruleset)
        found = evaluators.get(key)
        if found is None:
            from finpolicy.engines import make_evaluator

            rules = doc.policy.rulesets[ruleset]
            evaluator = make_evaluator(rules, "compiled", source=doc.file)

            def found(fact: Mapping[str, Any]) -> list[Rule]:
                try:
                    indices = evaluator.matches(fact)
                except FinpolicyError:
                    raise
                except Exception as exc:  # as the runtime does: an engine bug is ours
                    raise EvaluationError(f"compiled engine failed on `{doc.id}` "
                                          f"{doc.version} rule set `{ruleset}`: {exc}") from exc
                return [rules.rules[i] for i in indices]

            evaluators[key] = found
        return found

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


# --- traces in words --------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    return None if value is MISSING else value


def _saw(leaf: LeafTrace) -> str:
    def one(value: Any) -> str:
        return "not given" if value is MISSING else render_value(value)

    condition = leaf.condition
    if isinstance(condition, Compare) and isinstance(condition.value, FieldRef):
        return (f"it is {one(leaf.value)}; {render_path(condition.value.path)} is "
                f"{one(leaf.other)}")
    return "it is not given" if leaf.value is MISSING else f"it is {one(leaf.value)}"


def clause(analysis: Analysis, leaf: LeafTrace) -> Clause:
    """A traced leaf in words."""
    condition = leaf.condition
    fields = [condition.dotted]
    values = [_plain(leaf.value)]
    if isinstance(condition, Compare) and isinstance(condition.value, FieldRef):
        fields.append(condition.value.dotted)
        values.append(_plain(leaf.other))
    return Clause(render(condition), leaf.held, _saw(leaf), tuple(fields), tuple(values),
                  analysis.changeable(leaf))


def _tree(analysis: Analysis, node: Trace) -> Group | Clause:
    if isinstance(node, LeafTrace):
        return clause(analysis, node)
    condition = node.condition
    kind: Literal["all", "any", "not"] = (
        "not" if isinstance(condition, Not) else "all" if isinstance(condition, All) else "any")
    return Group(kind, node.held, tuple(_tree(analysis, item) for item in node.items))


def rule_traces(analysis: Analysis) -> tuple[RuleTrace, ...]:
    """Every traced rule's condition tree in words."""
    return tuple(RuleTrace(t.run.doc.id, t.run.doc.version, t.run.ruleset, t.rule.id,
                           t.rule.reason, t.rule.cite, dict(t.rule.effect), t.trace.held,
                           any(r is t.rule for r in t.run.matched), _tree(analysis, t.trace))
                 for t in analysis.traced)


# --- why not ----------------------------------------------------------------------------------

def _clauses(analysis: Analysis, found: list[tuple[Need, ...]]) -> tuple[Clause, ...]:
    seen: dict[int, LeafTrace] = {}
    for way in found:
        for need in way:
            seen.setdefault(id(need.leaf), need.leaf)
    return tuple(clause(analysis, leaf) for leaf in seen.values())


def rule_obstacles(analysis: Analysis) -> list[Obstacle]:
    """Blocking rules that hold, then the nearest enabling rules that fail (fewest failed
    comparisons first), each with the comparisons in the way."""
    explainer = analysis.explainer
    anything = lambda leaf: True  # noqa: E731  (every leaf, changeable or not)
    out: list[Obstacle] = []
    for t in analysis.traced:
        if t.role == "blocks" and t.trace.held:
            raw = ways(t.trace, False, anything)
            out.append(Obstacle("rule", t.rule.id, "blocks", explainer.effect(t.rule),
                                t.rule.reason, t.rule.cite, _clauses(analysis, raw),
                                len(raw[0]) if raw else 0,
                                bool(ways(t.trace, False, analysis.changeable))))
    target = analysis.target
    enablers = [t for t in analysis.traced if t.role == "enables"]
    if target is not None and explainer.needs_enabler(target) and \
            not any(t.trace.held for t in enablers):
        near = []
        for t in enablers:
            raw = ways(t.trace, True, anything)
            if raw:
                near.append(Obstacle("rule", t.rule.id, "enables", explainer.effect(t.rule),
                                     t.rule.reason, t.rule.cite, _clauses(analysis, raw[:1]),
                                     len(raw[0]),
                                     bool(ways(t.trace, True, analysis.changeable))))
        near.sort(key=lambda o: (o.failed, not o.changeable))
        out += near[:3]
    return out


# --- what would change it ---------------------------------------------------------------------

def _moves_for(analysis: Analysis, need: Need) -> list[Move]:
    found: dict[str, Move] = {}
    for target in targets(need):
        for move in analysis.explainer.moves(analysis, target):
            found.setdefault(_key(move.changes), move)
    return sorted(found.values(), key=lambda m: m.cost)


def rule_plans(analysis: Analysis) -> list[list[list[Move]]]:
    """Plans derived from the rules, for each outcome better than the decision's: lift every
    rule that blocks it and, where it needs one, satisfy an enabling rule — using only
    changeable facts."""
    explainer = analysis.explainer
    current = explainer.rank(analysis.decision.outcome)
    plans: dict[frozenset[int], tuple[int, list[list[Move]]]] = {}
    for outcome in explainer.outcomes[:current]:
        for needs in _need_sets(analysis, outcome):
            key = frozenset(id(n.leaf) for n in needs)
            if key in plans:
                continue
            found = [_moves_for(analysis, need) for need in needs]
            plan = [moves for moves in found if moves]
            # a need without a move of its own may be met by another need's move (a restated
            # purpose also makes a role permit the request): evaluating tells
            if plan:
                plans[key] = (len(found) - len(plan), plan)
    return [plan for _, plan in sorted(plans.values(), key=lambda p: (p[0], len(p[1])))]


def _need_sets(analysis: Analysis, outcome: str) -> list[tuple[Need, ...]]:
    """Sets of leaf flips that would lift every rule blocking ``outcome`` (and satisfy an
    enabling rule where ``outcome`` needs one)."""
    explainer, changeable = analysis.explainer, analysis.changeable
    options: list[list[tuple[Need, ...]]] = []
    for t in analysis.traced:
        if t.trace.held and explainer.role(t.rule, outcome) == "blocks":
            found = ways(t.trace, False, changeable)
            if not found:
                return []
            options.append(found)
    enablers = [t for t in analysis.traced if explainer.role(t.rule, outcome) == "enables"]
    if explainer.needs_enabler(outcome) and not any(t.trace.held for t in enablers):
        either = sorted((w for t in enablers for w in ways(t.trace, True, changeable)), key=len)
        if not either:
            return []
        options.append(either[:PLAN_LIMIT])
    out: dict[frozenset[int], tuple[Need, ...]] = {}
    for combo in itertools.islice(itertools.product(*options), PLAN_LIMIT * 8):
        needs: dict[int, Need] = {}
        for way in combo:
            for need in way:
                needs.setdefault(id(need.leaf), need)
        out.setdefault(frozenset(needs), tuple(needs.values()))
        if len(out) >= PLAN_LIMIT:
            break
    return sorted(out.values(), key=len)


def _key(changes: Sequence[Any]) -> str:
    return "|".join(c.key for c in changes)


def _combos(plans: list[list[list[Move]]]) -> list[tuple[Move, ...]]:
    """One move per need of each plan, without repeating a move. Two moves replacing one
    field (an amount for two thresholds) cannot both apply: the one picked first is kept, in
    the hope that it meets both needs (evaluating the change tells)."""
    out: dict[frozenset[str], tuple[Move, ...]] = {}
    for plan in plans:
        picks = list(itertools.islice(itertools.product(*plan), 64))
        for pick in picks + [pick[::-1] for pick in picks]:
            chosen: dict[str, Move] = {}
            replaced: set[str] = set()
            for move in pick:
                paths = {c.path for c in move.changes if c.op != "add"}
                if _key(move.changes) in chosen or paths & replaced:
                    continue
                chosen[_key(move.changes)] = move
                replaced |= paths
            moves = tuple(chosen.values())
            out.setdefault(frozenset(chosen), moves)
    return sorted(out.values(), key=lambda ms: (len(ms), sum(m.cost for m in ms)))


def _canonical(case: Mapping[str, Any]) -> str:
    return json.dumps(case, sort_keys=True, default=str)


@attrs.frozen(slots=True)
class _Found:
    moves: tuple[Move, ...]
    decision: Decision
    rank: int

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(_key(m.changes) for m in self.moves)


def search(analysis: Analysis, *, limit: int = 5, budget: int = BUDGET) -> list[Suggestion]:
    """Changes that give a better outcome, each checked by evaluating the changed input.

    A first round tries the moves the decision's obstacles call for; a second round starts
    from the most promising changed inputs that are not yet the best (an unknown role
    dropped leaves a subject without roles: request one), unless the first round already
    reached the best outcome.
    """
    explainer, start = analysis.explainer, analysis
    original = explainer.rank(start.decision.outcome)
    seen = {_canonical(start.case)}
    found: list[_Found] = []
    frontier: list[tuple[tuple[Move, ...], Analysis]] = [((), start)]
    spent = 0
    for _ in range(2):
        following: list[tuple[int, tuple[Move, ...], dict[str, Any]]] = []
        for done, state in frontier:
            plans = explainer.plans(state)
            for combo in _combos(rule_plans(state) if plans is None else plans):
                moves = _supersede(done, combo)
                if moves is None:
                    continue
                try:
                    changed = apply_changes(start.case,
                                            [c for m in moves for c in m.changes])
                except FinpolicyError:
                    continue
                key = _canonical(changed)
                if key in seen or spent >= budget:
                    continue
                seen.add(key)
                spent += 1
                try:
                    after = explainer.decide(RecordingRuntime(start.runtime), changed)
                except FinpolicyError:  # a change the domain rejects is no suggestion
                    continue
                rank = explainer.rank(after.outcome)
                if rank < original:
                    found.append(_Found(moves, after, rank))
                if rank <= original and explainer.target(after) is not None:
                    following.append((rank, moves, changed))
        if any(f.rank == 0 for f in found):
            break
        following.sort(key=lambda item: (item[0], len(item[1])))
        frontier = []
        for _, moves, changed in following[:FRONTIER]:
            try:
                frontier.append((moves, analyse(explainer, start.runtime, changed)))
            except FinpolicyError:
                continue
    return [_suggestion(f) for f in _minimal(found)[:limit]]


def _supersede(done: tuple[Move, ...], more: tuple[Move, ...]) -> tuple[Move, ...] | None:
    """``done + more``, leaving out earlier moves that only replace fields ``more`` replaces
    again (the amount lowered twice is lowered once); ``None`` when ``more`` fills a slot
    ``done`` filled (its edits were made for the input with the first one applied)."""
    if {m.slot for m in more if m.slot} & {m.slot for m in done if m.slot}:
        return None
    replaced = {c.path for m in more for c in m.changes if c.op == "replace"}
    kept = tuple(m for m in done
                 if not all(c.op == "replace" and c.path in replaced for c in m.changes))
    return kept + more


def _minimal(found: list[_Found]) -> list[_Found]:
    """Drop a suggestion when a smaller one (a subset of its changes) does as well, and keep
    one of those editing the same fields for the same outcome (the least costly)."""
    keep = [f for f in found
            if not any(g.keys < f.keys and g.rank <= f.rank for g in found)]
    keep.sort(key=lambda f: (f.rank, len(f.moves), sum(m.cost for m in f.moves),
                             " ".join(m.text for m in f.moves)))
    out: dict[tuple[Any, ...], _Found] = {}
    for f in keep:
        # replacing a field with another value is the same change, smaller or larger;
        # adding another item (another role to request) is an alternative
        fields = tuple(sorted({c.key if c.op == "add" else f"{c.op} {c.path}"
                               for m in f.moves for c in m.changes}))
        out.setdefault((fields, f.decision.outcome), f)
    return list(out.values())


def _suggestion(found: _Found) -> Suggestion:
    return Suggestion("; and ".join(m.text for m in found.moves),
                      tuple(c for m in found.moves for c in m.changes),
                      found.decision.outcome, found.decision.rule_ids,
                      tuple(dict.fromkeys(m.lever for m in found.moves)))


def explain_case(explainer: Explainer, runtime: Runtime, case: Mapping[str, Any], *,
                 limit: int = 5,
                 on_analysis: Callable[[Analysis], None] | None = None) -> Explanation:
    """The explanation of the decision on ``case`` (its mapping form, with ``as_of``)."""
    analysis = analyse(explainer, runtime, case)
    if on_analysis is not None:
        on_analysis(analysis)
    why: list[Obstacle] = []
    suggestions: list[Suggestion] = []
    if analysis.target is not None:
        domain_why = explainer.obstacles(analysis)
        why = rule_obstacles(analysis) if domain_why is None else domain_why
        suggestions = search(analysis, limit=limit)
    notes = explainer.notes(analysis)
    if analysis.target is not None and not suggestions and explainer.immutable:
        notes.append(f"what decides this cannot be changed by a person: {explainer.immutable}")
    return Explanation(domain=explainer.domain, decision=analysis.decision, input=dict(case),
                       target=analysis.target, rules=rule_traces(analysis),
                       why_not=tuple(why), suggestions=tuple(suggestions), notes=tuple(notes))


def leaf_paths(node: Trace) -> list[tuple[str, ...]]:
    """Every fact path a traced condition reads."""
    out = []
    for leaf in leaves(node):
        out.append(leaf.condition.path)
        if isinstance(leaf.condition, Compare) and isinstance(leaf.condition.value, FieldRef):
            out.append(leaf.condition.value.path)
    return out
