"""The suitability methods of ``PolicyEngine`` (typed: each returns its decision class)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from finpolicy.domains.suitability.evaluate import (
    _SETTLED,
    _decision,
    check_suitability,
    suitable_products,
)
from finpolicy.domains.suitability.models import (
    Customer,
    Product,
    SaleContext,
    SuitabilityDecision,
)
from finpolicy.runtime import PINNED, EngineAPI

__all__ = ["SuitabilityAPI"]

CustomerInput = Customer | Mapping[str, Any]
ProductInput = Product | Mapping[str, Any]


class SuitabilityAPI(EngineAPI):
    """Does a product suit a customer, under the suitability rule in force on a date?"""

    __slots__ = ()

    def check_suitability(self, customer: CustomerInput, product: ProductInput, /, *,
                          amount: float | int | Decimal | None = None,
                          as_of: dt.date | dt.datetime | str | None = None,
                          policy: str | None = None,
                          sale: SaleContext | Mapping[str, Any] | None = None
                          ) -> SuitabilityDecision:
        """Decide whether ``product`` suits ``customer`` on ``as_of`` (today by default).

        ``amount`` is the sale's amount (never negative); ``sale`` says how the sale came
        about (staff promotion, first purchase); ``policy`` picks a policy id when the bundle
        has several suitability policies. Raises ``InputError`` naming the field (an unknown
        level, a birth or assessment date after ``as_of`` …) and ``NotInForceError`` when no
        suitability policy is in force on ``as_of``.
        """
        hot = self._hot  # nothing to record or watch: straight to the domain (the hot path)
        if (hot is not None and amount is None and policy is None and sale is None
                and PINNED.get() is None):
            # a pair of models decided before on the same date: what ``_plain_args`` kept
            if type(as_of) is dt.date and type(customer) is Customer \
                    and type(product) is Product:
                found = hot.state(_SETTLED).get((id(customer), id(product), as_of))
                if found is not None and found[0] is customer and found[1] is product:
                    return _decision(*found[2])  # type: ignore[no-any-return]
            return check_suitability(hot, customer, product, as_of=as_of)
        runtime = self._direct()
        if runtime is not None:  # nothing to record
            return check_suitability(runtime, customer, product, amount=amount, as_of=as_of,
                                     policy=policy, sale=sale)
        return self._invoke(check_suitability, customer, product, amount=amount, as_of=as_of,
                            policy=policy, sale=sale)

    def suitable_products(self, customer: CustomerInput, products: Iterable[ProductInput], /,
                          *, as_of: dt.date | dt.datetime | str | None = None,
                          policy: str | None = None,
                          sale: SaleContext | Mapping[str, Any] | None = None
                          ) -> list[SuitabilityDecision]:
        """Every product with its decision: suitable first, then conditional, then
        unsuitable (in the given order within each outcome); ``sale`` applies to each."""
        return self._invoke(suitable_products, customer, products, as_of=as_of, policy=policy,
                            sale=sale)
