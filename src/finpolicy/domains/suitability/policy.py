"""The ``SuitabilityPolicy`` kind: its spec, the facts its rules read, and its compiled form."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from pydantic import Field

from finpolicy.decisions import Hit
from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind, register_kind
from finpolicy.domains.suitability.models import OUTCOMES
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet

KIND = "SuitabilityPolicy"
RULESET = "suitability"
_RESTRICTIVENESS = {name: i for i, name in enumerate(OUTCOMES)}
_OBLIGATION = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

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
})
"""Every fact a suitability rule may read (derived in Python before the rules run)."""


class LevelSpec(Strict):
    """A customer or product risk level and its rank (higher rank = more risk)."""

    level: str = Field(min_length=1, description="The level's code, e.g. `C3` or `R4`.")
    rank: int = Field(ge=1, description="Its order; ranks compare customers with products.")
    name: str = Field(description="Human name, e.g. `balanced`.")
    description: str | None = Field(None, description="What the level means.")


class SettingsSpec(Strict):
    """Settings the fact derivation reads."""

    product_rating: Literal["seller", "higher_of_issuer_and_seller"] = Field(
        "seller", description="Which rating sets a product's effective level.")
    assessment_valid_days: int = Field(
        365, ge=1, description="The assessment day is day 0; the assessment is valid through "
                               "this day and expired from the next.")
    assessment_window_days: int = Field(
        365, ge=1, description="`assessment.count_12m` counts assessments taken at most this "
                               "many days before the current one.")
    securities_kinds: list[str] = Field(
        default_factory=list, description="Product kinds the securities suitability rule "
                                          "governs (`product.securities`).")
    professional_individuals: bool = Field(
        True, description="Whether individuals may be professional investors.")
    time_zone: str = Field("Asia/Shanghai",
                           description="Zone in which aware datetimes are turned into dates.")


class RuleSpec(Strict):
    """One suitability rule."""

    id: str = Field(min_length=1, description="Unique id, named in decisions.")
    when: dict[str, Any] = Field(description="Condition over the derived facts.")
    outcome: Literal["suitable", "conditional", "unsuitable"] = Field(
        description="The outcome the rule asks for; the most restrictive wins.")
    obligations: list[str] = Field(default_factory=list,
                                   description="Duties that come with the sale.")
    reason: str = Field(min_length=1, description="One sentence for people.")
    cite: str = Field(min_length=1, description="Source id and article, e.g. "
                                                "`nfra-2025-7 Art. 12`.")


class SuitabilitySpec(PolicySpec):
    """``spec`` of a ``SuitabilityPolicy``."""

    customer_levels: list[LevelSpec] = Field(min_length=1)
    product_levels: list[LevelSpec] = Field(min_length=1)
    settings: SettingsSpec = Field(default_factory=lambda: SettingsSpec.model_validate({}))
    rules: list[RuleSpec] = Field(min_length=1)


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
    parser = ctx.parser_factory(dict(FIELDS))
    sources = ctx.metadata.source_ids()
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(spec.rules):
        if item.id in seen:
            ctx.problem(("rules", i, "id"), f"duplicate rule id `{item.id}`", "duplicate_rule")
        seen.add(item.id)
        source_id = next(iter(item.cite.split()), "")
        if source_id not in sources:
            known = ", ".join(sorted(sources)) or "none declared"
            ctx.problem(("rules", i, "cite"), f"cite `{item.cite}` names no source in "
                                              f"metadata.sources (known: {known})",
                        "unknown_source")
        elif len(item.cite.split()) < 2:
            ctx.problem(("rules", i, "cite"), f"cite `{item.cite}` needs an article or section "
                                              "after the source id", "cite_without_article")
        for j, obligation in enumerate(item.obligations):
            if not _OBLIGATION.fullmatch(obligation):
                ctx.problem(("rules", i, "obligations", j), f"obligation `{obligation}` should "
                            "be lower-case words joined by `_`", "bad_obligation")
        when = parser.parse(item.when, ("spec", "rules", i, "when"))
        if when is not None:
            rules.append(Rule(item.id, when, {"outcome": item.outcome},
                              tuple(dict.fromkeys(item.obligations)), item.reason, item.cite))
    ctx.problems.extend(parser.problems)
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
    )


register_kind(PolicyKind(KIND, SuitabilitySpec, build,  # type: ignore[arg-type]
                         "customer and product risk levels, suitability rules and obligations"))
