"""The ``ConsentPolicy`` kind: its spec schema and its build (the facts its rules read are in
``facts``).

A consent policy declares purposes (with their lawful basis, whether they need separate
consent, how long a consent lasts, which notices count, and the channels they reach customers
on with allowed hours and frequency caps), the data levels and categories that are sensitive,
what a withdrawal stops and from when, and four rule sets:

- ``requirements``: what the consent must be for a request (``require: [...]``);
- ``processing``: deny, allow or obligation rules over the request, the consent found and the
  contact (deny overrides; without an allow rule the request is denied);
- ``review_consent`` and ``review_use``: review rules reporting findings about consent records
  and about contacts or processing that happened.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from pydantic import Field, StrictBool, StrictFloat, StrictInt, field_validator

from finpolicy.decisions import Hit
from finpolicy.documents.models import PolicySpec, Strict
from finpolicy.documents.registry import BuildContext, PolicyKind
from finpolicy.domains.consent.facts import (
    FIELDS,
    REQUEST_FIELDS,
    REVIEW_CONSENT_FIELDS,
    REVIEW_USE_FIELDS,
)
from finpolicy.domains.consent.labels import LABELS
from finpolicy.domains.consent.precedence import AUTHORING, PROCESSING, REQUIREMENTS
from finpolicy.rules.compile import NAME, RuleSpecBase, compile_rules
from finpolicy.rules.invariants import Invariant, parse_invariants
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.vocabulary import hint

__all__ = ["CONSENT_FAILURES", "FIELDS", "KIND", "POLICY_KIND", "PROCESSING", "REQUIREMENTS",
           "REQUIREMENT_NAMES", "REVIEW_CONSENT", "REVIEW_USE", "ConsentRules", "ConsentSpec",
           "ContactCell", "Purpose"]

KIND = "ConsentPolicy"
REVIEW_CONSENT = "review_consent"
REVIEW_USE = "review_use"

# What a requirement rule may ask of the consent (checked in Python by ``consents.failures``).
REQUIREMENT_NAMES: dict[str, str] = {
    "consent": "a consent for the purpose that is in force",
    "separate_consent": "a consent given separately, not bundled with other terms",
    "channel_named": "a consent naming the contact's channel",
    "recipient_named": "a consent naming the recipient",
    "levels_named": "a consent naming every data level used",
    "guardian_consent": "a consent given by the minor's parent or other guardian",
}

# Why a consent does not count, in the order they are checked; rules test `consent.failures`.
CONSENT_FAILURES: dict[str, str] = {
    "not_yet_given": "the consent was given after the time of processing",
    "withdrawn": "the consent was withdrawn, or a withdrawal stopped its purpose",
    "expired": "the consent had expired by its own terms",
    "lapsed": "the consent is older than the policy lets a consent last",
    "notice_outdated": "the consent names no notice the policy accepts",
    "not_separate": "the consent was bundled with other terms, not given separately",
    "channel_not_covered": "the consent does not cover (or name) the contact's channel",
    "recipient_not_covered": "the consent does not name the recipient",
    "level_not_covered": "the consent does not cover (or name) a data level used",
    "category_not_covered": "the consent does not cover a data category used",
    "not_by_guardian": "the customer is (or was, when it was given) a minor, and the consent "
                       "was not given by a guardian",
    "not_by_customer": "a guardian gave the consent for a customer who was not a minor then "
                       "(or whose date of birth is not given)",
}

Severity = Literal["high", "medium", "low"]
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


# --- spec schema --------------------------------------------------------------------------

class HoursSpec(Strict):
    """Allowed local hours: from ``start`` (inclusive) to ``end`` (exclusive), customer's
    local time; ``start`` after ``end`` crosses midnight (``"20:00"`` to ``"08:00"``)."""

    start: str = Field(description='Local time, quoted: `"08:00"`.')
    end: str = Field(description='Local time, quoted: `"21:00"` (exclusive).')

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError('write the time in quotes, e.g. "21:00" (YAML reads 21:00 '
                             "unquoted as a number)")
        if isinstance(value, str) and not _TIME.fullmatch(value):
            raise ValueError(f'expected a time `HH:MM`, got `{value}`')
        return value


class CapSpec(Strict):
    """At most ``contacts`` contacts in any ``days`` × 24 hours."""

    contacts: StrictInt = Field(ge=1, description="Contacts allowed in the window.")
    days: StrictInt = Field(ge=1, description="The window, in days of 24 hours.")


class ContactSpec(Strict):
    """How a purpose may reach customers on one channel."""

    hours: HoursSpec | None = Field(default=None,
                                    description="Allowed hours (any time when absent).")
    cap: CapSpec | None = Field(default=None, description="Frequency cap (none when absent).")


class ChannelSpec(Strict):
    """A channel the bank contacts customers on."""

    title: str = Field(description="Human name of the channel.")


class PurposeSpec(Strict):
    """A purpose of processing: its lawful basis and what a consent to it must be."""

    title: str = Field(description="Human name of the purpose.")
    basis: Literal["consent", "contract", "legal_duty"] = Field(
        description="Lawful basis (PIPL Art. 13): consent, a contract the customer is party "
                    "to, or a legal duty.")
    separate: StrictBool = Field(default=False,
                                 description="Consents to it must be given separately.")
    consent_days: StrictInt | None = Field(
        default=None, ge=1, description="A consent lasts at most this many days from when it "
                                        "was given.")
    notices: list[str] = Field(default_factory=list, description="Notice versions a consent "
                                                                 "must name (any when empty).")
    contact: dict[str, ContactSpec] = Field(
        default_factory=dict, description="Channels it reaches customers on, with allowed "
                                          "hours and caps (none: it never contacts anyone).")
    cite: str = Field(description="Source of the purpose's basis.")


class SensitiveSpec(Strict):
    """Data levels and categories that are sensitive personal information, and the age
    below which a customer's data is (a minor's)."""

    levels: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    minors_under: StrictInt | None = Field(
        default=None, ge=1, le=30, json_schema_extra={"unit": "years of age"},
        description="A customer younger than this many years (by the request's `birth_date`) "
                    "is a minor: all their data is sensitive (`customer.minor`).")
    cite: str


class ProfilingSpec(Strict):
    """Personalised processing (chosen by automated decision-making from the customer's
    profile) also needs a consent in force to ``purpose`` (``profile.consented``): a
    customer who refused or withdrew it is not profiled."""

    purpose: str = Field(description="The purpose whose consent covers the profile.")
    cite: str


class AutomatedDecisionSpec(Strict):
    """Decisions made solely by automated means for the ``significant`` purposes affect the
    customer's rights and interests significantly: the customer may refuse them
    (``request.significant``, ``automated.refused``; PIPL Art. 24 ¶3)."""

    significant: list[str] = Field(min_length=1, description="Purposes whose decisions "
                                   "affect the customer's rights and interests significantly.")
    cite: str


class WithdrawalSpec(Strict):
    """What a withdrawal stops and from when."""

    scope: Literal["consent", "purpose"] = Field(
        "purpose", description="`purpose`: a withdrawal stops every consent to its purpose "
                               "given before it; `consent`: only the consent withdrawn.")
    delay_hours: StrictFloat = Field(0, ge=0, description="Hours after the withdrawal before it "
                                                          "takes effect (0: at once).")
    also_stops: dict[str, list[str]] = Field(
        default_factory=dict, description="Purpose → other purposes a withdrawal of it stops.")
    cite: str


class RequirementSpec(RuleSpecBase):
    """A requirement rule: when it holds, the consent must meet ``require``."""

    require: list[Literal["consent", "separate_consent", "channel_named", "recipient_named",
                          "levels_named", "guardian_consent"]] = Field(min_length=1)


def _both_outcomes() -> list[Literal["allow", "deny"]]:
    return ["allow", "deny"]


class RuleSpec(RuleSpecBase):
    """A processing rule: deny, allow, or attach obligations."""

    effect: Literal["deny", "allow", "obligation"]
    applies_to: list[Literal["allow", "deny"]] = Field(
        default_factory=_both_outcomes,
        description="For obligation rules: the outcomes the obligations come with.")


class ReviewRuleSpec(RuleSpecBase):
    """A review rule: when it holds for a consent record (``target: consent``) or a contact
    or processing record (``target: use``), it reports a finding."""

    target: Literal["consent", "use"] = "consent"
    finding: str
    severity: Severity


class ConsentSpec(PolicySpec):
    """Spec of a ``ConsentPolicy`` document."""

    time_zone: str = Field("Asia/Shanghai", description="Customers' zone when a request "
                                                        "gives none.")
    home_country: str = Field(description="ISO code; recipients elsewhere are abroad.")
    levels: list[str] = Field(min_length=1, description="Data levels, lowest first (those "
                                                        "of the classification policy).")
    categories: list[str] = Field(min_length=1)
    channels: dict[str, ChannelSpec] = Field(min_length=1)
    purposes: dict[str, PurposeSpec] = Field(min_length=1)
    sensitive: SensitiveSpec | None = None
    profiling: ProfilingSpec | None = None
    automated_decisions: AutomatedDecisionSpec | None = None
    withdrawal: WithdrawalSpec
    requirements: list[RequirementSpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(min_length=1)
    review_rules: list[ReviewRuleSpec] = Field(default_factory=list)


# --- the compiled policy ------------------------------------------------------------------

def _freeze(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class ContactCell:
    """A purpose's rule for one channel: allowed hours (``None``: any time) and cap."""

    start: dt.time | None = None
    end: dt.time | None = None
    cap: int | None = None
    cap_days: int | None = None

    @property
    def wraps(self) -> bool:
        """The allowed hours cross midnight."""
        return self.start is not None and self.end is not None and self.start > self.end

    def in_hours(self, local: dt.time) -> bool:
        """Whether a local time of day is within the allowed hours."""
        if self.start is None or self.end is None:
            return True
        if self.wraps:
            return local >= self.start or local < self.end
        return self.start <= local < self.end


@attrs.frozen(slots=True)
class Purpose:
    """A compiled purpose."""

    name: str
    title: str
    basis: str
    separate: bool
    consent_days: int | None
    notices: frozenset[str]
    contact: Mapping[str, ContactCell] = attrs.field(converter=_freeze)
    cite: str


@attrs.frozen(slots=True)
class ConsentRules:
    """A built consent policy: vocabularies, purposes, withdrawal semantics and rule sets.

    Attributes:
        stopped_by: purpose → the purposes whose withdrawal stops it (itself included when
            the withdrawal scope is ``purpose``).
        hit_of: rule id → its ``Hit`` (built once: decisions share them).
    """

    levels: tuple[str, ...]
    categories: frozenset[str]
    channels: Mapping[str, str] = attrs.field(converter=_freeze)
    purposes: Mapping[str, Purpose] = attrs.field(converter=_freeze)
    sensitive_levels: frozenset[str]
    sensitive_categories: frozenset[str]
    minors_under: int | None
    profiling_purpose: str | None
    zone: ZoneInfo
    home_country: str
    withdrawal_scope: str
    withdrawal_delay: dt.timedelta
    stopped_by: Mapping[str, frozenset[str]] = attrs.field(converter=_freeze)
    rulesets: Mapping[str, RuleSet] = attrs.field(converter=_freeze)
    invariants: tuple[Invariant, ...] = ()
    significant: frozenset[str] = frozenset()   # automated decisions' significant purposes
    level_rank: Mapping[str, int] = attrs.field(init=False, converter=_freeze)
    hit_of: Mapping[str, Hit] = attrs.field(init=False, converter=_freeze)

    @level_rank.default
    def _ranks(self) -> Mapping[str, int]:
        return {level: i for i, level in enumerate(self.levels)}

    @hit_of.default
    def _hits(self) -> Mapping[str, Hit]:
        return {r.id: Hit.of(r) for rs in self.rulesets.values() for r in rs.rules}


def _check_names(values: list[str], known: Any, what: str, path: tuple[str | int, ...],
                 ctx: BuildContext) -> None:
    for i, value in enumerate(values):
        if value not in known:
            ctx.problem((*path, i), f"unknown {what} `{value}`{hint(value, sorted(known))}",
                        f"unknown_{what}")


def _vocabulary(spec: ConsentSpec, ctx: BuildContext) -> None:
    for name, values in (("levels", spec.levels), ("categories", spec.categories)):
        ctx.no_repeats((name,), values)
    for group, names in (("channels", spec.channels), ("purposes", spec.purposes)):
        for name in names:
            if not NAME.fullmatch(name):
                ctx.problem((group, name), f"`{name}` should be lower-case words joined by "
                                           "`_`", "bad_name")
    if spec.sensitive is not None:
        _check_names(spec.sensitive.levels, spec.levels, "level", ("sensitive", "levels"), ctx)
        _check_names(spec.sensitive.categories, spec.categories, "category",
                     ("sensitive", "categories"), ctx)
        ctx.check_cite(spec.sensitive.cite, ("sensitive", "cite"))
    if spec.profiling is not None:
        named = spec.profiling.purpose
        if named not in spec.purposes:
            ctx.problem(("profiling", "purpose"), f"unknown purpose `{named}`"
                        f"{hint(named, sorted(spec.purposes))}", "unknown_purpose")
        ctx.check_cite(spec.profiling.cite, ("profiling", "cite"))
    if (automated := spec.automated_decisions) is not None:
        _check_names(automated.significant, spec.purposes, "purpose",
                     ("automated_decisions", "significant"), ctx)
        ctx.check_cite(automated.cite, ("automated_decisions", "cite"))
    withdrawal = spec.withdrawal
    ctx.check_cite(withdrawal.cite, ("withdrawal", "cite"))
    for purpose, stops in withdrawal.also_stops.items():
        if purpose not in spec.purposes:
            ctx.problem(("withdrawal", "also_stops", purpose), f"unknown purpose `{purpose}`",
                        "unknown_purpose")
        _check_names(stops, spec.purposes, "purpose", ("withdrawal", "also_stops", purpose),
                     ctx)


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _purposes(spec: ConsentSpec, ctx: BuildContext) -> dict[str, Purpose]:
    out = {}
    for name, p in spec.purposes.items():
        ctx.check_cite(p.cite, ("purposes", name, "cite"))
        cells = {}
        for channel, rule in p.contact.items():
            path = ("purposes", name, "contact", channel)
            if channel not in spec.channels:
                ctx.problem(path, f"unknown channel `{channel}`, expected one of "
                                  f"{', '.join(spec.channels)}", "undeclared_channel")
            start = end = None
            if rule.hours is not None:
                start, end = _time(rule.hours.start), _time(rule.hours.end)
                if start == end:
                    ctx.problem((*path, "hours"), "`start` equals `end`: give a window, or "
                                                  "omit `hours` for any time", "bad_hours")
            cells[channel] = ContactCell(start, end, rule.cap.contacts if rule.cap else None,
                                         rule.cap.days if rule.cap else None)
        if p.basis != "consent" and (p.separate or p.consent_days or p.notices):
            ctx.problem(("purposes", name, "basis"), f"purpose `{name}` does not rest on "
                        "consent, so `separate`, `consent_days` and `notices` mean nothing",
                        "consent_settings_without_consent")
        out[name] = Purpose(name, p.title, p.basis, p.separate, p.consent_days,
                            frozenset(p.notices), cells, p.cite)
    return out


def _stopped_by(spec: ConsentSpec) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {name: set() for name in spec.purposes}
    if spec.withdrawal.scope == "purpose":
        for name in spec.purposes:
            out[name].add(name)
    for source, targets in spec.withdrawal.also_stops.items():
        for target in targets:
            out.setdefault(target, set()).add(source)
    return {k: frozenset(v) for k, v in out.items()}


def _effect_rules(spec: ConsentSpec, ctx: BuildContext, seen: set[str]) -> list[Rule]:
    for i, rs in enumerate(spec.rules):
        if rs.effect != "obligation" and rs.obligations:
            ctx.problem(("rules", i, "obligations"), "only `effect: obligation` rules carry "
                        "obligations", "misplaced_obligations")
        if rs.effect == "obligation" and not rs.obligations:
            ctx.problem(("rules", i, "obligations"), "an obligation rule needs obligations",
                        "missing_obligations")
    compiled = compile_rules(spec.rules, ctx, fields=FIELDS, seen=seen, effect=lambda rs: {
        "effect": rs.effect, "applies_to": tuple(rs.applies_to)})
    return [rule for _, rule in compiled]


def _requirement_rules(spec: ConsentSpec, ctx: BuildContext, seen: set[str]) -> list[Rule]:
    for i, rs in enumerate(spec.requirements):
        if rs.obligations:
            ctx.problem(("requirements", i, "obligations"), "requirement rules carry no "
                        "obligations", "misplaced_obligations")
    compiled = compile_rules(spec.requirements, ctx, fields=REQUEST_FIELDS, seen=seen,
                             where="requirements",
                             effect=lambda rs: {"require": tuple(dict.fromkeys(rs.require))})
    return [rule for _, rule in compiled]


def _review_rules(spec: ConsentSpec, ctx: BuildContext, seen: set[str]) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for target, fields in (("consent", REVIEW_CONSENT_FIELDS), ("use", REVIEW_USE_FIELDS)):
        chosen = [(i, rs) for i, rs in enumerate(spec.review_rules) if rs.target == target]
        for i, rs in chosen:
            if rs.obligations:
                ctx.problem(("review_rules", i, "obligations"), "review rules carry no "
                            "obligations", "misplaced_obligations")
            if not NAME.fullmatch(rs.finding):
                ctx.problem(("review_rules", i, "finding"), f"finding `{rs.finding}` should "
                            "be lower-case words joined by `_`", "bad_name")
        compiled = compile_rules([rs for _, rs in chosen], ctx, fields=fields, seen=seen,
                                 where="review_rules", positions=[i for i, _ in chosen],
                                 effect=lambda rs: {"finding": rs.finding,
                                                    "severity": rs.severity})
        out[target] = [rule for _, rule in compiled]
    return out


def build(spec: ConsentSpec, ctx: BuildContext) -> ConsentRules:
    """Check the spec's vocabulary and compile it; report every problem through ``ctx``."""
    _vocabulary(spec, ctx)
    try:
        zone = ZoneInfo(spec.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.problem(("time_zone",), f"unknown time zone `{spec.time_zone}`",
                    "unknown_time_zone")
        zone = ZoneInfo("UTC")
    purposes = _purposes(spec, ctx)
    seen: set[str] = set()
    requirement_rules = _requirement_rules(spec, ctx, seen)
    rules = _effect_rules(spec, ctx, seen)
    review = _review_rules(spec, ctx, seen)
    sensitive = spec.sensitive
    return ConsentRules(
        levels=tuple(spec.levels), categories=frozenset(spec.categories),
        channels={name: c.title for name, c in spec.channels.items()}, purposes=purposes,
        sensitive_levels=frozenset(sensitive.levels if sensitive else ()),
        sensitive_categories=frozenset(sensitive.categories if sensitive else ()),
        minors_under=sensitive.minors_under if sensitive else None,
        profiling_purpose=spec.profiling.purpose if spec.profiling else None,
        zone=zone, home_country=spec.home_country.upper(),
        withdrawal_scope=spec.withdrawal.scope,
        withdrawal_delay=dt.timedelta(hours=spec.withdrawal.delay_hours),
        stopped_by=_stopped_by(spec),
        rulesets={
            REQUIREMENTS: RuleSet(REQUIREMENTS, tuple(requirement_rules)),
            PROCESSING: RuleSet(PROCESSING, tuple(rules)),
            REVIEW_CONSENT: RuleSet(REVIEW_CONSENT, tuple(review["consent"])),
            REVIEW_USE: RuleSet(REVIEW_USE, tuple(review["use"])),
        },
        invariants=parse_invariants(spec.invariants, ctx, FIELDS),
        significant=frozenset(spec.automated_decisions.significant
                              if spec.automated_decisions else ()))


POLICY_KIND: PolicyKind[ConsentSpec, ConsentRules] = PolicyKind(
    KIND, ConsentSpec, build,
    summary="Consent and purpose limitation: purposes and their lawful basis, separate "
            "consent, channels with allowed hours and frequency caps, withdrawal, review.",
    fields=FIELDS,
    labels=LABELS, authoring=AUTHORING,
    combining="requirement rules first say what the consent must be; then deny overrides: any "
              "matching deny rule denies, and without a matching allow rule the request is "
              "denied (fails closed); obligations come from obligation rules")
