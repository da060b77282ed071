"""What the log keeps of each engine call, and how replay evaluates it again.

A call is logged in the form each domain's ``evaluate_input(engine, data, as_of=...)`` takes
(``finpolicy eval`` and ``finpolicy diff`` use the same form), with the decisions that form
returns, so replay and change impact judge a logged call exactly as they judge a written
example. ``evaluate`` is the one place that reaches the domains.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import orjson

from finpolicy.audit.errors import AuditError
from finpolicy.domains.base import Domain, LoggedCall
from finpolicy.domains.registry import domains

_TABLE: tuple[tuple[Domain, ...], dict[str, tuple[str, LoggedCall]]] | None = None
_ENVIRONMENTS: dict[tuple[str, str, str], orjson.Fragment] = {}


def logged(method: str) -> tuple[str, LoggedCall] | None:
    """The domain and the way of keeping calls of engine method ``method``; ``None`` when the
    log does not record it (each domain declares its own in ``Domain.logged``)."""
    global _TABLE
    found, table = domains(), None
    cached = _TABLE
    if cached is not None and cached[0] is found:
        table = cached[1]
    else:  # built once per set of registered domains
        table = {name: (d.name, how) for d in found for name, how in d.logged.items()}
        _TABLE = (found, table)
    return table.get(method)


# engine methods that decide a whole table at once: the log records decisions one call at a
# time, so on a logged engine these are refused rather than left out of the log unnoticed
_TABLES = frozenset({"evaluate_table", "iter_tables"})


def refuse_unlogged(method: str) -> bool:
    """``False`` for a method the log may leave out (it makes no decision).

    Raises:
        AuditError: ``method`` decides whole tables, which the log does not record.
    """
    if method in _TABLES:
        raise AuditError(
            f"`{method}` decides a whole table at once, and the decision log records decisions "
            "one call at a time: its decisions would not be logged. Decide tables with an "
            "engine that has no log (fp.PolicyEngine(bundle)) and keep the output table as "
            "the record, or call the row methods (check_suitability, authorize …) on a "
            "logged engine to log each decision")
    return False


def environment(bundle: Any, engine: str) -> orjson.Fragment:
    """An entry's ``env``: finpolicy's version, the engine, the bundle and the calendar data
    (as JSON, made once per bundle and engine)."""
    key = (bundle.digest, str(bundle.root), engine)  # a copy of a pack: the same digest
    found = _ENVIRONMENTS.get(key)
    if found is None:
        from finpolicy import __version__
        from finpolicy.calendars import calendar_data_version

        if len(_ENVIRONMENTS) >= 64:
            _ENVIRONMENTS.clear()
        from finpolicy.documents.git import source_of

        # absolute: replay looks there from wherever the auditor runs it; a pack loaded from
        # a git revision by its commit, not the temporary folder it was extracted to
        root = source_of(bundle.root) or os.path.abspath(bundle.root)
        found = _ENVIRONMENTS[key] = orjson.Fragment(orjson.dumps({
            "finpolicy": __version__, "engine": engine,
            "bundle": {"name": bundle.name, "version": bundle.version,
                       "digest": bundle.digest, "root": root},
            "calendar": calendar_data_version()}))
    return found


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
