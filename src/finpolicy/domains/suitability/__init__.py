"""Suitability: does a product suit a customer, under the rule in force on a date?

A ``SuitabilityPolicy`` declares customer levels (C1–C5) and product levels (R1–R5) with ranks,
a few settings (which rating counts, how long an assessment is valid, which product kinds the
securities rule governs) and rules over facts derived here (see ``evaluate`` for the exact
conventions: ages, day counts, assessment frequency). Outcomes combine most-restrictive-wins
(``suitable`` < ``conditional`` < ``unsuitable``) and obligations are unioned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from finpolicy.domains.base import Case, Domain, InvariantAdapter, LoggedCall
from finpolicy.domains.suitability import pictures
from finpolicy.domains.suitability.calls import CALLS
from finpolicy.domains.suitability.evaluate import (
    age_on,
    check_suitability,
    evaluate_input,
    suitable_products,
)
from finpolicy.domains.suitability.models import (
    OUTCOMES,
    Customer,
    Product,
    SaleContext,
    SuitabilityDecision,
)
from finpolicy.domains.suitability.policy import (
    FIELDS,
    KIND,
    POLICY_KIND,
    RULESET,
    SuitabilityRules,
)
from finpolicy.inputs import evaluation_date

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = [
    "DOMAIN",
    "FIELDS",
    "KIND",
    "OUTCOMES",
    "POLICY_KIND",
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


def _sale_cases(bundle: Bundle, doc: PolicyDocument[Any]) -> SearchStrategy[Case]:
    from finpolicy.domains.suitability.strategies import suitability_cases

    return suitability_cases(bundle, policy=doc)


def _vocabulary(customer: str, product: str) -> frozenset[str]:
    """What the log may show of customers and products as it is: the schema's literals and
    the policy's risk levels (both refused when unknown)."""
    return frozenset({*(f"{customer}.{f}" for f in (
        "kind", "risk_level", "investor_type", "legal_capacity", "liquidity_need",
        "assessment_filled_by")),
        *(f"{product}.{f}" for f in ("risk_level", "issuer_risk_level", "redemption"))})


DOMAIN = Domain(
    name="suitability",
    title="Suitability",
    package=__name__,
    order=30,
    kinds=(POLICY_KIND,),
    evaluate_input=evaluate_input,
    operations={"check_suitability": check_suitability,
                "suitable_products": suitable_products},
    calls=CALLS,
    logged={"check_suitability": LoggedCall(lambda i, r: {
                "customer": i["customer"], "product": i["product"], "amount": i.get("amount"),
                "sale": i.get("sale")}, vocabulary=_vocabulary("customer", "product")),
            "suitable_products": LoggedCall(lambda i, r: {
                "customer": i["customer"], "products": i["products"], "sale": i.get("sale")},
                list, _vocabulary("customer", "products"))},
    exports={"Customer": Customer, "Product": Product, "SaleContext": SaleContext,
             "SuitabilityDecision": SuitabilityDecision},
    input_models=(Customer, Product, SaleContext),
    grid=(("customer", "risk_level"), ("product", "risk_level")),
    invariants={KIND: InvariantAdapter(
        cases=_sale_cases,
        evaluate=lambda runtime, c: check_suitability(runtime, c["customer"], c["product"],
                                                      amount=c["amount"], as_of=c["as_of"],
                                                      sale=c.get("sale")),
        on=lambda c: c["as_of"])},
    pictures={KIND: pictures.PICTURES},
    changes={KIND: pictures.CHANGES},
    strategies="finpolicy.domains.suitability.strategies",
    cli="finpolicy.domains.suitability.cli",
    explain="finpolicy.domains.suitability.explain",
    error_codes={
        "policy": {
            "duplicate_level": "A customer or product level is listed twice.",
            "duplicate_rank": "Two levels share a rank.",
        },
        "input": {
            "bad_amount": "A sale's amount is not a finite number.",
            "negative_amount": "A sale's amount is negative.",
            "bad_products": "Products are not a list.",
            "after_evaluation_date": "A birth or assessment date is after the evaluation date.",
            "after_assessment_date": "An earlier assessment is dated after the current one.",
        },
    },
    outcomes=OUTCOMES,
)
