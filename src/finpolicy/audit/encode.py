"""Decisions and inputs as JSON, fast: the bytes ``json.dumps(decision.to_dict())`` would
give, written by orjson with one small callback per attrs object."""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import orjson
import pydantic_core

from finpolicy.decisions import _plain

_OPTIONS = orjson.OPT_NON_STR_KEYS
# per attrs class: (field name, whether it may hold an enum and so takes the slow path)
_PLANS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _holds_enum(hint: Any) -> bool:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return True
    return any(_holds_enum(arg) for arg in typing.get_args(hint))


def _plan(cls: type) -> tuple[tuple[str, bool], ...]:
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):  # unresolvable annotations: take the exact path for all
        hints = {f.name: enum.Enum for f in attrs.fields(cls)}
    return tuple((f.name, _holds_enum(hints.get(f.name))) for f in attrs.fields(cls))


def _default(value: Any) -> Any:
    cls = type(value)
    plan = _PLANS.get(cls)
    if plan is None:
        if not attrs.has(cls):
            return _other(value)
        plan = _PLANS[cls] = _plan(cls)
    return {name: _plain(getattr(value, name)) if slow else getattr(value, name)
            for name, slow in plan}


def _other(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _plain(value)
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, dt.date | dt.time):  # subclasses orjson does not know
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to the decision log")


def decision_json(decision: Any) -> bytes:
    """``decision.to_dict()`` as JSON bytes."""
    return orjson.dumps(decision, default=_default, option=_OPTIONS)


def plain(data: Any) -> Any:
    """``data`` (input models, mappings, dates …) as JSON-ready Python values."""
    return pydantic_core.to_jsonable_python(data, fallback=_fallback)


def _fallback(value: Any) -> Any:
    if attrs.has(type(value)):
        return _plain(value)
    return _other(value)
