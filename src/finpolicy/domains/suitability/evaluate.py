"""Deriving the facts the rules read, and deciding (``check_suitability`` and friends).

Conventions the facts follow (the policy documents and tests rely on them):

- dates: an aware datetime counts on its calendar day in the policy's ``time_zone``;
- age: full years on the evaluation date; a 29 February birthday counts on 1 March in common
  years;
- validity: the assessment day is day 0; ``assessment.days_since`` is the number of calendar days
  to the evaluation date; the assessment is valid through day ``assessment_valid_days`` (365)
  and ``assessment.expired`` from the day after (366);
- frequency: ``assessment_history`` lists earlier assessments only; ``count_today`` counts the
  current assessment and the earlier ones on its day, ``count_12m`` the current one and those at
  most ``assessment_window_days`` (365) days before it;
- ``sale.amount_share`` is amount / investable assets (1e6 when the assets are 0 and the amount
  is not, so "more than everything" still compares as large).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, cast

from finpolicy.decisions import decision_maker
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.clock import in_force_beside
from finpolicy.domains.suitability.amounts import parse_amount, written_amount
from finpolicy.domains.suitability.models import (
    OUTCOMES,
    Customer,
    Product,
    SaleContext,
    SuitabilityDecision,
    _frozen_mapping,
    input_digest,
    repeated_product,
)
from finpolicy.domains.suitability.policy import POLICY_KIND, RULESET, SuitabilityRules
from finpolicy.errors import InputError, InputProblem, NotInForceError
from finpolicy.inputs import InputModel, evaluation_date, in_zone
from finpolicy.runtime import Runtime, StateKey

_SHARE_CAP = 1_000_000.0
_NO_RETENTION: Mapping[str, Any] = MappingProxyType({})  # shared: decisions are frozen
_ORDER = {name: i for i, name in enumerate(OUTCOMES)}
_problem = InputError.one
# ``_settled``'s and ``_plain_args``' entries (their keys differ in length, so never meet)
_SETTLED: StateKey[dict[tuple[Any, ...], tuple[Any, Any, tuple[Any, ...]]]] = StateKey(
    "suitability.settled", dict)
_MAX_SETTLED = 65_536
# the attrs constructor, several times cheaper; ``retention`` is given frozen already. Every
# field but the input digest follows from the call's inputs (``_settled`` keeps them).
_decision = decision_maker(
    SuitabilityDecision, "outcome", "hits", "obligations", "policy", "engine", "customer_level",
    "product_level", "customer_age", "assessment_age_days", "assessment_expired",
    "assessments_that_day", "assessments_12m", "retention", "seller_level", "customer_id",
    "product_id", "amount", "as_of", "input_digest", converted=("retention",))


def policy_in_force(runtime: Runtime, on: dt.date,
                    policy: str | None) -> PolicyDocument[SuitabilityRules]:
    """The suitability document in force on ``on``."""
    return runtime.policy(POLICY_KIND, on, policy)


def decision_date(runtime: Runtime, as_of: Any, policy: str | None) -> dt.date:
    """The day ``as_of`` names: a date as given; an aware datetime (or now, for ``None``) on
    its day in the policy's time zone, as assessment times are — the same instant written in
    UTC or in Beijing time is decided on one day, by one version of the policy.

    Raises:
        InputError: ``as_of`` is no date or aware datetime (naming ``as_of``).
        NotInForceError: no suitability policy is in force around that day.
    """
    if as_of.__class__ is dt.date:
        return as_of
    own = evaluation_date(as_of)  # validates, and the day the version's zone is looked up on
    # a time as text is read as evaluation_date reads it: with a T or, as ISO allows and
    # str(datetime) writes it, a space ("2026-01-31 20:00:00+00:00" is 1 February in Beijing)
    moment = (dt.datetime.now(dt.UTC) if as_of is None else as_of
              if isinstance(as_of, dt.datetime) else dt.datetime.fromisoformat(as_of)
              if isinstance(as_of, str) and len(as_of) > 10 else None)
    if moment is None:
        return own
    try:
        doc = policy_in_force(runtime, own, policy)
    except NotInForceError:  # the policy's day may be the one after or before (offsets < 1 day)
        doc = in_force_beside(runtime, POLICY_KIND, own, policy)
    return in_zone(moment, doc.policy.zone, "as_of", "the policy's").date()


def _local_date(value: dt.date, rules: SuitabilityRules, field: str) -> dt.date:
    """``value``'s day in the policy's time zone (an error naming ``field`` when that day is
    past year 9999 or before year 1)."""
    if isinstance(value, dt.datetime):
        return in_zone(value, rules.zone, field, "the policy's").date()
    return value


def age_on(birth: dt.date, on: dt.date) -> int:
    """Full years from ``birth`` to ``on`` (a 29 February birthday counts on 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class CustomerFacts:
    """The customer's and the assessment's facts on one date under one policy."""

    __slots__ = ("age", "assessment", "count_12m", "count_today", "customer", "days", "expired",
                 "level", "rank")

    def __init__(self, rules: SuitabilityRules, customer: Customer, on: dt.date) -> None:
        level = customer.risk_level
        rank = None
        if level is not None:
            rank = rules.customer_ranks.get(level)
            if rank is None:
                raise _problem("customer.risk_level", f"unknown level `{level}`, expected one of "
                               f"{', '.join(rules.customer_ranks)}", "unknown_level", level)
        c, age = _customer_fact(rules, customer, level, rank, on)
        a: dict[str, Any] = {"present": False}
        days = expired = None
        today = twelve = 0
        if customer.assessment_date is not None:
            a, days, expired, today, twelve = _assessment_fact(
                rules, customer, customer.assessment_date, rank, on)
        self.customer, self.assessment = c, a
        self.level, self.rank, self.age = level, rank, age
        self.days, self.expired, self.count_today, self.count_12m = days, expired, today, twelve


def _customer_fact(rules: SuitabilityRules, customer: Customer, level: str | None,
                   rank: int | None, on: dt.date) -> tuple[dict[str, Any], int | None]:
    """The ``customer`` fact and the customer's age (``None`` without a birth date)."""
    c: dict[str, Any] = {
        "kind": customer.kind,
        "investor_type": customer.investor_type,
        "professional": customer.investor_type == "professional" and (
            customer.kind == "institution" or rules.professional_individuals),
        "legal_capacity": customer.legal_capacity,
        "guardian_consent": customer.guardian_consent,
    }
    if rank is not None:
        c["level"] = level
        c["rank"] = rank
        c["lowest_level"] = rank == rules.lowest_customer_rank
    age = None
    if customer.birth_date is not None:
        if customer.birth_date > on:
            raise _problem("customer.birth_date", f"birth date {customer.birth_date} is after "
                           f"the evaluation date {on}", "after_evaluation_date",
                           customer.birth_date)
        age = c["age"] = age_on(customer.birth_date, on)
    if customer.assessment_date is None:  # a report after ``on`` is refused all the same
        _change_reported(rules, customer, on, on)
    if customer.investment_horizon_months is not None:
        c["horizon_months"] = customer.investment_horizon_months
    if customer.liquidity_need is not None:
        c["liquidity_need"] = customer.liquidity_need
    if customer.investable_assets is not None:
        c["investable_assets"] = customer.investable_assets
    return c, age


def _assessment_fact(rules: SuitabilityRules, customer: Customer, assessment_date: dt.date,
                     rank: int | None, on: dt.date
                     ) -> tuple[dict[str, Any], int, bool, int, int]:
    """The ``assessment`` fact of a customer assessed on ``assessment_date``, with its days
    since, expiry and counts (that day, 12 months)."""
    assessed = _local_date(assessment_date, rules, "customer.assessment_date")
    if assessed > on:
        raise _problem("customer.assessment_date", f"assessment date {assessed} is after "
                       f"the evaluation date {on}", "after_evaluation_date", assessment_date)
    today = twelve = 1
    for i, earlier in enumerate(customer.assessment_history):
        day = _local_date(earlier, rules, f"customer.assessment_history.{i}")
        if day > assessed or _not_before(earlier, assessment_date):
            what = "the current assessment itself" if earlier == assessment_date else \
                "after the current assessment"
            raise _problem(f"customer.assessment_history.{i}", f"{_shown(earlier, day)} is "
                           f"{what} ({_shown(assessment_date, assessed)}); list earlier "
                           "assessments only", "after_assessment_date", earlier)
        gap = (assessed - day).days
        today += gap == 0
        twelve += gap <= rules.window_days
    days = (on - assessed).days
    expired = days > rules.valid_days
    a = {"present": rank is not None, "days_since": days, "expired": expired,
         "count_today": today, "count_12m": twelve,
         "filled_by": customer.assessment_filled_by,
         "change_reported": _change_reported(rules, customer, assessed, on)}
    if customer.assessment_in_branch is not None:
        a["in_branch"] = customer.assessment_in_branch
    return a, days, expired, today, twelve


def _not_before(earlier: dt.date, current: dt.date) -> bool:
    """Whether an earlier assessment's time, and the current one's, show it was not taken
    before it (the same instant is the current assessment listed again; dates alone cannot
    tell two assessments of one day apart)."""
    return (isinstance(earlier, dt.datetime) and isinstance(current, dt.datetime)
            and earlier >= current)


def _shown(value: dt.date, day: dt.date) -> str:
    return value.isoformat() if isinstance(value, dt.datetime) else day.isoformat()


def _change_reported(rules: SuitabilityRules, customer: Customer, assessed: dt.date,
                     on: dt.date) -> bool:
    """Whether the customer reported a change in circumstances on a day after the current
    assessment (a report on the assessment's own day is taken to precede it)."""
    if customer.change_reported_at is None:
        return False
    reported = _local_date(customer.change_reported_at, rules, "customer.change_reported_at")
    if reported > on:
        raise _problem("customer.change_reported_at", f"change reported on {reported}, after "
                       f"the evaluation date {on}", "after_evaluation_date",
                       customer.change_reported_at)
    return reported > assessed


def customer_facts(rules: SuitabilityRules, customer: Customer, on: dt.date) -> CustomerFacts:
    """``CustomerFacts``, cached on the (frozen) instance for its last policy and date."""
    private = customer.__pydantic_private__
    cached = private.get("_facts") if private is not None else None
    if cached is not None and cached[0] is rules and cached[1] == on:
        return cast(CustomerFacts, cached[2])
    facts = CustomerFacts(rules, customer, on)
    if private is not None:
        private["_facts"] = (rules, on, facts)
    return facts


def product_facts(rules: SuitabilityRules, product: Product, field: str) -> dict[str, Any]:
    """The product's facts, cached on the (frozen) instance for its last policy."""
    private = product.__pydantic_private__
    cached = private.get("_facts") if private is not None else None
    if cached is not None and cached[0] is rules:
        return cast(dict[str, Any], cached[1])
    facts = _product_facts(rules, product, field)
    if private is not None:
        private["_facts"] = (rules, facts)
    return facts


def _product_facts(rules: SuitabilityRules, product: Product, field: str) -> dict[str, Any]:
    """The product's facts; ``rank`` and ``level`` are the effective rating."""
    seller = rules.product_ranks.get(product.risk_level)
    if seller is None:
        raise _problem(f"{field}.risk_level", f"unknown level `{product.risk_level}`, expected "
                       f"one of {', '.join(rules.product_ranks)}", "unknown_level",
                       product.risk_level)
    p: dict[str, Any] = {"seller_rank": seller, "kind": product.kind,
                         "securities": product.kind in rules.securities_kinds,
                         "principal_protected": product.principal_protected,
                         "private": product.private}
    rank = seller
    if product.issuer_risk_level is not None:
        issuer = rules.product_ranks.get(product.issuer_risk_level)
        if issuer is None:
            raise _problem(f"{field}.issuer_risk_level", f"unknown level "
                           f"`{product.issuer_risk_level}`, expected one of "
                           f"{', '.join(rules.product_ranks)}", "unknown_level",
                           product.issuer_risk_level)
        p["issuer_rank"] = issuer
        if rules.rating == "higher_of_issuer_and_seller" and issuer > seller:
            rank = issuer
    p["rank"] = rank
    p["level"] = rules.product_level_of_rank[rank]
    if product.term_months is not None:
        p["term_months"] = product.term_months
    if product.redemption is not None:
        p["redemption"] = product.redemption
    return p


def _decide(runtime: Runtime, on: dt.date, policy: str | None, customer: Customer,
            product: Product, amount: float | None, context: SaleContext | None = None,
            field: str = "product", doc: PolicyDocument[SuitabilityRules] | None = None
            ) -> SuitabilityDecision:
    """The decision on a sale; ``doc`` is the policy in force on ``on`` (found when needed)."""
    promoted, first = (False, False) if context is None else \
        (context.promoted_by_staff, context.first_purchase)
    if getattr(runtime, "observed", True):
        fields = _fields(runtime, doc or policy_in_force(runtime, on, policy), customer,
                         product, amount, on, promoted, first, field)
    elif context is None and amount is None and policy is None:
        return _decision(*_plain_args(runtime, on, customer, product, field, doc))  # type: ignore[no-any-return]
    else:
        fields = _settled(runtime, on, policy, customer, product, amount, promoted, first,
                          field, doc)
    decision: SuitabilityDecision = _decision(
        *fields, (input_digest, customer, product, amount, context))
    return decision


# Why the memos below may keep what they keep: an engine's runtime never changes its bundle,
# models are frozen, and their facts depend on nothing but the policy in force and the date.
# Models are keyed by identity: an entry holds them, so an id is never reused while it lives.

def _settled(runtime: Runtime, on: dt.date, policy: str | None, customer: Customer,
             product: Product, amount: float | None, promoted: bool, first: bool, field: str,
             doc: PolicyDocument[SuitabilityRules] | None) -> tuple[Any, ...]:
    """``_fields``, kept per engine (bounded), keyed by the date, the policy asked for, the
    models and the sale's values."""
    memo = runtime.state(_SETTLED)
    key = (on, policy, id(customer), id(product), amount, promoted, first)
    found = memo.get(key)
    if found is not None and found[0] is customer and found[1] is product:
        return found[2]
    fields = _fields(runtime, doc or policy_in_force(runtime, on, policy), customer, product,
                     amount, on, promoted, first, field)
    _keep(memo, key, (customer, product, fields))
    return fields


def _plain_args(runtime: Runtime, on: dt.date, customer: Customer, product: Product,
                field: str, doc: PolicyDocument[SuitabilityRules] | None) -> tuple[Any, ...]:
    """Every argument of ``_decision`` for a sale without amount, context or policy id, kept
    per engine (bounded) by the date and the models: the lazy input digest too, which such a
    call's models alone determine (``SuitabilityAPI.check_suitability`` reads these entries
    on its hot path)."""
    memo = runtime.state(_SETTLED)
    key = (id(customer), id(product), on)
    found = memo.get(key)
    if found is not None and found[0] is customer and found[1] is product:
        return found[2]
    fields = _fields(runtime, doc or policy_in_force(runtime, on, None), customer, product,
                     None, on, False, False, field)
    args = (*fields, (input_digest, customer, product, None, None))
    _keep(memo, key, (customer, product, args))
    return args


def _keep(memo: dict[tuple[Any, ...], Any], key: tuple[Any, ...], entry: Any) -> None:
    if len(memo) >= _MAX_SETTLED:
        memo.clear()
    memo[key] = entry


def _fields(runtime: Runtime, doc: PolicyDocument[SuitabilityRules], customer: Customer,
            product: Product, amount: float | None, on: dt.date, promoted: bool, first: bool,
            field: str) -> tuple[Any, ...]:
    """Every argument of ``_decision`` but the input digest."""
    rules = doc.policy
    cf = customer_facts(rules, customer, on)
    p = product_facts(rules, product, field)
    fact = _fact(cf, p, _sale_fact(cf, p, amount, promoted, first))
    outcome, hits, obligations = rules.combine(runtime.run(doc, RULESET, fact))
    kept = rules.retention
    retention = (_frozen_mapping({o: kept[o] for o in obligations if o in kept}) if kept
                 else _NO_RETENTION)
    return (outcome, hits, obligations, runtime.ref(doc), runtime.engine_name, cf.level,
            p["level"], cf.age, cf.days, cf.expired, cf.count_today, cf.count_12m, retention,
            product.risk_level, customer.id, product.id, amount, on)


def _sale_fact(cf: CustomerFacts, p: dict[str, Any], amount: float | None, promoted: bool,
               first: bool) -> dict[str, Any]:
    sale: dict[str, Any] = {"promoted_by_staff": promoted, "first_purchase": first}
    if cf.rank is not None:
        sale["rank_gap"] = p["rank"] - cf.rank
    c = cf.customer
    if amount is not None:
        sale["amount"] = amount
        assets = c.get("investable_assets")
        if assets is not None:
            sale["amount_share"] = (amount / assets if assets > 0
                                    else (_SHARE_CAP if amount > 0 else 0.0))
            sale["amount_share"] = min(sale["amount_share"], _SHARE_CAP)
    term, horizon = p.get("term_months"), c.get("horizon_months")
    if term is not None and horizon is not None:
        sale["term_exceeds_horizon_months"] = term - horizon
    return sale


def _fact(cf: CustomerFacts, p: dict[str, Any], sale: dict[str, Any]) -> dict[str, Any]:
    return {"customer": cf.customer, "assessment": cf.assessment, "product": p, "sale": sale}


def _sale(value: Any) -> SaleContext | None:
    return None if value is None else SaleContext.parse(value, field="sale")


def check_suitability(runtime: Runtime, customer: Any, product: Any, *, amount: Any = None,
                      as_of: Any = None, policy: str | None = None,
                      sale: Any = None) -> SuitabilityDecision:
    """Decide whether ``product`` suits ``customer`` on ``as_of`` (today by default).

    Args:
        runtime: the engine's runtime (``PolicyEngine.check_suitability`` passes it).
        customer: a ``Customer`` or a mapping of its fields.
        product: a ``Product`` or a mapping of its fields.
        amount: the amount of the sale (CNY), optional, never negative.
        as_of: a date, or an aware datetime (taken on its day in the policy's time zone).
        policy: a policy id, when the bundle has several suitability policies.
        sale: a ``SaleContext`` (or its mapping): staff promotion, first purchase.

    Raises:
        InputError: naming the field (unknown level, birth or assessment date after ``as_of``,
            negative amount, naive datetime...).
        NotInForceError: when no suitability policy is in force on ``as_of``.

    .. versionchanged:: 0.2.0
       ``sale``.
    """
    # the common case (a date, models built already) without the general parsers' calls
    on = as_of if as_of.__class__ is dt.date else decision_date(runtime, as_of, policy)
    if customer.__class__ is not Customer:
        customer = Customer.parse(customer, field="customer")
    if product.__class__ is not Product:
        product = Product.parse(product, field="product")
    money = None if amount is None else parse_amount(amount)
    context = None if sale is None else _sale(sale)
    return _decide(runtime, on, policy, customer, product, money, context)


def suitable_products(runtime: Runtime, customer: Any, products: Iterable[Any], *,
                      as_of: Any = None, policy: str | None = None,
                      sale: Any = None) -> list[SuitabilityDecision]:
    """Every product with its decision: suitable first, then conditional, then unsuitable
    (in the given order within each outcome); ``sale`` applies to each product."""
    on = decision_date(runtime, as_of, policy)
    customer = Customer.parse(customer, field="customer")
    context = _sale(sale)
    # a single model is iterable too (over its fields): name it as the mistake it is
    if isinstance(products, str | bytes | Mapping | InputModel) or not isinstance(products,
                                                                                   Iterable):
        raise _problem("products", "expected a list of products", "bad_products")
    parsed = [Product.parse(p, field=f"products.{i}") for i, p in enumerate(products)]
    if (twice := repeated_product(parsed)) is not None:
        raise _problem(f"products.{twice[1]}.id", f"product `{parsed[twice[1]].id}` is listed "
                       f"twice (first as products.{twice[0]})", "duplicate_value")
    doc = policy_in_force(runtime, on, policy)
    customer_facts(doc.policy, customer, on)  # the customer's errors before any product's
    decisions = []
    for i, product in enumerate(parsed):
        try:
            decisions.append(_decide(runtime, on, policy, customer, product, None, context,
                                     f"products.{i}", doc))
        except InputError as exc:  # the pack's checks of a product's facts say `product`
            raise exc.moved("product", f"products.{i}") from None
    decisions.sort(key=lambda d: _ORDER[d.outcome])
    return decisions


def evaluate_input(runtime: Runtime, data: Any, *,
                   as_of: Any = None) -> list[SuitabilityDecision]:
    """Evaluate ``{customer, product, amount?, sale?, as_of?}`` or ``{customer, products:
    [...], sale?, as_of?}``; the data's own ``as_of`` counts when ``as_of`` is not given (an
    explanation's ``input`` carries it)."""
    if not isinstance(data, Mapping):
        raise _problem("", "expected a mapping with `customer` and `product` (or `products`)",
                       "bad_input")
    unknown = sorted(str(k) for k in data if k not in ("customer", "product", "products",
                                                       "amount", "sale", "as_of"))
    if unknown:
        raise InputError([InputProblem(k, "unknown key (expected customer, product, products, "
                                          "amount, sale, as_of)", "unknown_key")
                          for k in unknown])
    if as_of is None:
        as_of = data.get("as_of")
    if "customer" not in data:
        raise _problem("customer", "missing", "missing")
    if ("product" in data) == ("products" in data):
        raise _problem("product", "give exactly one of `product` and `products`", "missing")
    if "products" in data:
        if data.get("amount") is not None:
            raise _problem("amount", "an amount goes with a single `product`", "bad_amount")
        return suitable_products(runtime, data["customer"], data["products"], as_of=as_of,
                                 sale=data.get("sale"))
    return [check_suitability(runtime, data["customer"], data["product"],
                              amount=written_amount(data.get("amount")), as_of=as_of,
                              sale=data.get("sale"))]
