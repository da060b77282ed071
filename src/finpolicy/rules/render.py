"""Render conditions in plain English, for documentation and explanations."""

from __future__ import annotations

from finpolicy.rules.conditions import All, Any, Compare, Condition, Exists, FieldRef, Not

_OPS = {
    "eq": "is", "ne": "is not", "lt": "is less than", "le": "is at most",
    "gt": "is greater than", "ge": "is at least", "in": "is one of", "not_in": "is none of",
    "matches": "matches the pattern", "contains": "includes",
}
_NEGATED = {
    "eq": "is not", "ne": "is", "lt": "is at least", "le": "is greater than",
    "gt": "is at most", "ge": "is less than", "in": "is none of", "not_in": "is one of",
}


def _value(value: object) -> str:
    if isinstance(value, FieldRef):
        return _subject(value.path)
    if isinstance(value, tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"“{value}”"
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_value(value: object) -> str:
    """A literal (or a list of them, or another field) in the words ``render`` uses."""
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]" if value else "an empty list"
    return _value(value)


def render_path(path: tuple[str, ...]) -> str:
    """A field path in words (``the age of the customer``)."""
    return _subject(path)


def render(condition: Condition, *, top: bool = True) -> str:
    """Describe ``condition`` in one English sentence fragment.

    >>> from finpolicy.rules.conditions import Compare
    >>> render(Compare("ge", ("customer", "age"), 65))
    'the age of the customer is at least 65'
    """
    match condition:
        case All(()):
            return "always"
        case Any(()):
            return "never"
        case All(items) | Any(items) if len(items) == 1:
            return render(items[0], top=top)
        case All(items):
            text = " and ".join(render(i, top=False) for i in items)
            return text if top else f"({text})"
        case Any(items):
            text = " or ".join(render(i, top=False) for i in items)
            return text if top else f"({text})"
        case Not(Compare(op, path, value)) if op in _NEGATED:
            return f"{_subject(path)} {_NEGATED[op]} {_value(value)}"
        case Not(Exists(path, present)):
            return render(Exists(path, not present))
        case Not(item):
            return f"not {render(item, top=False)}"
        case Exists(path, True):
            return f"{_subject(path)} is given"
        case Exists(path, False):
            return f"{_subject(path)} is not given"
        case Compare(op, path, value):
            return f"{_subject(path)} {_OPS[op]} {_value(value)}"
    raise TypeError(f"not a condition: {condition!r}")


def _subject(path: tuple[str, ...]) -> str:
    if len(path) == 1:
        return f"the {path[0].replace('_', ' ')}"
    owner, rest = path[0].replace("_", " "), path[1:]
    return f"the {' '.join(p.replace('_', ' ') for p in rest)} of the {owner}"
