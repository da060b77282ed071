"""What would change a decision: plans from the obstacles, combinations of moves, each
combination applied to the input and evaluated; the better ones, smallest first."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from finpolicy.decisions import Decision
from finpolicy.errors import FinpolicyError
from finpolicy.explain.explainer import Move
from finpolicy.explain.model import Suggestion
from finpolicy.explain.patch import apply_changes
from finpolicy.explain.record import Analysis, RecordingRuntime, analyse
from finpolicy.rules.evaluate import Need, targets, ways

__all__ = ["rule_plans", "search"]

PLAN_LIMIT = 24  # needs combinations tried per state
BUDGET = 240  # evaluations per explanation
FRONTIER = 8  # states a second round of changes starts from


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
