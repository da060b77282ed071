"""A reference evaluator of the condition language, with traces, for explanations.

The engines are built for speed (generated code, durable_rules); this module is built to be
read: ``holds(condition, fact)`` evaluates a condition with exactly the semantics written in
``rules.conditions`` (a property test checks it against the compiled engine), and
``trace(condition, fact)`` keeps every node's result and the values every leaf saw.

On a trace, ``ways(trace, want, changeable)`` answers "which leaves would have to turn out
otherwise for this condition to be ``want``": every smallest set of leaf flips, using only
leaves ``changeable`` accepts; ``targets(need)`` turns one flip into what the fact's value
would have to be (``sale.amount_share le 0.5``), which a domain maps back to its input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeAlias

import attrs

from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.patterns import compile_pattern

__all__ = ["MISSING", "GroupTrace", "LeafTrace", "Need", "Target", "Trace", "holds", "leaves",
           "lookup", "meets", "targets", "trace", "ways"]


class _Missing:
    """The value of a path that is absent or ``None`` (rendered "not given")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_TEXT, _NUMBER, _BOOLEAN, _LIST, _OTHER, _ABSENT = "text", "number", "boolean", "list", "o", "-"
_SCALARS = (_TEXT, _NUMBER, _BOOLEAN)


def _kind(value: Any) -> str:
    if value is MISSING or value is None:
        return _ABSENT
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, int):
        return _NUMBER
    if isinstance(value, float):
        return _NUMBER if math.isfinite(value) else _OTHER
    if isinstance(value, list | tuple):
        return _LIST
    return _OTHER


def lookup(fact: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path``, or ``MISSING`` when a step is absent or the value is ``None``."""
    value: Any = fact
    for key in path:
        if not isinstance(value, Mapping):
            return MISSING
        value = value.get(key)
        if value is None:
            return MISSING
    return value


def _equal(a: Any, b: Any) -> bool:
    kind = _kind(a)
    return kind in _SCALARS and kind == _kind(b) and a == b


def _ordered(op: str, a: Any, b: Any) -> bool:
    if _kind(a) != _NUMBER or _kind(b) != _NUMBER:
        return False
    return bool({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op])


def _compare(op: str, value: Any, operand: Any) -> bool:
    present = _kind(value) != _ABSENT
    if op == "eq":
        return _equal(value, operand)
    if op == "ne":
        return present and (_kind(operand) != _ABSENT) and not _equal(value, operand)
    if op == "in":
        return any(_equal(value, item) for item in operand)
    if op == "not_in":
        return present and not any(_equal(value, item) for item in operand)
    if op == "matches":
        return _kind(value) == _TEXT and compile_pattern(operand).fullmatch(value)
    if op == "contains":
        return _kind(value) == _LIST and any(_equal(item, operand) for item in value)
    return _ordered(op, value, operand)


def holds(condition: Condition, fact: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for ``fact`` (the semantics of ``rules.conditions``)."""
    return trace(condition, fact).held


@attrs.frozen(slots=True, eq=False)
class LeafTrace:
    """A comparison or ``exists`` test and what it saw.

    Attributes:
        condition: the leaf.
        held: whether it held.
        value: the value at its path (``MISSING`` when not given).
        other: for a field-to-field comparison, the other field's value.
    """

    condition: Compare | Exists
    held: bool
    value: Any
    other: Any = MISSING


@attrs.frozen(slots=True, eq=False)
class GroupTrace:
    """``all``, ``any`` or ``not`` with the traces of its items."""

    condition: All | AnyOf | Not
    held: bool
    items: tuple[Trace, ...]


Trace: TypeAlias = LeafTrace | GroupTrace


def trace(condition: Condition, fact: Mapping[str, Any]) -> Trace:
    """Evaluate every node of ``condition`` (no short cut, so every leaf has its value)."""
    match condition:
        case All(items):
            done = tuple(trace(i, fact) for i in items)
            return GroupTrace(condition, all(t.held for t in done), done)
        case AnyOf(items):
            done = tuple(trace(i, fact) for i in items)
            return GroupTrace(condition, any(t.held for t in done), done)
        case Not(item):
            inner = trace(item, fact)
            return GroupTrace(condition, not inner.held, (inner,))
        case Exists(path, present):
            value = lookup(fact, path)
            return LeafTrace(condition, (value is not MISSING) == present, value)
        case Compare(op, path, FieldRef(other)):
            value, second = lookup(fact, path), lookup(fact, other)
            if op in ("eq", "ne"):
                held = _compare(op, value, second)
            else:
                held = _ordered(op, value, second)
            return LeafTrace(condition, held, value, second)
        case Compare(op, path, operand):
            value = lookup(fact, path)
            return LeafTrace(condition, _compare(op, value, operand), value)
    raise TypeError(f"not a condition: {condition!r}")


def leaves(node: Trace) -> Iterator[LeafTrace]:
    """Every leaf of a trace, in condition order."""
    if isinstance(node, LeafTrace):
        yield node
        return
    for item in node.items:
        yield from leaves(item)


# --- what would have to change --------------------------------------------------------------

@attrs.frozen(slots=True)
class Need:
    """One leaf that would have to evaluate to ``want`` (the opposite of what it did)."""

    leaf: LeafTrace
    want: bool


Way = tuple[Need, ...]
_LIMIT = 16


def _merge(left: list[Way], right: list[Way], limit: int) -> list[Way]:
    out: dict[frozenset[int], Way] = {}
    for a in left:
        for b in right:
            way = a + tuple(n for n in b if all(n.leaf is not m.leaf for m in a))
            out.setdefault(frozenset(id(n.leaf) for n in way), way)
    return sorted(out.values(), key=len)[:limit]


def _union(options: list[list[Way]], limit: int) -> list[Way]:
    out: dict[frozenset[int], Way] = {}
    for ways_ in options:
        for way in ways_:
            out.setdefault(frozenset(id(n.leaf) for n in way), way)
    return sorted(out.values(), key=len)[:limit]


def ways(node: Trace, want: bool, changeable: Callable[[LeafTrace], bool], *,
         limit: int = _LIMIT) -> list[Way]:
    """The smallest sets of leaf flips that make ``node`` evaluate to ``want``.

    ``[()]`` when it already does; ``[]`` when no set of ``changeable`` leaves can do it.
    Sets are sorted by size; at most ``limit`` are kept at each node.
    """
    if node.held == want:
        return [()]
    if isinstance(node, LeafTrace):
        return [(Need(node, want),)] if changeable(node) else []
    condition = node.condition
    if isinstance(condition, Not):
        return ways(node.items[0], not want, changeable, limit=limit)
    every = isinstance(condition, All) == want  # all items must reach `want`
    if every:
        combined: list[Way] = [()]
        for item in node.items:
            options = ways(item, want, changeable, limit=limit)
            if not options:
                return []
            combined = _merge(combined, options, limit)
        return combined
    return _union([ways(item, want, changeable, limit=limit) for item in node.items], limit)


@attrs.frozen(slots=True)
class Target:
    """What the value at ``path`` would have to be: ``op`` is a comparison operator, or
    ``given`` / ``absent`` / ``excludes`` / ``not_matches``; ``value`` is its operand."""

    path: tuple[str, ...]
    op: str
    value: Any = None

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "le": "gt", "gt": "le", "ge": "lt",
           "in": "not_in", "not_in": "in", "contains": "excludes", "matches": "not_matches"}
_MIRROR = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def targets(need: Need) -> list[Target]:
    """The values that would satisfy ``need``, one ``Target`` per field the leaf reads.

    A field-to-field comparison gives a target on each side (``product.rank le 3`` and
    ``customer.rank ge 4`` for ``product.rank gt customer.rank`` wanted false).
    """
    condition = need.leaf.condition
    if isinstance(condition, Exists):
        given = condition.present == need.want
        return [Target(condition.path, "given" if given else "absent")]
    op = condition.op if need.want else _NEGATE[condition.op]
    if isinstance(condition.value, FieldRef):
        out = []
        if need.leaf.other is not MISSING:
            out.append(Target(condition.path, op, need.leaf.other))
        if need.leaf.value is not MISSING:
            out.append(Target(condition.value.path, _MIRROR[op], need.leaf.value))
        return out
    return [Target(condition.path, op, condition.value)]


def meets(target: Target, value: Any) -> bool:
    """Whether ``value`` (a candidate value of the target's field) gives what ``target`` asks.

    Domains use it to pick values from a finite domain (levels, kinds, redemption terms).
    """
    op, operand = target.op, target.value
    present = _kind(value) != _ABSENT
    if op == "given":
        return present
    if op == "absent":
        return not present
    if op == "excludes":
        return not _compare("contains", value, operand)
    if op == "not_matches":
        return not _compare("matches", value, operand)
    return _compare(op, value, operand)
