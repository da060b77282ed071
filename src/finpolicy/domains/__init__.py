"""The four domains, each a slice across documents → rules → engines → decisions.

Each domain module registers its policy kind and provides
``evaluate_input(engine, data, *, as_of)`` for ``finpolicy eval`` and the demo.
"""

from __future__ import annotations

import importlib
from types import ModuleType

DOMAINS = ("classification", "access", "suitability", "complaints")


def domain_module(name: str) -> ModuleType:
    """The module of a domain by name; ``KeyError`` is never raised, ``ValueError`` instead."""
    if name not in DOMAINS:
        raise ValueError(f"unknown domain `{name}`, expected one of {', '.join(DOMAINS)}")
    return importlib.import_module(f"finpolicy.domains.{name}")
