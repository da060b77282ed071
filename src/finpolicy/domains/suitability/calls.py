"""The JSON form of the suitability operations' calls (``finpolicy serve`` request bodies)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from finpolicy.domains.base import Call
from finpolicy.domains.suitability.models import Customer, Product, SaleContext
from finpolicy.inputs import DayOrMoment
from finpolicy.limits import MAX_LONG_ITEMS, MAX_TERM_LENGTH

__all__ = ["CALLS", "CheckSuitabilityCall", "SuitableProductsCall"]


class CheckSuitabilityCall(Call):
    """``check_suitability(customer, product, amount=..., as_of=..., policy=..., sale=...)``."""

    customer: Customer
    product: Product
    amount: Decimal | None = None
    as_of: DayOrMoment | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)
    sale: SaleContext | None = None


class SuitableProductsCall(Call):
    """``suitable_products(customer, products, as_of=..., policy=..., sale=...)``."""

    customer: Customer
    products: list[Product] = Field(max_length=MAX_LONG_ITEMS)
    as_of: DayOrMoment | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)
    sale: SaleContext | None = None


CALLS: dict[str, type[Call]] = {"check_suitability": CheckSuitabilityCall,
                                "suitable_products": SuitableProductsCall}
