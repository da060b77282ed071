"""finpolicy: policy-as-code for banks.

Load a bundle of versioned YAML policies, compile it once into a ``PolicyEngine``, then ask it
to classify data, authorize access, check suitability and track complaint SLAs::

    import finpolicy as fp
    engine = fp.PolicyEngine(fp.load_bundle())
"""

from __future__ import annotations

import importlib
from typing import Any

from finpolicy.decisions import Decision, Hit, PolicyRef
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle
from finpolicy.engine import PolicyEngine
from finpolicy.errors import (
    EvaluationError,
    FinpolicyError,
    InputError,
    NotInForceError,
    PolicyError,
)

__version__ = "0.1.0"

# Domain types load with their domain module, on first use.
_LAZY = {
    "DataField": "finpolicy.domains.classification",
    "DataLevel": "finpolicy.domains.classification",
    "Classification": "finpolicy.domains.classification",
    "RecordClassification": "finpolicy.domains.classification",
    "AccessRequest": "finpolicy.domains.access",
    "Subject": "finpolicy.domains.access",
    "Resource": "finpolicy.domains.access",
    "AccessGrant": "finpolicy.domains.access",
    "RoleAssignment": "finpolicy.domains.access",
    "AccessDecision": "finpolicy.domains.access",
    "AccessReview": "finpolicy.domains.access",
    "Finding": "finpolicy.domains.access",
    "UsageRecord": "finpolicy.domains.access",
    "Customer": "finpolicy.domains.suitability",
    "Product": "finpolicy.domains.suitability",
    "SuitabilityDecision": "finpolicy.domains.suitability",
    "SaleContext": "finpolicy.domains.suitability",
    "Period": "finpolicy.periods",
    "Complaint": "finpolicy.domains.complaints",
    "ComplaintEvent": "finpolicy.domains.complaints",
    "SlaReport": "finpolicy.domains.complaints",
}

__all__ = [
    "AccessDecision",
    "AccessGrant",
    "AccessRequest",
    "AccessReview",
    "Bundle",
    "Classification",
    "Complaint",
    "ComplaintEvent",
    "Customer",
    "DataField",
    "DataLevel",
    "Decision",
    "EvaluationError",
    "Finding",
    "FinpolicyError",
    "Hit",
    "InputError",
    "NotInForceError",
    "Period",
    "PolicyDocument",
    "PolicyEngine",
    "PolicyError",
    "PolicyRef",
    "Product",
    "RecordClassification",
    "Resource",
    "RoleAssignment",
    "SaleContext",
    "SlaReport",
    "Subject",
    "SuitabilityDecision",
    "UsageRecord",
    "__version__",
    "load_bundle",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'finpolicy' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
