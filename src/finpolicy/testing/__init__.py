"""finpolicy testing: policy test cases with rule coverage, change impact between bundles.

``run_cases(bundle)`` runs the YAML cases in a pack's ``tests/`` folder on both engines and
``coverage(bundle, decisions)`` says which rules they exercised; ``diff(old, new)`` reports
every decision that changes between two bundles. Importing this package does not import
hypothesis.
"""

from __future__ import annotations

# Imported eagerly on purpose: the function ``diff`` must shadow the submodule of that name.
from finpolicy.testing.cases import (
    CaseReport,
    CaseResult,
    Coverage,
    PolicyCase,
    PolicyCoverage,
    coverage,
    load_cases,
    run_cases,
)
from finpolicy.testing.diff import (
    Change,
    ChangeGroup,
    DiffReport,
    PolicyChange,
    Sample,
    Verdict,
    diff,
)

__all__ = [
    "CaseReport",
    "CaseResult",
    "Change",
    "ChangeGroup",
    "Coverage",
    "DiffReport",
    "PolicyCase",
    "PolicyChange",
    "PolicyCoverage",
    "Sample",
    "Verdict",
    "coverage",
    "diff",
    "load_cases",
    "run_cases",
]
