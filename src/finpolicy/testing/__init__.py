"""finpolicy testing: policy test cases with rule coverage, change impact between bundles.

``run_cases(bundle)`` runs the YAML cases in a pack's ``tests/`` folder on both engines and
``coverage(bundle, decisions)`` says which rules they exercised; ``diff(old, new)`` reports
every decision that changes between two bundles. Importing this package does not import
hypothesis.
"""

from __future__ import annotations

# Imported eagerly on purpose: the function ``diff`` must shadow the submodule of that name.
from finpolicy.testing.cases import CaseResult, PolicyCase, load_cases
from finpolicy.testing.diff import (
    Change,
    ChangeGroup,
    DiffReport,
    PolicyChange,
    Sample,
    Verdict,
    diff,
)
from finpolicy.testing.diff_report import DiffWarning
from finpolicy.testing.runner import CaseReport, Coverage, PolicyCoverage, coverage, run_cases

# Loaded on first use: they import hypothesis, which production code need not have.
_LAZY = {
    "InvariantResult": "finpolicy.testing.invariants",
    "InvariantViolation": "finpolicy.testing.invariants",
    "assert_invariants": "finpolicy.testing.invariants",
    "check_invariants": "finpolicy.testing.invariants",
    "strategies": "finpolicy.testing.strategies",
}


def __getattr__(name: str) -> object:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'finpolicy.testing' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    return loaded if module.endswith(name) else getattr(loaded, name)


__all__ = [
    "CaseReport",
    "CaseResult",
    "Change",
    "ChangeGroup",
    "Coverage",
    "DiffReport",
    "DiffWarning",
    "InvariantResult",
    "InvariantViolation",
    "PolicyCase",
    "PolicyChange",
    "PolicyCoverage",
    "Sample",
    "Verdict",
    "assert_invariants",
    "check_invariants",
    "coverage",
    "diff",
    "load_cases",
    "run_cases",
    "strategies",
]
