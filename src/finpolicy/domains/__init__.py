"""Domains: each a folder declaring one ``Domain`` object (``finpolicy.domains.base``),
registered under the ``finpolicy.domains`` entry point group (``finpolicy.domains.registry``).

``DOMAINS`` (the registered names) and ``domain_module(name)`` (a domain's package) remain for
code written before domains were plug-ins.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from finpolicy.domains.base import Domain
from finpolicy.domains.registry import domain, domains, names

__all__ = ["DOMAINS", "Domain", "domain", "domain_module", "domains", "names"]


def domain_module(name: str) -> ModuleType:
    """The package of the domain called ``name`` (``InputError`` for an unknown name)."""
    return importlib.import_module(domain(name).package)


def __getattr__(name: str) -> Any:
    if name == "DOMAINS":
        return names()
    raise AttributeError(f"module 'finpolicy.domains' has no attribute {name!r}")
