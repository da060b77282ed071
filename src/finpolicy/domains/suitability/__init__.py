"""Suitability: does a product suit a customer, under the rule in force on a date?

A ``SuitabilityPolicy`` declares customer levels (C1–C5) and product levels (R1–R5) with ranks,
a few settings (which rating counts, how long an assessment is valid, which product kinds the
securities rule governs) and rules over facts derived here (see ``evaluate`` for the exact
conventions: ages, day counts, assessment frequency). Outcomes combine most-restrictive-wins
(``suitable`` < ``conditional`` < ``unsuitable``) and obligations are unioned.
"""

from __future__ import annotations

from finpolicy.domains.suitability.evaluate import (
    age_on,
    check_suitability,
    evaluate_input,
    evaluation_date,
    suitable_products,
)
from finpolicy.domains.suitability.models import (
    OUTCOMES,
    Customer,
    Product,
    SaleContext,
    SuitabilityDecision,
)
from finpolicy.domains.suitability.policy import FIELDS, KIND, RULESET, SuitabilityRules

__all__ = [
    "FIELDS",
    "KIND",
    "OUTCOMES",
    "RULESET",
    "Customer",
    "Product",
    "SaleContext",
    "SuitabilityDecision",
    "SuitabilityRules",
    "age_on",
    "check_suitability",
    "evaluate_input",
    "evaluation_date",
    "suitable_products",
]
