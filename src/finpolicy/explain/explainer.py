"""What a domain tells explanations: its outcomes, its rules' roles, and its levers.

A domain opts in by naming a module in ``Domain.explain`` that defines ``EXPLAINER``, an
instance of a subclass of ``Explainer``. The domain knows what finpolicy cannot guess:

- which of its engine methods can be explained, and the mapping form of their inputs;
- the order of its outcomes (the better first) and what each rule does to that order;
- which derived facts a person can change (a grant, an assessment, a product) and which
  they cannot (an age, a role they do not hold), and how a wanted fact value maps back to a
  change of the input (``moves``).

Everything else — tracing conditions, finding the nearest rules, combining moves, checking
each suggestion by evaluating it — is done by ``finpolicy.explain`` the same way for every
domain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, ParamSpec

import attrs

from finpolicy.decisions import Decision
from finpolicy.errors import InputError
from finpolicy.explain.model import Change, Obstacle
from finpolicy.explain.patch import pointer
from finpolicy.rules.evaluate import Target
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.explain.record import Analysis

__all__ = ["Explainer", "Move", "dated_moves", "set_value"]

Role = Literal["blocks", "enables"]
P = ParamSpec("P")


@attrs.frozen(slots=True)
class Move:
    """One change a person could make, as edits of the input.

    Attributes:
        text: what to do, in words (imperative: ``reduce the amount to 50,000.00``).
        changes: the edits (JSON Patch).
        lever: the kind of change (``grant``, ``role``, ``assessment``, ``product`` …).
        cost: orders moves of equal size (lower is preferred: easier, or less intrusive).
        slot: moves with the same slot are alternatives (one reassessment or another): a
            later one in a combination replaces an earlier one.
    """

    text: str
    changes: tuple[Change, ...]
    lever: str
    cost: int = 0
    slot: str = ""


def set_value(case: Mapping[str, Any], *parts: str, value: Any) -> Change:
    """``replace`` the member at ``parts`` when the input has it, ``add`` it otherwise."""
    node: Any = case
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, Mapping) else None
    exists = isinstance(node, Mapping) and parts[-1] in node
    return Change("replace" if exists else "add", pointer(*parts), value)


def dated_moves(make: Callable[P, list[Move]]) -> Callable[P, list[Move]]:
    """Decorate a function making moves that work out dates or times (a grant's end, the
    next allowed hour): it makes none when one falls outside years 1 to 9999, where Python's
    dates end (a move that cannot be dated is not suggested)."""

    @functools.wraps(make)
    def made(*args: P.args, **kwargs: P.kwargs) -> list[Move]:
        try:
            return make(*args, **kwargs)
        except OverflowError:
            return []

    return made


class Explainer:
    """Base of a domain's explainer; subclasses set the attributes and override the hooks.

    Attributes:
        domain: the domain's name.
        operations: engine methods it explains (``authorize``).
        outcomes: the domain's outcomes, the better first.
        immutable: the facts a person cannot change, in words, for the docs and notes.
    """

    domain: str = ""
    operations: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    immutable: str = ""

    # --- the input --------------------------------------------------------------------------

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        """The mapping form of a call of engine method ``method`` (JSON-ready, ``as_of``
        fixed so that every evaluation of it sees the same time)."""
        raise NotImplementedError

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        """The mapping form of ``data`` (what ``finpolicy eval`` reads) with ``as_of``."""
        raise NotImplementedError

    def decide(self, runtime: Runtime, case: Mapping[str, Any]) -> Decision:
        """Take the decision on ``case`` exactly as the engine method does."""
        raise NotImplementedError

    # --- outcomes and rules -------------------------------------------------------------------

    def rank(self, outcome: str) -> int:
        """Position of ``outcome`` (0 is the best)."""
        try:
            return self.outcomes.index(outcome)
        except ValueError:
            return len(self.outcomes)

    def target(self, decision: Decision) -> str | None:
        """The better outcome to explain the absence of (``None``: nothing is better)."""
        best = self.outcomes[0] if self.outcomes else None
        return None if best is None or decision.outcome == best else best

    def role(self, rule: Rule, target: str) -> Role | None:
        """What ``rule`` does to ``target``: ``blocks`` it when it holds, ``enables`` it (the
        target needs one enabling rule to hold), or nothing."""
        return None

    def effect(self, rule: Rule) -> str:
        """The outcome word ``rule`` gives (shown in why-not)."""
        return ", ".join(str(v) for v in rule.effect.values()) or "parameters"

    def needs_enabler(self, target: str) -> bool:
        """Whether ``target`` needs some ``enables`` rule to hold."""
        return False

    # --- levers -------------------------------------------------------------------------------

    def changeable(self, analysis: Analysis, path: tuple[str, ...]) -> bool:
        """Whether a person can change the fact at ``path`` (for this input)."""
        return False

    def moves(self, analysis: Analysis, target: Target) -> list[Move]:
        """Changes of the input that would give the fact ``target`` asks for."""
        return []

    def obstacles(self, analysis: Analysis) -> list[Obstacle] | None:
        """Domain-specific why-not (``None``: the rule-based one)."""
        return None

    def plans(self, analysis: Analysis) -> list[list[list[Move]]] | None:
        """Domain-specific plans (``None``: derived from the rules). A plan lists needs, each
        need the moves that would meet it; one move per need is tried together."""
        return None

    def notes(self, analysis: Analysis) -> list[str]:
        """More words for the explanation."""
        return []


def bad_operation(explainer: Explainer, method: str) -> InputError:
    """The error for a method the explainer cannot explain."""
    return InputError.one("method", f"cannot explain `{method}`; the {explainer.domain} "
                                    f"domain explains {', '.join(explainer.operations)}",
                          "unknown_option", method)
