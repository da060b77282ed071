"""The served operations, found by iterating the registered domains (never by name), and the
JSON form of what they return."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import typing
from collections.abc import Mapping
from typing import Any

import attrs
from pydantic import BaseModel, Field, create_model

from finpolicy.documents.bundle import Bundle
from finpolicy.domains.base import Call
from finpolicy.domains.registry import domains

__all__ = ["MAX_BATCH", "Endpoint", "bundle_ref", "endpoints", "outcomes", "plain"]

MAX_BATCH = 1000
"""Calls in one batch request at most."""


@attrs.frozen(slots=True)
class Endpoint:
    """One served operation: ``POST /v1/<domain>/<method>`` (and ``.../batch``)."""

    domain: str
    method: str
    model: type[Call]
    batch: type[BaseModel]
    summary: str
    returns: Any = Any
    """What the operation's function returns (its annotation; ``Any`` when unknown)."""

    @property
    def path(self) -> str:
        return f"/v1/{self.domain}/{self.method}"


def _batch_model(model: type[Call]) -> type[BaseModel]:
    return create_model(f"{model.__name__}Batch", __base__=_BatchBase,
                        calls=(list[model], Field(min_length=1,  # type: ignore[valid-type]
                                                  max_length=MAX_BATCH)))


class _BatchBase(BaseModel):
    model_config = {"frozen": True, "extra": "forbid"}


def endpoints() -> list[Endpoint]:
    """Every operation of every registered domain that has a call model, in domain order."""
    found = []
    for domain in domains():
        for method in domain.operations:
            model = domain.calls.get(method)
            if model is None:
                continue
            summary = (model.__doc__ or method).strip().splitlines()[0]
            found.append(Endpoint(domain.name, method, model, _batch_model(model), summary,
                                  _returns(domain.operations[method])))
    return found


def _returns(function: Any) -> Any:
    try:  # a plug-in's annotation may name what cannot be imported: then nothing is said
        return typing.get_type_hints(function).get("return", Any)
    except Exception:
        return Any


def plain(value: Any) -> Any:
    """``value`` as JSON data: a result's own ``to_dict()`` where it has one."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, enum.Enum):
        return value.name.lower() if isinstance(value.value, int) else plain(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return str(value)


def outcomes(result: Any) -> list[str]:
    """The outcome words of a result (one per decision; ``done`` for other results)."""
    if isinstance(result, list | tuple):
        return [o for item in result for o in outcomes(item)]
    outcome = getattr(result, "outcome", None)
    return [outcome] if isinstance(outcome, str) else ["done"]


def bundle_ref(bundle: Bundle) -> dict[str, str]:
    """The bundle a response was decided on."""
    return {"name": bundle.name, "version": bundle.version, "digest": bundle.digest}
