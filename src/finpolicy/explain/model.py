"""What an explanation holds: clause traces, why-not obstacles and verified suggestions.

Every class is a frozen value with ``to_dict()`` giving plain JSON (what an HTTP service
returns); ``Explanation.text()`` renders the whole in the words ``finpolicy eval --why``
prints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from finpolicy.decisions import Decision, _plain

__all__ = ["Change", "Clause", "Explanation", "Group", "Obstacle", "RuleTrace", "Suggestion"]


def _json(value: Any) -> Any:
    return _plain(value)


@attrs.frozen(slots=True)
class Clause:
    """One comparison of a rule's condition, as it was evaluated.

    Attributes:
        text: the comparison in words (``the rank of the product is at most 3``).
        held: whether it held for the decision's facts.
        saw: the values it read, in words (``it is 4``, ``not given``).
        fields: the fact fields it reads (``product.rank``).
        values: the values it read, JSON-ready (``None`` for a value not given).
        changeable: whether a person can change what it reads (the domain says which facts).
    """

    text: str
    held: bool
    saw: str
    fields: tuple[str, ...]
    values: tuple[Any, ...]
    changeable: bool

    def line(self) -> str:
        mark = "✓" if self.held else "✗"
        fixed = "" if self.changeable else "; cannot be changed"
        return f"{mark} {self.text} ({self.saw}{fixed})"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "held": self.held, "saw": self.saw,
                "fields": list(self.fields), "values": _json(self.values),
                "changeable": self.changeable}


@attrs.frozen(slots=True)
class Group:
    """``all``, ``any`` or ``not`` of a condition, as it was evaluated."""

    kind: Literal["all", "any", "not"]
    held: bool
    items: tuple[Group | Clause, ...]

    def lines(self, indent: str) -> list[str]:
        mark = "✓" if self.held else "✗"
        words = {"all": "all of", "any": "any of", "not": "not"}[self.kind]
        out = [f"{indent}{mark} {words}:"]
        for item in self.items:
            out += (item.lines(indent + "    ") if isinstance(item, Group)
                    else [indent + "    " + item.line()])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "held": self.held,
                "items": [item.to_dict() for item in self.items]}


@attrs.frozen(slots=True)
class RuleTrace:
    """One rule of a rule set run for the decision: its condition tree, evaluated.

    ``held`` is the reference evaluator's result; ``matched`` is the engine's (they agree).
    """

    policy: str
    version: str
    ruleset: str
    rule_id: str
    reason: str
    cite: str
    effect: Mapping[str, Any]
    held: bool
    matched: bool
    condition: Group | Clause

    def lines(self) -> list[str]:
        mark = "✓" if self.held else "✗"
        head = f"  {mark} {self.rule_id} [{self.cite}] → {_effect(self.effect)}"
        body = (self.condition.lines("      ") if isinstance(self.condition, Group)
                else ["      " + self.condition.line()])
        return [head, *body]

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "version": self.version, "ruleset": self.ruleset,
                "rule_id": self.rule_id, "reason": self.reason, "cite": self.cite,
                "effect": _json(self.effect), "held": self.held, "matched": self.matched,
                "condition": self.condition.to_dict()}


def _effect(effect: Mapping[str, Any]) -> str:
    shown = {k: v for k, v in effect.items() if k != "applies_to"}
    return ", ".join(f"{k}: {v}" for k, v in sorted(shown.items())) or "parameters"


@attrs.frozen(slots=True)
class Obstacle:
    """Why the decision is not better: a rule that holds and should not, a rule that would
    give the better outcome but fails, or (complaints) a deadline that was missed.

    Attributes:
        kind: ``rule``, ``milestone`` or ``source`` (a derived field's source).
        id: the rule id or milestone name.
        role: ``blocks`` (it holds, and must not for the better outcome) or ``enables`` (one
            such rule must hold for it).
        effect: what it gives (``deny``, ``unsuitable``, ``core``, ``breached``).
        reason: the rule's or milestone's sentence for people.
        cite: its source.
        conditions: the comparisons that stand in the way (for ``blocks``, those that hold;
            for ``enables``, those that fail).
        failed: how many comparisons would have to turn out otherwise, at the fewest.
        changeable: whether some such change touches only facts a person can change.
        note: more words (a milestone's deadline).
    """

    kind: Literal["rule", "milestone", "source"]
    id: str
    role: Literal["blocks", "enables"]
    effect: str
    reason: str
    cite: str
    conditions: tuple[Clause, ...] = ()
    failed: int = 0
    changeable: bool = True
    note: str = ""

    def lines(self) -> list[str]:
        cite = f" [{self.cite}]" if self.cite else ""
        if self.role == "blocks":
            head = f"  - {self.id}{cite} gives `{self.effect}`: {self.reason}"
        else:
            count = ("1 condition fails" if self.failed == 1
                     else f"{self.failed} conditions fail")
            head = f"  - {self.id}{cite} would give `{self.effect}`, but {count}: {self.reason}"
        out = [head]
        if self.note:
            out.append(f"      {self.note}")
        out += [f"      {c.line()}" for c in self.conditions]
        if not self.changeable:
            out.append("      (no fact a person can change decides this)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "role": self.role, "effect": self.effect,
                "reason": self.reason, "cite": self.cite,
                "conditions": [c.to_dict() for c in self.conditions], "failed": self.failed,
                "changeable": self.changeable, "note": self.note}


@attrs.frozen(slots=True)
class Change:
    """One edit of the input in JSON Patch form (RFC 6902: ``add``, ``replace``, ``remove``;
    ``path`` is a JSON Pointer into the input's mapping form)."""

    op: Literal["add", "replace", "remove"]
    path: str
    value: Any = None

    @property
    def key(self) -> str:
        return json.dumps([self.op, self.path, self.value], sort_keys=True, default=str)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "path": self.path}
        if self.op != "remove":
            out["value"] = _json(self.value)
        return out


@attrs.frozen(slots=True)
class Suggestion:
    """A change to the input that gives a better outcome, checked by evaluating it.

    Attributes:
        text: what to do, in words.
        changes: the edits of the input (JSON Patch), in order.
        outcome: the outcome of the changed input (verified).
        hits: the rules that decide the changed input.
        levers: the kinds of change used (``grant``, ``assessment``, ``amount`` …).
    """

    text: str
    changes: tuple[Change, ...]
    outcome: str
    hits: tuple[str, ...] = ()
    levers: tuple[str, ...] = ()

    def lines(self, number: int) -> list[str]:
        out = [f"  {number}. {self.text} → {self.outcome}"]
        out += [f"       {c.op} {c.path}" + ("" if c.op == "remove" else
                                           f": {json.dumps(_json(c.value), ensure_ascii=False)}")
                for c in self.changes]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "changes": [c.to_dict() for c in self.changes],
                "outcome": self.outcome, "hits": list(self.hits), "levers": list(self.levers)}


@attrs.frozen(slots=True, kw_only=True)
class Explanation:
    """Why a decision came out as it did, why not better, and what would change it.

    Attributes:
        domain: the domain's name.
        decision: the decision explained (taken again, on the same engine and input).
        input: the input in mapping form, with its ``as_of`` (changes apply to this).
        target: the better outcome asked about (``None`` when the outcome is the best).
        rules: every rule of the rule sets run, its condition evaluated clause by clause.
        why_not: the obstacles to the target, nearest first.
        suggestions: verified changes that give a better outcome, best and smallest first.
        notes: more words (what cannot be changed, and why).
    """

    domain: str
    decision: Decision
    input: Mapping[str, Any]
    target: str | None
    rules: tuple[RuleTrace, ...] = ()
    why_not: tuple[Obstacle, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        return self.decision.outcome

    def text(self, *, detail: bool = False) -> str:
        """The explanation in words; ``detail`` adds every rule's evaluated condition."""
        lines = [self.decision.explain()]
        if self.target is not None:
            lines.append(f"why not {self.target}:")
            lines += [line for o in self.why_not for line in o.lines()] or [
                "  (no rule stands in the way)"]
            lines.append("what would change it:")
            lines += [line for i, s in enumerate(self.suggestions, 1) for line in s.lines(i)]
            if not self.suggestions:
                lines.append("  no change to facts a person can change gives a better outcome")
        lines += [f"note: {n}" for n in self.notes]
        if detail:
            lines.append("rules evaluated (✓ held, ✗ did not):")
            lines += [line for r in self.rules for line in r.lines()]
        return "\n".join(lines)

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        """JSON-ready form; ``detail`` adds the clause traces of every rule."""
        out: dict[str, Any] = {
            "domain": self.domain, "outcome": self.outcome, "target": self.target,
            "decision": self.decision.to_dict(), "input": _json(self.input),
            "why_not": [o.to_dict() for o in self.why_not],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "notes": list(self.notes)}
        if detail:
            out["rules"] = [r.to_dict() for r in self.rules]
        return out
