"""Decisions and inputs as JSON, fast: the bytes ``json.dumps(decision.to_dict())`` would
give, written by orjson with one small callback per attrs object."""

from __future__ import annotations

import datetime as dt
import enum
import json
import numbers
import operator
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import orjson
import pydantic_core

from finpolicy.decisions import _plain

_OPTIONS = orjson.OPT_NON_STR_KEYS
# per attrs class: its field names, a getter of all of them (one C call), and the names of
# the fields that may hold an enum (written as ``to_dict`` writes them)
_PLANS: dict[type, tuple[tuple[str, ...], Any, tuple[str, ...]]] = {}
# classes whose fields are all text, numbers or flags: their JSON is kept by value (a rule hit
# or a policy reference recurs in decision after decision)
_SIMPLE: dict[type, bool] = {}
_FRAGMENTS: dict[Any, orjson.Fragment] = {}
_MAX_FRAGMENTS = 4096
_SIMPLE_TYPES = (str, int, float, bool, type(None))


def _holds_enum(hint: Any) -> bool:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return True
    return any(_holds_enum(arg) for arg in typing.get_args(hint))


def _plan(cls: type) -> tuple[tuple[str, ...], Any, tuple[str, ...]]:
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):  # unresolvable annotations: take the exact path for all
        hints = {f.name: enum.Enum for f in attrs.fields(cls)}
    names = tuple(f.name for f in attrs.fields(cls))
    getter = operator.attrgetter(*names) if len(names) > 1 else \
        (lambda value: (getattr(value, names[0]),))
    return names, getter, tuple(n for n in names if _holds_enum(hints.get(n)))


def _simple(cls: type) -> bool:
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):
        return False
    return all(h in _SIMPLE_TYPES or (typing.get_origin(h) in (typing.Union, types.UnionType)
                                      and all(a in _SIMPLE_TYPES for a in typing.get_args(h)))
               for h in (hints.get(f.name) for f in attrs.fields(cls)))


def _default(value: Any) -> Any:
    cls = type(value)
    plan = _PLANS.get(cls)
    if plan is None:
        if not attrs.has(cls):
            return _other(value)
        plan = _PLANS[cls] = _plan(cls)
        _SIMPLE[cls] = _simple(cls)
    names, getter, slow = plan
    if _SIMPLE[cls]:
        found = _FRAGMENTS.get(value)
        if found is None:
            found = orjson.Fragment(orjson.dumps(dict(zip(names, getter(value), strict=True))))
            if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
                _FRAGMENTS.clear()
            _FRAGMENTS[value] = found
        return found
    out = dict(zip(names, getter(value), strict=True))
    for name in slow:
        out[name] = _plain(out[name])
    return out


def _other(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _plain(value)
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, dt.date | dt.time):  # subclasses orjson does not know
        return value.isoformat()
    if isinstance(value, numbers.Integral):  # numpy's, as an amount may be given
        return int(value)
    if isinstance(value, numbers.Real):  # (the float the decision used)
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to the decision log")


def decision_json(decision: Any) -> bytes:
    """``decision.to_dict()`` as JSON bytes."""
    return orjson.dumps(decision, default=_default, option=_OPTIONS)


def exact_loads(data: bytes) -> Any:
    """``data`` (JSON) as Python values, every integer exactly as written (orjson reads an
    integer beyond 64 bits as a float, and fails past 1e308; pydantic-core's reader keeps
    it)."""
    return pydantic_core.from_json(data)


def exact_dumps(data: Any) -> bytes:
    """``data`` as compact JSON, integers beyond 64 bits included (orjson refuses them).

    Raises:
        TypeError: ``data`` holds something JSON has no form for.
    """
    try:
        return orjson.dumps(data)
    except TypeError as exc:
        if "64-bit" not in str(exc):  # ("Integer exceeds 64-bit range"); else no JSON
            raise
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def plain(data: Any) -> Any:
    """``data`` (input models, mappings, dates …) as JSON-ready Python values."""
    return pydantic_core.to_jsonable_python(data, fallback=_fallback)


def to_json(data: Any) -> bytes:
    """``data`` (input models, mappings, dates …) as compact JSON bytes."""
    return pydantic_core.to_json(data, fallback=_fallback)


def _fallback(value: Any) -> Any:
    if attrs.has(type(value)):
        return _plain(value)
    return _other(value)
