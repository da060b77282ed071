"""The ``ClassificationPolicy`` kind: its spec schema and the build into levels, handling and a
rule set.

Rules read facts derived in Python (see ``classify.field_fact``):

- ``field.name``: the name in Unicode NFKC without invisible characters, lower-cased, with
  spaces, hyphens, dots and camelCase turned into ``_`` (``Contact Phone`` and full-width
  ``ＣＯＮＴＡＣＴ＿ＰＨＯＮＥ`` → ``contact_phone``); Chinese names are kept as they are;
- ``field.tags``: the tags, normalised the same way and lower-cased;
- ``field.derived``: whether it has sources;
- ``detector.<name>.share``: share of non-empty sample values each content detector matched;
  ``detected``: the detectors whose share reaches ``content.threshold`` (with at least
  ``content.min_samples`` non-empty values); ``field.sample_count``: non-empty sample values.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from pydantic import Field, StrictBool, StrictFloat, StrictInt

from finpolicy.decisions import Hit
from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind
from finpolicy.domains.classification.labels import LABELS
from finpolicy.domains.classification.literals import check_rule_literals
from finpolicy.domains.classification.model import DataLevel, Handling
from finpolicy.domains.detectors import DETECTORS
from finpolicy.domains.masking import MASKS
from finpolicy.periods import Period, PeriodSpec
from finpolicy.rules.compile import RuleSpecBase, compile_rules
from finpolicy.rules.conditions import Scalar
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.precedence import Authoring, Standing
from finpolicy.rules.vocabulary import hint

KIND = "ClassificationPolicy"
RULESET = "classify"

FIELDS: dict[str, str] = {
    "field.name": "text",
    "field.tags": "list",
    "field.derived": "boolean",
    "field.sample_count": "number",
    "detected": "list",
    **{f"detector.{name}.share": "number" for name in DETECTORS},
}

_PARTIAL = re.compile(r"partial:([0-9]{1,2}):([0-9]{1,2})")


# --- spec schema --------------------------------------------------------------------------

class LevelSpec(Strict):
    """One level, with its labels in the national standards."""

    name: Literal["ordinary", "important", "core"] = Field(
        description="Level name; levels are listed lowest first.")
    title: str = Field(description="Human name, e.g. `核心 core`.")
    grade: StrictInt = Field(ge=1, le=5, description="JR/T 0197-2020 security grade (5 highest).",
                             title="JR/T 0197 grade (5 highest)")
    pfi_category: Literal["C1", "C2", "C3"] | None = Field(
        default=None, description="JR/T 0171-2020 category of personal financial information at "
                                  "this level, unless a rule names another.")
    cite: str


class CategorySpec(Strict):
    """A data category (seed 002 §2.2)."""

    title: str
    examples: list[str] = Field(default_factory=list)
    min_level: Literal["ordinary", "important", "core"] | None = Field(
        default=None, description="Every field of this category is at least this level, whatever "
                          "its rules say.")
    cite: str


class HandlingSpec(Strict):
    """Handling requirements of one level.

    Retention is given either in days (``retention_days``, counted from the end of the
    purpose) or as a period from a named event (``retention: {years: 5, after:
    relationship_end}``); the same for the audit log (from the logged access).
    """

    encryption_at_rest: str | None = None
    encryption_in_transit: str | None = None
    storage: str
    mask_on_display: StrictBool = False
    approval_required: StrictBool = False
    retention_days: StrictInt | None = Field(default=None, gt=0)
    retention: PeriodSpec | None = Field(default=None, description="How long the data is kept, as "
                                                           "a period from an event.")
    destruction: str
    audit_log_retention_days: StrictInt | None = Field(default=None, gt=0)
    audit_log_retention: PeriodSpec | None = Field(
        default=None, description="How long access logs are kept, as a period from an event.")
    cite: str


class ContentSpec(Strict):
    """When a column counts as matching a content detector."""

    threshold: StrictFloat = Field(gt=0, le=1, description="Share of non-empty sample values a "
                                                           "detector must match.",
                                   title="a detector matches when it matches at least",
                                   json_schema_extra={"unit": "% of the non-empty sample values"})
    min_samples: StrictInt = Field(default=1, ge=1,
                                   description="Fewer non-empty values detect nothing.",
                                   title="fewest non-empty values to detect anything",
                                   json_schema_extra={"unit": "values"})
    detectors: list[str] = Field(default_factory=lambda: list(DETECTORS),
                                 description="Detectors to run.")


class ClassificationSettings(Strict):
    """Settings of the classification policy."""

    time_zone: str = Field(default="Asia/Shanghai", description="IANA zone whose day of a "
                           "call's `as_of` (or of now, when none is given) picks the version "
                           "in force (as `effective_from` reads).")


class RuleSpec(RuleSpecBase):
    """A field rule: when it holds, the field is at least ``level``."""

    level: Literal["ordinary", "important", "core"]
    category: str | None = None
    pfi_category: Literal["C1", "C2", "C3"] | None = None
    mask: str | None = Field(
        default=None, description="A masker: `id_number`, `card_number`, `name`, `mobile`, "
                                  "`email`, `full` or `partial:F:L`.")
    overrides_sources: StrictBool = Field(
        default=False, description="For derived data: this rule's level replaces the level of the "
                                   "sources.")


class ClassificationSpec(PolicySpec):
    """Spec of a ``ClassificationPolicy`` document."""

    levels: list[LevelSpec] = Field(min_length=1, description="Levels, lowest first.")
    categories: dict[str, CategorySpec] = Field(min_length=1)
    handling: dict[str, HandlingSpec]
    content: ContentSpec
    default_level: Literal["ordinary", "important", "core"] = "ordinary"
    derived_category: str | None = Field(
        default=None, description="Category of derived data that no rule categorises.")
    unknown_field_mask: str | None = Field(
        default=None, description="How `mask` shows a value of a field no rule knows and whose "
                                  "content no rule recognises (a masker, as for rules). Without "
                                  "it, masking such a value is an error: it is never shown "
                                  "unmasked.")
    rules: list[RuleSpec] = Field(min_length=1)
    settings: ClassificationSettings = Field(
        default_factory=lambda: ClassificationSettings.model_validate({}))


# --- the compiled policy ------------------------------------------------------------------

def _freeze(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class ClassificationRules:
    """A built classification policy.

    Attributes:
        levels: the policy's levels, lowest first.
        grades / pfi_categories / titles: labels per level.
        handling: requirements per level.
        threshold / min_samples / detectors: the content settings.
        unknown_field_mask: how ``mask`` shows values of fields no rule knows (``None``:
            masking them raises).
        rulesets: the one rule set ``classify``.
        zone: the zone whose day of ``as_of`` picks the version in force.
    """

    levels: tuple[DataLevel, ...]
    titles: Mapping[DataLevel, str] = attrs.field(converter=_freeze)
    grades: Mapping[DataLevel, int] = attrs.field(converter=_freeze)
    pfi_categories: Mapping[DataLevel, str | None] = attrs.field(converter=_freeze)
    categories: Mapping[str, str] = attrs.field(converter=_freeze)
    handling: Mapping[DataLevel, Handling] = attrs.field(converter=_freeze)
    threshold: float
    min_samples: int
    detectors: tuple[str, ...]
    default_level: DataLevel
    derived_category: str | None
    rulesets: Mapping[str, RuleSet] = attrs.field(converter=_freeze)
    invariants: tuple[Invariant, ...] = attrs.field(default=(), kw_only=True)
    category_floors: Mapping[str, tuple[DataLevel, Hit]] = attrs.field(
        factory=dict, converter=_freeze, kw_only=True)
    unknown_field_mask: str | None = attrs.field(default=None, kw_only=True)
    zone: ZoneInfo = attrs.field(factory=lambda: ZoneInfo("Asia/Shanghai"), kw_only=True)


def mask_known(mask: str) -> bool:
    """Whether ``mask`` names a masker (``MASKS`` or ``partial:F:L``)."""
    return mask in MASKS or _PARTIAL.fullmatch(mask) is not None


def _retention(ctx: BuildContext, path: tuple[str | int, ...], name: str, days: int | None,
               period: PeriodSpec | None, after: str) -> Period:
    """One retention as a ``Period``: from ``<name>_days`` (after ``after``) or ``<name>``."""
    if (days is None) == (period is None):
        ctx.problem(path, f"give exactly one of `{name}_days` and `{name}`", "retention")
    if period is not None:
        return period.build()
    return Period(days=days or 1, after=after)


def _levels(spec: ClassificationSpec, ctx: BuildContext) -> list[DataLevel]:
    """The spec's levels, checked for order, grades and cites."""
    levels = [DataLevel.parse(lv.name) for lv in spec.levels]
    if ctx.no_repeats(("levels",), levels) and levels != sorted(levels):
        ctx.problem(("levels",), "levels must be listed lowest first: "
                    + ", ".join(str(lv) for lv in DataLevel), "level_order")
    grades = [lv.grade for lv in spec.levels]
    if grades != sorted(grades):
        ctx.problem(("levels",), "JR/T 0197 grades must not fall as levels rise", "grade_order")
    for i, lv in enumerate(spec.levels):
        ctx.check_cite(lv.cite, ("levels", i, "cite"))
    return levels


def _category_floors(spec: ClassificationSpec, ctx: BuildContext,
                     known: set[str]) -> dict[str, tuple[DataLevel, Hit]]:
    """Each category's ``min_level`` with the ``Hit`` that explains it."""
    floors: dict[str, tuple[DataLevel, Hit]] = {}
    for name, cat in spec.categories.items():
        ctx.check_cite(cat.cite, ("categories", name, "cite"))
        if cat.min_level is not None:
            if cat.min_level not in known:
                ctx.problem(("categories", name, "min_level"), f"unknown level "
                            f"`{cat.min_level}`{hint(cat.min_level, sorted(known))}",
                            "unknown_level")
                continue
            floors[name] = (DataLevel.parse(cat.min_level), Hit(
                f"category-{name.replace('_', '-')}-min-level",
                f"Every field of the category {cat.title} is at least {cat.min_level} data.",
                cat.cite))
    return floors


def _handling(spec: ClassificationSpec, ctx: BuildContext,
              known: set[str]) -> dict[DataLevel, Handling]:
    """The handling of each known level; every level needs one."""
    for name in known - set(spec.handling):
        ctx.problem(("handling",), f"no handling for level `{name}`", "missing_handling")
    handling: dict[DataLevel, Handling] = {}
    for name, h in spec.handling.items():
        if name not in known:
            ctx.problem(("handling", name),
                        f"unknown level `{name}`{hint(name, sorted(known))}", "unknown_level")
            continue
        ctx.check_cite(h.cite, ("handling", name, "cite"))
        level = DataLevel.parse(name)
        retention = _retention(ctx, ("handling", name), "retention", h.retention_days,
                               h.retention, "purpose_end")
        audit = _retention(ctx, ("handling", name), "audit_log_retention",
                           h.audit_log_retention_days, h.audit_log_retention, "logged")
        handling[level] = Handling(level, h.encryption_at_rest, h.encryption_in_transit,
                                   h.storage, h.mask_on_display, h.approval_required,
                                   h.retention_days, h.destruction,
                                   h.audit_log_retention_days, h.cite, retention=retention,
                                   audit_log_retention=audit)
    return handling


def _check_settings(spec: ClassificationSpec, ctx: BuildContext, known: set[str]) -> None:
    """Check the detectors, default level, derived category and unknown-field mask."""
    for i, det in enumerate(spec.content.detectors):
        if det not in DETECTORS:
            ctx.problem(("content", "detectors", i), f"unknown detector `{det}`, expected one "
                        f"of {', '.join(DETECTORS)}", "unknown_detector")
    if spec.default_level not in known:
        ctx.problem(("default_level",), f"unknown level `{spec.default_level}`"
                    f"{hint(spec.default_level, sorted(known))}",
                    "unknown_level")
    if spec.derived_category is not None and spec.derived_category not in spec.categories:
        ctx.problem(("derived_category",), f"unknown category `{spec.derived_category}`",
                    "unknown_category")
    if spec.unknown_field_mask is not None and not mask_known(spec.unknown_field_mask):
        ctx.problem(("unknown_field_mask",), f"unknown mask `{spec.unknown_field_mask}`, "
                    f"expected one of {', '.join(MASKS)} or partial:F:L", "unknown_mask")


def _zone(spec: ClassificationSpec, ctx: BuildContext) -> ZoneInfo:
    try:
        return ZoneInfo(spec.settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.problem(("settings", "time_zone"), f"unknown time zone `{spec.settings.time_zone}`",
                    "unknown_time_zone")
        return ZoneInfo("UTC")


def _rules(spec: ClassificationSpec, ctx: BuildContext, known: set[str]) -> list[Rule]:
    """Check each rule's level, category and mask, then compile the rules."""
    for i, rs in enumerate(spec.rules):
        path = ("rules", i)
        if rs.level not in known:
            ctx.problem((*path, "level"),
                        f"unknown level `{rs.level}`{hint(rs.level, sorted(known))}",
                        "unknown_level")
        if rs.category is not None and rs.category not in spec.categories:
            ctx.problem((*path, "category"), f"unknown category `{rs.category}`, expected one "
                        f"of {', '.join(spec.categories)}", "unknown_category")
        if rs.mask is not None and not mask_known(rs.mask):
            ctx.problem((*path, "mask"), f"unknown mask `{rs.mask}`, expected one of "
                        f"{', '.join(MASKS)} or partial:F:L", "unknown_mask")
    return [rule for _, rule in compile_rules(spec.rules, ctx, fields=FIELDS, effect=lambda rs: {
        "level": rs.level, "category": rs.category, "pfi_category": rs.pfi_category,
        "mask": rs.mask, "overrides_sources": rs.overrides_sources})]


def build(spec: ClassificationSpec, ctx: BuildContext) -> ClassificationRules:
    """Check the spec and compile it; report every problem through ``ctx``."""
    levels = _levels(spec, ctx)
    known = {str(lv) for lv in levels}
    floors = _category_floors(spec, ctx, known)
    handling = _handling(spec, ctx, known)
    _check_settings(spec, ctx, known)
    rules = _rules(spec, ctx, known)
    check_rule_literals(spec, ctx)

    return ClassificationRules(
        invariants=parse_invariants(spec.invariants, ctx, FIELDS,
                                    {"decision.level_rank": "number"}),
        levels=tuple(levels),
        titles={DataLevel.parse(lv.name): lv.title for lv in spec.levels},
        grades={DataLevel.parse(lv.name): lv.grade for lv in spec.levels},
        pfi_categories={DataLevel.parse(lv.name): lv.pfi_category for lv in spec.levels},
        categories={n: c.title for n, c in spec.categories.items()},
        handling=handling, threshold=spec.content.threshold,
        min_samples=spec.content.min_samples,
        detectors=tuple(d for d in dict.fromkeys(spec.content.detectors) if d in DETECTORS),
        default_level=DataLevel.parse(spec.default_level),
        derived_category=spec.derived_category,
        unknown_field_mask=spec.unknown_field_mask, zone=_zone(spec, ctx),
        rulesets={RULESET: RuleSet(RULESET, tuple(rules))}, category_floors=floors)


def _standing(ruleset: str, rule: Rule) -> Standing:
    """The highest level wins; the category, masks and source override a rule sets are taken
    from the highest-level matching rule that sets them, so a lower rule matters only for
    what no stronger rule sets."""
    sets = frozenset(key for key in ("category", "pfi_category", "mask", "overrides_sources")
                     if rule.effect.get(key))
    return Standing("level", int(DataLevel.parse(rule.effect["level"])),
                    tuple(rule.effect.get(k) for k in (
                        "level", "category", "pfi_category", "mask", "overrides_sources")),
                    sets)


def _domains(spec: ClassificationSpec) -> dict[str, Collection[Scalar]]:
    """Only the policy's detectors run: the others' shares are never given."""
    enabled = [d for d in spec.content.detectors if d in DETECTORS]
    out: dict[str, Collection[Scalar]] = {f"detector.{name}.share": () for name in DETECTORS
                                          if name not in enabled}
    out["detected"] = tuple(enabled)
    return out


POLICY_KIND: PolicyKind[ClassificationSpec, ClassificationRules] = PolicyKind(
    KIND, ClassificationSpec, build,
    summary="Data classification: levels, categories, handling, content detectors, masking.",
    fields=FIELDS,
    labels=LABELS,
    combining="a field takes the highest level of the matching rules (the policy's default "
              "level when none matches); derived data at least the level of its sources",
    authoring=Authoring(_standing, _domains))
