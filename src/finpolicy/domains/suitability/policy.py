"""The ``SuitabilityPolicy`` kind: its spec, the facts its rules read, and its compiled form."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from pydantic import Field, StrictBool, StrictInt

from finpolicy.decisions import Hit
from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind
from finpolicy.domains.suitability.labels import LABELS
from finpolicy.domains.suitability.models import OUTCOMES
from finpolicy.periods import Period, RetentionSpec
from finpolicy.rules.compile import RuleSpecBase, compile_rules
from finpolicy.rules.conditions import Scalar
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.precedence import Authoring, Standing

KIND = "SuitabilityPolicy"
RULESET = "suitability"
_RESTRICTIVENESS = {name: i for i, name in enumerate(OUTCOMES)}

FIELDS: Mapping[str, str] = MappingProxyType({
    # the customer
    "customer.level": "text",
    "customer.rank": "number",
    "customer.lowest_level": "boolean",
    "customer.kind": "text",
    "customer.investor_type": "text",
    "customer.professional": "boolean",
    "customer.legal_capacity": "text",
    "customer.guardian_consent": "boolean",
    "customer.age": "number",
    "customer.horizon_months": "number",
    "customer.liquidity_need": "text",
    "customer.investable_assets": "number",
    # the risk assessment behind customer.level
    "assessment.present": "boolean",
    "assessment.days_since": "number",
    "assessment.expired": "boolean",
    "assessment.count_today": "number",
    "assessment.count_12m": "number",
    "assessment.change_reported": "boolean",
    "assessment.filled_by": "text",
    "assessment.in_branch": "boolean",
    # the product (level and rank are the effective rating)
    "product.level": "text",
    "product.rank": "number",
    "product.seller_rank": "number",
    "product.issuer_rank": "number",
    "product.kind": "text",
    "product.securities": "boolean",
    "product.term_months": "number",
    "product.principal_protected": "boolean",
    "product.redemption": "text",
    "product.private": "boolean",
    # this sale
    "sale.amount": "number",
    "sale.amount_share": "number",
    "sale.rank_gap": "number",
    "sale.term_exceeds_horizon_months": "number",
    "sale.promoted_by_staff": "boolean",
    "sale.first_purchase": "boolean",
})
"""Every fact a suitability rule may read (derived in Python before the rules run)."""


class LevelSpec(Strict):
    """A customer or product risk level and its rank (higher rank = more risk)."""

    level: str = Field(min_length=1, description="The level's code, e.g. `C3` or `R4`.")
    rank: StrictInt = Field(ge=1, description="Its order; ranks compare customers with products.",
                            title="rank (higher is more risk)")
    name: str = Field(description="Human name, e.g. `balanced`.")
    description: str | None = Field(default=None, description="What the level means.")


class SettingsSpec(Strict):
    """Settings the fact derivation reads."""

    product_rating: Literal["seller", "higher_of_issuer_and_seller"] = Field(
        default="seller", description="Which rating sets a product's effective level.")
    assessment_valid_days: StrictInt = Field(
        default=365, ge=1, description="The assessment day is day 0; the assessment is valid "
                                       "through this day and expired from the next.")
    assessment_window_days: StrictInt = Field(
        default=365, ge=1, description="`assessment.count_12m` counts assessments taken at most "
                                       "this many days before the current one.")
    securities_kinds: list[str] = Field(
        default_factory=list, description="Product kinds the securities suitability rule "
                                          "governs (`product.securities`).")
    professional_individuals: StrictBool = Field(
        default=True, description="Whether individuals may be professional investors.")
    time_zone: str = Field(default="Asia/Shanghai",
                           description="Zone in which aware datetimes are turned into dates.")


class RuleSpec(RuleSpecBase):
    """One suitability rule."""

    outcome: Literal["suitable", "conditional", "unsuitable"] = Field(
        description="The outcome the rule asks for; the most restrictive wins.")


class SuitabilitySpec(PolicySpec):
    """``spec`` of a ``SuitabilityPolicy``."""

    customer_levels: list[LevelSpec] = Field(min_length=1)
    product_levels: list[LevelSpec] = Field(min_length=1)
    settings: SettingsSpec = Field(default_factory=lambda: SettingsSpec.model_validate({}))
    rules: list[RuleSpec] = Field(min_length=1)
    retention: dict[str, RetentionSpec] = Field(
        default_factory=dict, description="Obligation → how long the records it produces "
                                          "(recordings, signed forms) are kept.")


@attrs.frozen(slots=True, eq=False)
class SuitabilityRules:
    """A compiled suitability policy: rank tables, settings and one rule set.

    ``combine`` caches its result per set of matching rules, so deciding costs one lookup.
    """

    rulesets: Mapping[str, RuleSet]
    customer_ranks: Mapping[str, int]
    product_ranks: Mapping[str, int]
    product_level_of_rank: Mapping[int, str]
    lowest_customer_rank: int
    rating: str
    valid_days: int
    window_days: int
    securities_kinds: frozenset[str]
    professional_individuals: bool
    zone: ZoneInfo
    invariants: tuple[Invariant, ...] = ()
    retention: Mapping[str, Period] = attrs.field(factory=lambda: MappingProxyType({}),
                                                  kw_only=True)
    _combined: dict[tuple[str, ...], tuple[str, tuple[Hit, ...], tuple[str, ...]]] = \
        attrs.field(factory=dict, repr=False)

    def combine(self, rules: Sequence[Rule]) -> tuple[str, tuple[Hit, ...], tuple[str, ...]]:
        """Most restrictive outcome, the hits, and the union of obligations."""
        key = tuple(r.id for r in rules)
        found = self._combined.get(key)
        if found is None:
            worst = 0
            obligations: set[str] = set()
            for rule in rules:
                worst = max(worst, _RESTRICTIVENESS[rule.effect["outcome"]])
                obligations.update(rule.obligations)
            found = (OUTCOMES[worst], tuple(Hit.of(r) for r in rules),
                     tuple(sorted(obligations)))
            if len(self._combined) < 65536:  # bounded: combinations are few in practice
                self._combined[key] = found
        return found


def _levels(levels: list[LevelSpec], where: str, ctx: BuildContext) -> dict[str, int]:
    out: dict[str, int] = {}
    ranks: dict[int, str] = {}
    for i, level in enumerate(levels):
        if level.level in out:
            ctx.problem((where, i, "level"), f"duplicate level `{level.level}`", "duplicate_level")
        if level.rank in ranks:
            ctx.problem((where, i, "rank"), f"rank {level.rank} is also the rank of "
                                            f"`{ranks[level.rank]}`", "duplicate_rank")
        out[level.level] = level.rank
        ranks.setdefault(level.rank, level.level)
    return out


def build(spec: SuitabilitySpec, ctx: BuildContext) -> SuitabilityRules:
    """Compile a validated spec, reporting every problem through ``ctx``."""
    customer_ranks = _levels(spec.customer_levels, "customer_levels", ctx)
    product_ranks = _levels(spec.product_levels, "product_levels", ctx)
    settings = spec.settings
    try:
        zone = ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.problem(("settings", "time_zone"), f"unknown time zone `{settings.time_zone}`",
                    "unknown_time_zone")
        zone = ZoneInfo("UTC")
    for i, kind in enumerate(settings.securities_kinds):
        ctx.check_term("product.kind", kind, ("settings", "securities_kinds", i))
    rules = [rule for _, rule in compile_rules(
        spec.rules, ctx, fields=FIELDS, effect=lambda item: {"outcome": item.outcome})]
    retention = _retention(spec, rules, ctx)
    return SuitabilityRules(
        rulesets=MappingProxyType({RULESET: RuleSet(RULESET, tuple(rules))}),
        customer_ranks=MappingProxyType(customer_ranks),
        product_ranks=MappingProxyType(product_ranks),
        product_level_of_rank=MappingProxyType({r: lv for lv, r in product_ranks.items()}),
        lowest_customer_rank=min(customer_ranks.values()),
        rating=settings.product_rating,
        valid_days=settings.assessment_valid_days,
        window_days=settings.assessment_window_days,
        securities_kinds=frozenset(settings.securities_kinds),
        professional_individuals=settings.professional_individuals,
        zone=zone,
        invariants=parse_invariants(spec.invariants, ctx, FIELDS),
        retention=MappingProxyType(retention),
    )


def _retention(spec: SuitabilitySpec, rules: list[Rule], ctx: BuildContext
               ) -> dict[str, Period]:
    """Retention per obligation; each must be an obligation some rule carries."""
    used = {o for rule in rules for o in rule.obligations}
    out: dict[str, Period] = {}
    for name, item in spec.retention.items():
        if name not in used:
            ctx.problem(("retention", name), f"`{name}` is not an obligation of any rule",
                        "unknown_obligation")
        ctx.check_cite(item.cite, ("retention", name, "cite"))
        out[name] = item.build()
    return out


_RESTRICTIVENESS = {"suitable": 0, "conditional": 1, "unsuitable": 2}


def _standing(ruleset: str, rule: Rule) -> Standing:
    """The most restrictive outcome wins; obligations add up."""
    outcome = rule.effect["outcome"]
    return Standing("outcome", _RESTRICTIVENESS[outcome], outcome, frozenset(rule.obligations))


def _domains(spec: SuitabilitySpec) -> dict[str, Collection[Scalar]]:
    """Levels and ranks are the policy's own (unknown ones are input errors)."""
    return {"customer.level": [lv.level for lv in spec.customer_levels],
            "customer.rank": [lv.rank for lv in spec.customer_levels],
            "product.level": [lv.level for lv in spec.product_levels],
            "product.rank": [lv.rank for lv in spec.product_levels]}


POLICY_KIND: PolicyKind[SuitabilitySpec, SuitabilityRules] = PolicyKind(
    KIND, SuitabilitySpec, build,
    summary="customer and product risk levels, suitability rules and obligations",
    fields=FIELDS,
    labels=LABELS,
    combining="the most restrictive outcome of the matching rules wins (unsuitable > "
              "conditional > suitable) and their obligations add up",
    authoring=Authoring(_standing, _domains))
