"""Functions a process pool's workers run (importable by a spawned interpreter): one engine
per worker, decisions and errors sent back to the parent by pickling."""

from __future__ import annotations

from typing import Any

import finpolicy as fp
from finpolicy.domains import domain_module

_ENGINE: list[fp.PolicyEngine] = []


def start(bundle: fp.Bundle) -> None:
    """The pool's initializer: each worker makes its engine once, of the parent's bundle (it
    arrives pickled, by content)."""
    _ENGINE.append(fp.PolicyEngine(bundle))


def digest() -> str:
    """The digest of the worker's bundle."""
    return _ENGINE[0].bundle.digest


def decide(domain: str, data: Any, as_of: Any) -> list[Any]:
    """The decisions on one example input, made in the worker."""
    return domain_module(domain).evaluate_input(_ENGINE[0], data, as_of=as_of)
