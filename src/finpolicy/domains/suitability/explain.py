"""Explaining suitability decisions: why a sale is unsuitable or conditional, and what would
make it better.

Outcomes from the better: suitable, conditional, unsuitable; a rule blocks the better outcome
when its own is worse. What a person can change, and how a wanted fact maps back to the input:

- **the assessment** (``assessment.*``): a fresh one today (the old one becomes history), or,
  when too many were taken, one on the first later day the limits allow (waiting until then);
  a customer without a level is assessed, and the suggestion says which result would do;
- **the product** offered: a lower risk rating, a term within the customer's horizon, a
  product redeemable before maturity;
- **the amount**: at most the share of the investable assets the rules' thresholds allow;
- **the guardian's consent**, for a customer with limited legal capacity.

Never the customer's profile: age, kind, legal capacity, assets, horizon, liquidity needs and
an assessed risk level (changing a profile to make a sale fit is what suitability rules
forbid).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from finpolicy.decisions import Decision
from finpolicy.domains.suitability.amounts import parse_amount, written_amount
from finpolicy.domains.suitability.evaluate import _SHARE_CAP, check_suitability
from finpolicy.domains.suitability.models import OUTCOMES, Customer, Product, SaleContext
from finpolicy.domains.suitability.policy import RULESET, SuitabilityRules
from finpolicy.errors import FinpolicyError, InputError, InputProblem
from finpolicy.explain.explainer import (
    Explainer,
    Move,
    Role,
    bad_operation,
    dated_moves,
    set_value,
)
from finpolicy.explain.model import Change
from finpolicy.explain.patch import apply_changes, pointer
from finpolicy.rules.conditions import paths
from finpolicy.rules.evaluate import Target, meets
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.explain.record import Analysis

__all__ = ["EXPLAINER", "SuitabilityExplainer"]

_PRODUCT_FACTS = {"product.rank", "product.level", "product.seller_rank", "product.term_months",
                  "product.redemption", "sale.rank_gap", "sale.term_exceeds_horizon_months"}
# how the sale came about is a fact, not a lever (a promotion is never undone to make it fit)
_SALE_FACTS = {"sale.promoted_by_staff", "sale.first_purchase"}
_PROFILE_LEVEL = {"customer.level", "customer.rank", "customer.lowest_level"}
_REDEMPTION = ("daily", "periodic", "closed")


class SuitabilityExplainer(Explainer):
    """The suitability domain's explainer (see the module docstring)."""

    domain = "suitability"
    operations = ("check_suitability",)
    outcomes = OUTCOMES
    immutable = ("the customer's profile: age, kind, investor type, legal capacity, assets, "
                 "horizon, liquidity needs and assessed risk level")

    # --- the input ----------------------------------------------------------------------------

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        if method != "check_suitability":
            raise bad_operation(self, method)
        if kwargs.get("policy") is not None:
            raise InputError.one("policy", "explanations use the suitability policy in force",
                                 "unknown_option", kwargs["policy"])
        customer = kwargs.get("customer", args[0] if args else None)
        product = kwargs.get("product", args[1] if len(args) > 1 else None)
        # a call's amount is a number, as check_suitability takes it (text only in a mapping)
        return self.normalise({"customer": customer, "product": product,
                               "amount": parse_amount(kwargs.get("amount")),
                               "sale": kwargs.get("sale")},
                              kwargs.get("as_of"))

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping) or "products" in data:
            raise InputError.one("input", "expected one `customer` and one `product` (lists "
                                          "of products are not explained)", "bad_input")
        unknown = sorted(str(k) for k in data
                         if k not in ("customer", "product", "amount", "sale", "as_of"))
        if unknown:  # every one named at once, as evaluate_input names them
            raise InputError([InputProblem(k, "unknown key (expected customer, product, "
                                              "amount, sale, as_of)", "unknown_key")
                              for k in unknown])
        customer = Customer.parse(data.get("customer"), field="customer")
        product = Product.parse(data.get("product"), field="product")
        # the data's own as_of: an explanation's input with its changes applied, read back
        when = as_of if as_of is not None else data.get("as_of")
        # now: the day is then taken in the policy's zone, as check_suitability takes it
        when = when if when is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
        if isinstance(when, dt.date):
            when = when.isoformat()
        amount, sale = data.get("amount"), data.get("sale")
        return {"customer": customer.model_dump(mode="json"),
                "product": product.model_dump(mode="json"),
                # a decimal written as text, as `finpolicy eval` and the log take it
                "amount": parse_amount(written_amount(amount)),
                "sale": None if sale is None else
                SaleContext.parse(sale, field="sale").model_dump(mode="json"),
                "as_of": when}

    def decide(self, runtime: Runtime, case: Mapping[str, Any]) -> Decision:
        return check_suitability(runtime, case["customer"], case["product"],
                                 amount=case.get("amount"), as_of=case["as_of"],
                                 sale=case.get("sale"))

    # --- rules --------------------------------------------------------------------------------

    def role(self, rule: Rule, target: str) -> Role | None:
        return "blocks" if self.rank(rule.effect["outcome"]) > self.rank(target) else None

    def effect(self, rule: Rule) -> str:
        return str(rule.effect["outcome"])

    # --- levers -------------------------------------------------------------------------------

    def changeable(self, analysis: Analysis, path: tuple[str, ...]) -> bool:
        dotted = ".".join(path)
        if dotted in _SALE_FACTS:
            return False
        if path[0] in ("assessment", "sale") or dotted in _PRODUCT_FACTS:
            return True
        if dotted in _PROFILE_LEVEL:
            return analysis.case["customer"].get("risk_level") is None
        if dotted == "customer.age":  # an age no one recorded may be: not one that is known
            return analysis.case["customer"].get("birth_date") is None
        return dotted == "customer.guardian_consent"

    def notes(self, analysis: Analysis) -> list[str]:
        case = analysis.case
        amount, assets = case.get("amount"), case["customer"].get("investable_assets")
        if amount and assets == 0:  # the share of nothing is no number: the rules see a cap
            return [f"the customer's investable assets are 0, so any amount is more than all "
                    f"of them: the share of the assets is shown as {_SHARE_CAP:,.0f}, the "
                    "largest the rules compare"]
        return []

    def moves(self, analysis: Analysis, target: Target) -> list[Move]:
        path = target.dotted
        if path.startswith("assessment.") or path in _PROFILE_LEVEL:
            # a new assessment today may be one too many that day: later days too
            return _reassess(analysis)
        if path in ("product.rank", "product.level", "product.seller_rank", "sale.rank_gap"):
            return _lower_rating(analysis, target)
        if path in ("product.term_months", "sale.term_exceeds_horizon_months"):
            return _shorter_term(analysis, target)
        if path == "product.redemption":
            return [Move(f"offer a product redeemable `{r}` instead",
                         (set_value(analysis.case, "product", "redemption", value=r),),
                         "product", 3)
                    for r in _REDEMPTION if meets(target, r)]
        if path in ("sale.amount_share", "sale.amount"):
            return _smaller_amount(analysis, target)
        if path == "customer.age" and target.op == "given":
            return _record_birth_date(analysis)
        if path == "customer.guardian_consent" and meets(target, True):
            return [Move("obtain the guardian's consent (and record it)",
                         (set_value(analysis.case, "customer", "guardian_consent", value=True),),
                         "consent", 1)]
        return []


@dated_moves
def _record_birth_date(analysis: Analysis) -> list[Move]:
    """Recording the birth date of a customer whose age no one recorded: shown with that of
    an adult of 40 on the sale's day, whom no age rule holds back (the customer's own then
    decides)."""
    on = _day(analysis.case["as_of"], _rules(analysis))
    born = on.replace(year=on.year - 40, day=28) if (on.month, on.day) == (2, 29) \
        else on.replace(year=on.year - 40)
    return [Move(f"record the customer's birth date (shown: born {born.isoformat()}, 40 on "
                 "the day; their own age decides)",
                 (set_value(analysis.case, "customer", "birth_date", value=born.isoformat()),),
                 "profile", 2)]


def _rules(analysis: Analysis) -> SuitabilityRules:
    doc = analysis.doc
    assert doc is not None  # a suitability decision always runs its rule set
    rules: SuitabilityRules = doc.policy
    return rules


def _day(value: Any, rules: SuitabilityRules) -> dt.date:
    if isinstance(value, str):
        value = (dt.datetime.fromisoformat(value) if "T" in value or " " in value
                 else dt.date.fromisoformat(value))
    if isinstance(value, dt.datetime):
        return value.astimezone(rules.zone).date()
    assert isinstance(value, dt.date)
    return value


def _after(days: list[dt.date], n: int) -> set[dt.date]:
    """``n`` days after each of ``days``, leaving out those past year 9999."""
    out = set()
    for day in days:
        with contextlib.suppress(OverflowError):
            out.add(day + dt.timedelta(days=n))
    return out


def _reassess(analysis: Analysis) -> list[Move]:
    """A fresh assessment today, or on a later day when the one before it or the 12-month
    window frees up; a customer without a level gets one move per possible result."""
    rules, case = _rules(analysis), analysis.case
    customer = case["customer"]
    on = _day(case["as_of"], rules)
    old = customer.get("assessment_date")
    earlier = [_day(d, rules) for d in customer.get("assessment_history", [])]
    if old is not None:
        earlier.append(_day(old, rules))
    days = sorted({d for d in _after(earlier, rules.window_days + 1) | _after(earlier, 1)
                   | {on} if d >= on})[:6]
    level = customer.get("risk_level")
    redo, how = _how_assessed(case)
    results = [level] if level is not None else sorted(rules.customer_ranks,
                                                       key=rules.customer_ranks.__getitem__)
    out = []
    for day in days:
        for result in results:
            changes = [Change("replace", pointer("customer", "assessment_date"),
                              day.isoformat()) if "assessment_date" in customer
                       else set_value(case, "customer", "assessment_date", value=day.isoformat())]
            if old is not None:
                changes.append(Change("add", pointer("customer", "assessment_history", "-"), old))
            if level is None:
                changes.append(set_value(case, "customer", "risk_level", value=result))
            changes.extend(set_value(case, "customer", k, value=v) for k, v in redo.items())
            when = "today" if day == on else f"on {day.isoformat()} (wait until then)"
            text = f"assess the customer's risk tolerance again{how} {when}"
            if level is None:
                text = (f"assess the customer's risk tolerance{how} {when}, if the result is "
                        f"`{result}`")
            if day != on:
                changes.append(Change("replace", "/as_of", day.isoformat()))
            out.append(Move(text, tuple(changes), "assessment" if day == on else "time",
                            1 + (day - on).days, slot="assessment"))
    if len(days) > 1 and days[0] == on and not _too_many_today(analysis, out[0]):
        # the later days are when earlier assessments stop counting: only worth waiting for
        # when one today would be too many (waiting months gave the same outcome)
        out = [m for m in out if m.lever == "assessment"]
    return out


_COUNTS = {("assessment", "count_today"), ("assessment", "count_12m")}


def _too_many_today(analysis: Analysis, today: Move) -> bool:
    """Whether a rule on the number of assessments holds for the sale with ``today`` (a fresh
    assessment today) made (``True`` when that cannot be decided)."""
    rules = _rules(analysis)
    counting = {r.id for r in rules.rulesets[RULESET].rules if paths(r.when) & _COUNTS}
    if not counting:
        return False
    try:
        after = analysis.explainer.decide(analysis.runtime,
                                          apply_changes(analysis.case, today.changes))
    except FinpolicyError:
        return True
    return any(hit.rule_id in counting for hit in after.hits)


def _how_assessed(case: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """How a new assessment must be taken: filled in by the customer, and in a branch for a
    first purchase (the fields to set, and the words saying so)."""
    customer, sale = case["customer"], case.get("sale") or {}
    redo: dict[str, Any] = {}
    if customer.get("assessment_filled_by") == "staff":
        redo["assessment_filled_by"] = "customer"
    if sale.get("first_purchase") and customer.get("assessment_in_branch") is not True:
        redo["assessment_in_branch"] = True
    words = [w for k, w in (("assessment_filled_by", "filled in by the customer"),
                            ("assessment_in_branch", "in a branch")) if k in redo]
    return redo, (" (" + ", ".join(words) + ")") if words else ""


def _lower_rating(analysis: Analysis, target: Target) -> list[Move]:
    """A product rated lower than this one's effective rating: where the issuer's higher
    rating counts (an R3 product the issuer rates R4 is R4), a product both rate R3 will do."""
    rules, case = _rules(analysis), analysis.case
    product, customer = case["product"], case["customer"]
    seller = rules.product_ranks[product["risk_level"]]
    issuer = product.get("issuer_risk_level")
    issuer_rank = rules.product_ranks.get(issuer, 0) if issuer is not None else 0
    current, shown = seller, f"`{product['risk_level']}`"
    if rules.rating == "higher_of_issuer_and_seller" and issuer_rank > seller:
        current, shown = issuer_rank, f"`{issuer}`, the issuer's rating"
    customer_rank = rules.customer_ranks.get(customer.get("risk_level") or "")
    out = []
    for level, rank in sorted(rules.product_ranks.items(), key=lambda item: -item[1]):
        value: Any = {"product.level": level, "sale.rank_gap": None}.get(target.dotted, rank)
        if target.dotted == "sale.rank_gap":
            if customer_rank is None:
                continue
            value = rank - customer_rank
        if rank >= current or not meets(target, value):
            continue
        # each rating above the level comes down to it (the issuer's too, whichever counts)
        changes = [Change("replace", pointer("product", field), level)
                   for field, had in (("risk_level", seller), ("issuer_risk_level", issuer_rank))
                   if had > rank]
        out.append(Move(f"offer a product rated `{level}` instead (this one is rated {shown})",
                        tuple(changes), "product", 2 + current - rank))
    return out


def _shorter_term(analysis: Analysis, target: Target) -> list[Move]:
    case = analysis.case
    horizon = case["customer"].get("investment_horizon_months")
    term = case["product"].get("term_months")
    if horizon is None or term is None:
        return []
    wanted = horizon if target.dotted.startswith("sale.") else target.value
    if not isinstance(wanted, int) or wanted >= term or wanted < 0:
        return []
    if target.dotted == "product.term_months" and not meets(target, wanted):
        wanted -= 1
    return [Move(f"offer a product with a term of at most {wanted} months (this one runs "
                 f"{term})", (Change("replace", pointer("product", "term_months"), wanted),),
                 "product", 3)]


def _smaller_amount(analysis: Analysis, target: Target) -> list[Move]:
    case = analysis.case
    amount, assets = case.get("amount"), case["customer"].get("investable_assets")
    bound = target.value
    if amount is None or isinstance(bound, bool) or not isinstance(bound, int | float):
        return []
    if target.dotted == "sale.amount_share":
        if assets is None:
            return []
        wanted = math.floor(bound * assets * 100) / 100 if assets > 0 else 0.0
    else:
        wanted = float(bound)
    if target.op == "lt" or not meets(Target(target.path, target.op, bound), wanted if
                                      target.dotted == "sale.amount" else
                                      (wanted / assets if assets else 0.0)):
        wanted = max(0.0, wanted - 0.01)
    # an amount of nothing is no sale: a customer without investable assets is sold nothing
    if wanted >= amount or wanted < 0.01:
        return []
    return [Move(f"reduce the amount to at most {wanted:,.2f}",
                 (Change("replace", "/amount", wanted),), "amount", 2)]


EXPLAINER = SuitabilityExplainer()
