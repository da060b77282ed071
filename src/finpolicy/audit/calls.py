"""What the log keeps of each engine call, and how replay evaluates it again.

A call is logged in the form each domain's ``evaluate_input(engine, data, as_of=...)`` takes
(``finpolicy eval`` and ``finpolicy diff`` use the same form), with the decisions that form
returns, so replay and change impact judge a logged call exactly as they judge a written
example. ``evaluate`` is the one place that reaches the domains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from finpolicy.audit.errors import AuditError

# method -> (domain, data shape of evaluate_input, decisions as evaluate_input returns them)
Call = tuple[str, Callable[[Mapping[str, Any], Any], Any], Callable[[Any], list[Any]]]


def _one(result: Any) -> list[Any]:
    return [result]


def _many(result: Any) -> list[Any]:
    return list(result)


def _review(inputs: Mapping[str, Any], result: Any) -> Any:
    return {"review": {"grants": inputs["grants"], "assignments": inputs["assignments"],
                       "usage": inputs.get("usage"), "as_of": result.as_of}}


def _request(inputs: Mapping[str, Any], result: Any) -> Any:
    return inputs["request"]


CALLS: Mapping[str, Call] = {
    "classify": ("classification", lambda i, r: {"field": i["field"]}, _one),
    "classify_record": ("classification", lambda i, r: {"record": i["record"]},
                        lambda r: list(r.fields.values())),
    "authorize": ("access", _request, _one),
    "review_access": ("access", _review, lambda r: r.decisions()),
    "check_suitability": ("suitability", lambda i, r: {
        "customer": i["customer"], "product": i["product"], "amount": i.get("amount")}, _one),
    "suitable_products": ("suitability", lambda i, r: {
        "customer": i["customer"], "products": i["products"]}, _many),
    "complaint_sla": ("complaints", lambda i, r: {"complaint": i["complaint"]}, _one),
    "complaint_sla_batch": ("complaints", lambda i, r: {"complaints": i["complaints"]}, _many),
}
"""Every logged engine method."""


def as_of_of(inputs: Mapping[str, Any], decisions: list[Any], result: Any) -> Any:
    """The evaluation date or time the call used (defaults resolved: the decisions say it)."""
    if decisions:
        return decisions[0].as_of
    at = getattr(result, "as_of", None)
    if at is not None:
        return at
    for key in ("as_of", "now", "at"):
        if inputs.get(key) is not None:
            return inputs[key]
    return dt.datetime.now(dt.UTC)


def evaluate(domain: str, engine: Any, data: Any, as_of: Any) -> list[Any]:
    """The decisions of ``domain`` for ``data`` at ``as_of`` (the domain's ``evaluate_input``).
    """
    from finpolicy.domains.registry import domain as find
    from finpolicy.domains.registry import names

    if domain not in names():
        raise AuditError(f"the log names an unknown domain `{domain}`")
    return list(find(domain).evaluate_input(engine, data, as_of=as_of))


def parse_as_of(text: Any) -> dt.date | dt.datetime | None:
    """A logged ``as_of`` back as a date or an aware datetime."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise AuditError(f"a logged as_of must be ISO text, got {type(text).__name__}")
    try:
        return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    except ValueError:
        raise AuditError(f"a logged as_of is no ISO date or time: `{text}`") from None
