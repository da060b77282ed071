"""The condition language: a closed set of nodes, immutable and hashable.

A condition is ``All``, ``Any``, ``Not``, ``Exists`` or ``Compare``. Closed on purpose: every
condition compiles to a Python closure, translates to durable_rules, renders in plain words and
can be explored by hypothesis strategies.

Semantics (both engines implement exactly these):

- a path is missing when any step is absent or the value is ``None``; every comparison with a
  missing operand is false (so ``ne`` and ``not_in`` need their field present);
- values have three scalar types: text, number (``bool`` excluded) and boolean; ``eq`` is false
  across types, ``lt le gt ge`` compare numbers only;
- ``contains`` tests whether a list holds an element equal to the value;
- ``matches`` is a full match of a text against a pattern (see ``patterns``).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

Scalar: TypeAlias = str | int | float | bool
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "matches", "contains"]

COMPARISONS: tuple[str, ...] = (
    "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "matches", "contains",
)
ORDERING: frozenset[str] = frozenset({"lt", "le", "gt", "ge"})
FIELD_REF_OPS: frozenset[str] = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})


@attrs.frozen(slots=True)
class FieldRef:
    """The other operand of a field-to-field comparison."""

    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@attrs.frozen(slots=True)
class Compare:
    """``<path> <op> <value>``, where value is a literal, a tuple of literals or a ``FieldRef``."""

    op: str
    path: tuple[str, ...]
    value: Scalar | tuple[Scalar, ...] | FieldRef

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@attrs.frozen(slots=True)
class Exists:
    """True when the path is present (``present=True``) or missing (``present=False``)."""

    path: tuple[str, ...]
    present: bool = True

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@attrs.frozen(slots=True)
class All:
    """Every item holds (an empty ``All`` always holds)."""

    items: tuple[Condition, ...]


@attrs.frozen(slots=True)
class Any:
    """At least one item holds (an empty ``Any`` never holds)."""

    items: tuple[Condition, ...]


@attrs.frozen(slots=True)
class Not:
    """The item does not hold."""

    item: Condition


Condition: TypeAlias = All | Any | Not | Exists | Compare

ALWAYS: Condition = All(())


def paths(condition: Condition) -> set[tuple[str, ...]]:
    """Every field path a condition reads."""
    match condition:
        case All(items) | Any(items):
            out: set[tuple[str, ...]] = set()
            for item in items:
                out |= paths(item)
            return out
        case Not(item):
            return paths(item)
        case Exists(path):
            return {path}
        case Compare(_, path, FieldRef(other)):
            return {path, other}
        case Compare(_, path, _):
            return {path}
    raise TypeError(f"not a condition: {condition!r}")


def scalar_type(value: object) -> str | None:
    """``"text"``, ``"number"``, ``"boolean"`` or ``None`` for anything else."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None
