"""Inputs (``Customer``, ``Product``) and the result (``SuitabilityDecision``) of suitability."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Any, Literal, NoReturn, Self

import attrs
from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, PrivateAttr

from finpolicy.decisions import Decision
from finpolicy.inputs import NUMBER, InputModel
from finpolicy.limits import (
    MAX_AMOUNT,
    MAX_LONG_ITEMS,
    MAX_MONTHS,
    MAX_TERM_LENGTH,
    Reference,
)
from finpolicy.periods import Period

OUTCOMES: tuple[str, ...] = ("suitable", "conditional", "unsuitable")
"""Outcomes from the least to the most restrictive."""


def date_or_aware_datetime(value: Any) -> dt.date | dt.datetime:
    """A date, or a datetime with a time zone; ISO text is parsed (a naive datetime is an error)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (dt.datetime.fromisoformat(text) if "T" in text or " " in text
                     else dt.date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"expected an ISO date or datetime, got `{value}`") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: give a date, or a datetime with a time zone offset")
        return value
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"expected a date or a datetime with a time zone, got "
                     f"{type(value).__name__}")


def _serialise(value: dt.date | dt.datetime) -> str:
    return value.isoformat()


DateOrTime = Annotated[dt.date | dt.datetime,
                       PlainValidator(date_or_aware_datetime,
                                      json_schema_input_type=dt.date | dt.datetime),
                       PlainSerializer(_serialise, return_type=str, when_used="json")]


def _birth_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date without a time")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected an ISO date, got `{value}`") from None
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"expected a date, got {type(value).__name__}")


BirthDate = Annotated[dt.date, PlainValidator(_birth_date, json_schema_input_type=dt.date),
                      PlainSerializer(_serialise, return_type=str, when_used="json")]


class History(list[Any]):
    """A customer's earlier assessments, as ``Customer`` keeps them: a list that cannot be
    changed in place (the model is frozen, and the facts and digest derived from it are kept
    on it: an assessment appended in place was decided, and logged, as before it).
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a Customer is frozen: its assessment_history cannot be changed in "
                        "place; make a new one with customer.model_copy(update="
                        "{'assessment_history': [...]})")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return History, (list(self),)

    def __copy__(self) -> History:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> History:
        return History(copy.deepcopy(list(self), memo))


def _history(value: list[Any]) -> History:
    return History(value)


class _Cached(InputModel):
    """Caches the digest: instances are frozen, and decisions name it on every evaluation."""

    _digest: str | None = PrivateAttr(None)
    # facts derived under one policy (and date): reused when the same instance comes again
    _facts: Any = PrivateAttr(None)

    def __eq__(self, other: object) -> bool:
        # pydantic also compares private attributes; the caches must not count
        if not isinstance(other, InputModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    # the derived facts hold the compiled policy: a copy or a pickle leaves them behind (they
    # made an evaluated customer unpicklable: "cannot pickle 'mappingproxy' object")
    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        private = state.get("__pydantic_private__")
        if private and private.get("_facts") is not None:
            state = {**state, "__pydantic_private__": {**private, "_facts": None}}
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        data = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**copy.deepcopy(data, memo))

    def digest(self) -> str:
        # read the private slot directly: attribute access goes through pydantic's __getattr__
        private = self.__pydantic_private__
        found = private.get("_digest") if private else None
        if found is None:
            found = super().digest()
            self._digest = found
        return found


class Customer(_Cached):
    """A customer as the suitability rules see them.

    ``assessment_date`` is the date (or aware datetime) of the risk assessment that gave
    ``risk_level``; ``assessment_history`` lists the customer's *earlier* assessments (not the
    current one), used to count assessments per day and per 12 months.
    """

    id: Reference = Field(description="Customer id.")
    kind: Literal["individual", "institution"] = Field(default="individual",
                                                       description="Individual or institution.")
    risk_level: str | None = Field(default=None, max_length=MAX_TERM_LENGTH,
                                   description="Risk tolerance level, e.g. `C3`.")
    assessment_date: DateOrTime | None = Field(
        default=None, description="When `risk_level` was assessed.")
    assessment_history: Annotated[list[DateOrTime], AfterValidator(_history)] = Field(
        default_factory=History, max_length=MAX_LONG_ITEMS,
        description="Earlier assessments (dates or aware datetimes).")
    birth_date: BirthDate | None = Field(default=None, description="Birth date (individuals).")
    investor_type: Literal["ordinary", "professional"] = Field(
        default="ordinary", description="Ordinary or professional investor (as claimed).")
    legal_capacity: Literal["full", "limited", "none"] = Field(
        default="full", description="Civil legal capacity.")
    guardian_consent: bool = Field(default=False, description="A guardian has consented (limited "
                                                              "capacity).")
    # the bounds before NUMBER, so that the schema states them as minimum and maximum
    investable_assets: Annotated[float, Field(ge=0, le=MAX_AMOUNT), NUMBER] | None = Field(
        default=None, description="Investable assets, CNY.")
    investment_horizon_months: Annotated[int, Field(ge=0, le=MAX_MONTHS), NUMBER] | None = \
        Field(default=None, description="How long the customer can invest.")
    liquidity_need: Literal["low", "medium", "high"] | None = Field(
        default=None, description="How soon the customer may need the money.")
    change_reported_at: DateOrTime | None = Field(
        default=None, description="When the customer last reported a change in circumstances "
                                  "that may affect their risk tolerance.")
    assessment_filled_by: Literal["customer", "staff"] = Field(
        default="customer", description="Who filled in the risk assessment that gave "
                                        "`risk_level`.")
    assessment_in_branch: bool | None = Field(
        default=None, description="Whether that assessment was taken in person at a branch "
                                  "(`None`: not recorded).")


class SaleContext(_Cached):
    """How a sale came about, beyond the customer and the product (the amount is passed
    as ``amount``)."""

    promoted_by_staff: bool = Field(
        default=False, description="Staff recommended this product to the customer, rather "
                                   "than the customer asking for it.")
    first_purchase: bool = Field(
        default=False, description="The customer's first purchase of a wealth-management "
                                   "product from this bank.")


class Product(_Cached):
    """A product offered for sale; ``risk_level`` is the seller's rating."""

    id: Reference = Field(description="Product id.")
    kind: str = Field(min_length=1, max_length=MAX_TERM_LENGTH,
                      description="Product kind, e.g. `wealth_management`, `fund`.")
    risk_level: str = Field(max_length=MAX_TERM_LENGTH,
                            description="The seller's risk rating, e.g. `R3`.")
    issuer_risk_level: str | None = Field(default=None, max_length=MAX_TERM_LENGTH,
                                          description="The issuer's rating, when known.")
    term_months: Annotated[int, Field(ge=0, le=MAX_MONTHS), NUMBER] | None = Field(
        default=None, description="Term or lock-up in months.")
    principal_protected: bool = Field(default=False, description="Principal is guaranteed.")
    redemption: Literal["daily", "periodic", "closed"] | None = Field(
        default=None, description="When holders may redeem.")
    private: bool = Field(default=False, description="A privately offered product.")


_PAIR_DIGESTS: dict[tuple[str, str, float | None, str | None], str] = {}


def repeated_product(products: Sequence[Product]) -> tuple[int, int] | None:
    """``(first, again)``: the places of the first product id listed twice in an offer (one
    id listed at R3 and again at R5 gave each customer two decisions for it), else ``None``.
    """
    seen: dict[str, int] = {}
    for i, product in enumerate(products):
        first = seen.setdefault(product.id, i)
        if first != i:
            return first, i
    return None


def input_digest(customer: Customer, product: Product, amount: float | None,
                 sale: SaleContext | None = None) -> str:
    """sha256 over the inputs' digests and the amount (cached: the digests are); without a
    sale context it is the digest of the customer, product and amount alone."""
    context = None if sale is None else sale.digest()
    key = (customer.digest(), product.digest(), amount, context)
    found = _PAIR_DIGESTS.get(key)
    if found is None:
        text = f"{key[0]}|{key[1]}|{amount!r}" + ("" if context is None else f"|{context}")
        found = hashlib.sha256(text.encode()).hexdigest()
        if len(_PAIR_DIGESTS) > 65536:  # keep memory flat over long runs
            _PAIR_DIGESTS.clear()
        _PAIR_DIGESTS[key] = found
    return found


def _frozen_mapping(value: Mapping[str, Period]) -> Mapping[str, Period]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@attrs.frozen(slots=True, kw_only=True)
class SuitabilityDecision(Decision):
    """Whether a product suits a customer.

    Attributes:
        outcome: ``"suitable"``, ``"conditional"`` (only with the obligations met) or
            ``"unsuitable"``; the most restrictive of the matching rules.
        customer_id, product_id: the inputs' ids.
        customer_level: the customer's level (``None`` without an assessment).
        product_level: the effective product level (the higher of the issuer's and the
            seller's ratings where the policy says so).
        seller_level: the seller's own rating of the product (``Product.risk_level``).
        customer_age: full years on the evaluation date (``None`` without a birth date).
        assessment_age_days: days from the assessment to the evaluation date.
        assessment_expired: the assessment is past its validity (``None`` without one).
        assessments_that_day: assessments on the day of the current one, itself included.
        assessments_12m: assessments in the 12 months up to the current one, itself included.
        amount: the amount of the sale, when given.
        retention: obligation → how long the records it produces are kept (for the
            obligations of this decision that the policy gives a retention period).

    .. versionchanged:: 0.2.0
       ``retention``.
    """

    customer_id: str
    product_id: str
    customer_level: str | None = None
    product_level: str
    seller_level: str | None = None
    customer_age: int | None = None
    assessment_age_days: int | None = None
    assessment_expired: bool | None = None
    assessments_that_day: int = 0
    assessments_12m: int = 0
    amount: float | None = None
    retention: Mapping[str, Period] = attrs.field(factory=dict, converter=_frozen_mapping,
                                                  hash=False)  # (a mapping: not hashed)

    @property
    def suitable(self) -> bool:
        return self.outcome == "suitable"

    def _details(self) -> list[str]:
        rating = self.product_level
        if self.seller_level is not None and self.seller_level != self.product_level:
            rating += f", the higher rating; the seller's is {self.seller_level}"
        # an assessment on file without a level is no assessment the rules can use
        level = self.customer_level or ("not assessed" if self.assessment_age_days is None
                                        else "no risk level")
        lines = [f"customer {self.customer_id} ({level}), product {self.product_id} ({rating})"]
        facts = []
        if self.customer_age is not None:
            facts.append(f"age {self.customer_age}")
        if self.assessment_age_days is not None:
            # not "valid": one filled in by staff, or the third of its day, is not expired
            # and still supports no sale (the rules say why)
            state = "expired" if self.assessment_expired else "not expired"
            facts.append(f"assessed {self.assessment_age_days} days ago ({state}; "
                         f"{self.assessments_that_day} that day, "
                         f"{self.assessments_12m} in 12 months)")
        if self.amount is not None:
            facts.append(f"amount {self.amount:,.2f}")
        if facts:
            lines.append(", ".join(facts))
        for obligation, period in self.retention.items():
            lines.append(f"{obligation}: records kept {period.describe()}")
        return lines
