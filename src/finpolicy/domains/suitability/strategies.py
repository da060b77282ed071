"""Hypothesis strategies for suitability inputs, drawn from a bundle's suitability policies.

Customers with ages near 18 and 65 and the ages the rules and invariants name, assessments near
the validity limit, products of every level and of the kinds the rules name, amounts of every
size.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle
from finpolicy.domains.suitability.models import Customer, Product, SaleContext
from finpolicy.errors import InputError

# the module, not its names: hypothesis' entry point imports this one while
# finpolicy.testing.strategies may be half-imported (it imports hypothesis)
from finpolicy.testing import strategies as shared
from finpolicy.testing.vocabulary import effective_dates, literals, numbers

__all__ = ["STRATEGIES", "TYPE_STRATEGIES", "customers", "evaluation_dates", "products",
           "suitability_cases"]

_SUITABILITY = "SuitabilityPolicy"


def evaluation_dates(bundle: Bundle | None = None, *, kind: str = _SUITABILITY,
                     ) -> st.SearchStrategy[dt.date]:
    """Dates around the effective windows of ``kind``'s versions (only days some version is
    in force)."""
    return shared.dates_in_force(shared.bundle_or_default(bundle), kind)


def _in_force(bundle: Bundle, on: dt.date | None) -> list[Any]:
    """The suitability documents in force on ``on`` (every one when ``on`` is ``None`` or
    none is in force then)."""
    docs = list(bundle.policies(_SUITABILITY))
    return [d for d in docs if on is None or d.metadata.in_force(on)] or docs


def _levels(bundle: Bundle, attr: str, on: dt.date | None = None) -> list[str]:
    """The levels of the versions in force on ``on``: a level a later version adds is unknown
    to the one before (drawn on its days, it would make every check an error)."""
    seen: dict[str, None] = {}
    for doc in _in_force(bundle, on):
        for level in getattr(doc.spec, attr):
            seen[level.level] = None
    return list(seen)


_AGES = (40, 17, 18, 64, 65, 66, 80)
"""Ages drawn for every pack: near the age of majority and of retirement."""


def _ages(bundle: Bundle) -> list[int]:
    """``_AGES`` and, after them, the other ages the rules and invariants compare
    ``customer.age`` with and their neighbours (7, 8 and 9 for a rule or an invariant about
    children under 8)."""
    named = numbers(literals(bundle, _SUITABILITY), "customer.age")
    # ages are whole years (a boundary of 17.5 is met by 17 and 18), of living people
    whole = {f(a) for a in named if 0 <= a <= 120 for f in (math.floor, math.ceil)}
    return [*_AGES, *sorted(whole - set(_AGES))]


def _age_strategy(bundle: Bundle) -> st.SearchStrategy[int]:
    """The ages of ``_ages``: ``_AGES`` as often as all the others together, so that an age
    only a rule or an invariant names (11 and 12, in an invariant about them) is drawn at the
    default size too — at the end of one list, hypothesis drew it seldom."""
    ages = _ages(bundle)
    named = ages[len(_AGES):]
    return st.sampled_from(_AGES) | st.sampled_from(named) if named else st.sampled_from(ages)


def customers(bundle: Bundle | None = None, *, as_of: dt.date | None = None,
              ) -> st.SearchStrategy[Any]:
    """``fp.Customer`` values using the bundle's customer levels, with ages near 18, 65 and
    every age its rules and invariants name, assessments near the validity limit on ``as_of``
    (today when not given), sometimes filled in by staff or taken outside a branch, and changes
    in circumstances reported the day of the assessment or later.

    Args:
        bundle: the bundle whose suitability policies supply the vocabulary.
        as_of: the evaluation date the ages and assessment ages are measured from.
    """
    b = shared.bundle_or_default(bundle)
    shared.require(b, _SUITABILITY)
    if as_of is not None and not isinstance(as_of, dt.date):
        raise InputError.one("as_of", f"expected a date, got {as_of!r}", "bad_date")
    on = as_of if isinstance(as_of, dt.date) else dt.date.today()
    if isinstance(on, dt.datetime):
        on = on.date()
    levels = _levels(b, "customer_levels", on)
    ages = _age_strategy(b)
    assessment_age = st.sampled_from([0, 30, 364, 365, 366, 400])
    history_days = st.lists(st.sampled_from([0, 0, 1, 100, 200, 364, 366]), max_size=9)
    kinds = st.sampled_from(["individual", "institution"])
    risk_levels = st.sampled_from(levels) | st.none()
    assets = st.none() | st.sampled_from([0.0, 50_000.0, 1_000_000.0])
    horizons = st.none() | st.sampled_from([0, 6, 12, 36])
    needs = st.none() | st.sampled_from(["low", "medium", "high"])

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        age = draw(ages)
        birth = _years_before(on, age) - dt.timedelta(days=draw(st.sampled_from([0, 1, -1])))
        if birth > on:
            birth = on
        days = draw(assessment_age)
        assessed = on - dt.timedelta(days=days)
        history = draw(history_days)
        change = draw(st.none() | st.sampled_from([0, 1, days]))
        number = draw(st.integers(0, 999))
        known = number % 10 != 9  # one record in ten without a birth date (0 shrinks known)
        return Customer(
            id=f"c{number}",
            kind=draw(kinds),
            risk_level=draw(risk_levels),
            assessment_date=assessed,
            assessment_history=[assessed - dt.timedelta(days=d) for d in history],
            birth_date=birth if known else None,
            investor_type=draw(st.sampled_from(["ordinary", "professional"])),
            legal_capacity=draw(st.sampled_from(["full", "limited", "none"])),
            guardian_consent=draw(st.booleans()),
            investable_assets=draw(assets),
            investment_horizon_months=draw(horizons),
            liquidity_need=draw(needs),
            change_reported_at=None if change is None or change > days
            else assessed + dt.timedelta(days=change),
            assessment_filled_by=draw(st.sampled_from(["customer", "customer", "staff"])),
            assessment_in_branch=draw(st.none() | st.booleans()),
        )

    return build()


def products(bundle: Bundle | None = None, *, as_of: dt.date | None = None,
             ) -> st.SearchStrategy[Any]:
    """``fp.Product`` values using the bundle's product levels (those of the versions in force
    on ``as_of``, when given) and the kinds its rules name."""
    b = shared.bundle_or_default(bundle)
    docs = shared.require(b, _SUITABILITY)
    levels = _levels(b, "product_levels", as_of)
    declared = [v for doc in docs if (v := doc.vocabulary.for_field("product.kind"))]
    if declared:  # a declared vocabulary is every kind an input may name
        kinds = {t for v in declared for t in v.terms}
        # a kind the vocabulary of every version in force knows, so any evaluation date works
        kinds = {k for k in kinds if all(k in v.terms for v in declared)} or kinds
    else:
        kinds = {str(k) for k in literals(b, _SUITABILITY).get("product.kind", set())}
        for doc in docs:
            kinds.update(doc.spec.settings.securities_kinds)
        kinds.update({"wealth_management", "deposit"})
    return st.builds(
        Product,
        id=st.sampled_from(["p1", "p2", "p3"]),
        kind=st.sampled_from(sorted(kinds)),
        risk_level=st.sampled_from(levels),
        issuer_risk_level=st.none() | st.sampled_from(levels),
        term_months=st.none() | st.sampled_from([0, 6, 12, 36, 60]),
        principal_protected=st.booleans(),
        redemption=st.none() | st.sampled_from(["daily", "periodic", "closed"]),
        private=st.booleans(),
    )


def suitability_cases(bundle: Bundle | None = None, *, policy: Any = None,
                      ) -> st.SearchStrategy[dict[str, Any]]:
    """``{customer, product, amount, sale, as_of}`` drawn together, ``as_of`` near the windows
    (of one policy version when ``policy`` — a ``PolicyDocument`` — is given); ``sale`` is a
    ``SaleContext`` (staff promotion, first purchase) or ``None``."""
    b = shared.bundle_or_default(bundle)
    days = [d for d in effective_dates(b, _SUITABILITY)
            if policy is None or policy.metadata.in_force(d)]
    if policy is not None and not days:
        days = [policy.metadata.effective_from]
    by_day = {day: (customers(b, as_of=day), products(b, as_of=day), _levels_above(b, day))
              for day in days}
    amounts = st.none() | st.sampled_from([0.0, 25_000.0, 500_000.0, 2_000_000.0])
    # a sale is drawn before "no sale" so that staff promotion comes up as often
    sales = st.builds(SaleContext, promoted_by_staff=st.booleans(),
                      first_purchase=st.booleans()) | st.none()

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        on = draw(st.sampled_from(days))
        people, product, above = by_day[on]
        customer, offered = draw(people), draw(product)
        # independent draws seldom put a product above the customer (each leans to its first
        # level), and the rules that matter most are about exactly that
        higher = above.get(customer.risk_level or "", [])
        move_up = draw(st.booleans())
        if higher and move_up:
            offered = offered.model_copy(update={"risk_level": draw(st.sampled_from(higher))})
        return {"customer": customer, "product": offered,
                "amount": draw(amounts), "sale": draw(sales), "as_of": on}

    return build()


def _levels_above(bundle: Bundle, on: dt.date | None = None) -> dict[str, list[str]]:
    """Per customer level, the product levels ranked above it in some suitability policy (in
    force on ``on``, when given)."""
    out: dict[str, set[str]] = {}
    for doc in _in_force(bundle, on):
        for c in doc.spec.customer_levels:
            out.setdefault(c.level, set()).update(
                p.level for p in doc.spec.product_levels if p.rank > c.rank)
    return {level: sorted(products) for level, products in out.items() if products}


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)




STRATEGIES = ("customers", "evaluation_dates", "products", "suitability_cases")
TYPE_STRATEGIES = {Customer: customers, Product: products}
