"""Hypothesis strategies for every finpolicy input, drawn from a bundle's own vocabulary.

Each domain declares its strategies in its own folder (``Domain.strategies``); this module
exposes them all by name (``strategies.customers``, ``strategies.access_requests`` …) and holds
what they share. Each strategy takes a bundle (the shipped pack by default) and draws the
levels, kinds, roles, purposes and names its rules mention, with numbers and dates on both
sides of the boundaries the rules test, so generated inputs land where decisions change.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle
from finpolicy.errors import InputError
from finpolicy.testing.vocabulary import effective_dates

__all__ = ["bundle_or_default", "dates_in_force", "require"]


def bundle_or_default(bundle: Bundle | None) -> Bundle:
    """``bundle``, or the shipped default pack when ``None``."""
    if bundle is None:
        return load_bundle()
    if not isinstance(bundle, Bundle):
        raise InputError.one("bundle", "expected a Bundle from fp.load_bundle(), got "
                                       f"{type(bundle).__name__}", "bad_bundle")
    return bundle


def require(bundle: Bundle, kind: str) -> list[PolicyDocument[Any]]:
    """The documents of ``kind`` (``InputError`` when the bundle has none)."""
    docs = bundle.policies(kind)
    if not docs:
        raise InputError.one("bundle", f"bundle `{bundle.name}` has no {kind}", "bad_bundle")
    return list(docs)


def dates_in_force(bundle: Bundle, kind: str) -> st.SearchStrategy[dt.date]:
    """Dates around the effective windows of ``kind``'s versions (only days some version is
    in force)."""
    docs = require(bundle, kind)
    days = [d for d in effective_dates(bundle, kind)
            if any(x.metadata.in_force(d) for x in docs)]
    return st.sampled_from(days)


def _domain_strategies() -> dict[str, Any]:
    from finpolicy.domains.registry import domains

    found: dict[str, Any] = {}
    for domain in domains():
        module = domain.strategies_module()
        if module is not None:
            found.update({name: getattr(module, name) for name in module.STRATEGIES})
    return found


def __getattr__(name: str) -> Any:
    found = _domain_strategies().get(name)
    if found is None:
        raise AttributeError(f"module 'finpolicy.testing.strategies' has no attribute {name!r}")
    return found


def __dir__() -> list[str]:
    return sorted([*__all__, *_domain_strategies()])
