"""Pydantic models of the common policy envelope (``apiVersion``, ``kind``, ``metadata``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from finpolicy.inputs import Day

# ASCII: `\d` alone takes any script's digits, so `1.2٣.0` was a semantic version
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?", re.ASCII)
_ID = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


def _day_only(value: Any) -> Any:
    """A policy's day is a date: pydantic would take ``2026-01-01T00:00:00`` (and a YAML
    date with a time) as that day, which the JSON schema's ``format: date`` refuses."""
    if isinstance(value, dt.datetime) or (
            isinstance(value, str) and not _DATE.fullmatch(value.strip())):
        raise PydanticCustomError("bad_date", "expected an ISO date (2026-03-01), got `{value}`",
                                  {"value": str(value)})
    return value


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
PolicyDay = Annotated[Day, BeforeValidator(_day_only)]
"""A day in a policy: a date or its ISO text, never a time or a number."""


class Strict(BaseModel):
    """Policy models reject unknown keys, so a misspelt key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class Source(Strict):
    """A citation: the regulation or handbook and the article or section."""

    id: str = Field(description="Short key rules use in `cite`, e.g. `nfra-2025-7`.")
    title: str = Field(description="Title of the regulation, standard or handbook.")
    article: str | None = Field(default=None, description="Article or section, e.g. `Art. 29`.")
    url: str | None = Field(default=None, description="Where to read it.")


class Metadata(Strict):
    """Who owns a policy, which version it is and when it is in force."""

    id: str = Field(description="Stable policy id, lower-case with hyphens.")
    version: str = Field(description="Semantic version, e.g. `2.1.0`.")
    title: str = Field(description="Human title.")
    effective_from: PolicyDay = Field(description="First day in force (inclusive).")
    effective_until: PolicyDay | None = Field(
        default=None, description="Last day in force (inclusive); open-ended when absent.")
    jurisdiction: str = Field(description="Where it applies, e.g. `CN`, `GB`.")
    owner: str = Field(description="The team accountable for it.")
    description: str | None = Field(default=None, description="A paragraph for the docs.")
    sources: list[Source] = Field(default_factory=list,
                                  description="Citations the rules point at.")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError("expected lower-case letters, digits and hyphens, e.g. "
                             "`cn-suitability`")
        return value

    @field_validator("sources")
    @classmethod
    def _one_source_an_id(cls, value: list[Source]) -> list[Source]:
        seen: set[str] = set()
        for source in value:
            if source.id in seen:  # a rule's `cite` would name either
                raise ValueError(f"source id `{source.id}` is listed twice")
            seen.add(source.id)
        return value

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not _SEMVER.fullmatch(value):
            raise ValueError(f"expected a semantic version like `1.0.0`, got `{value}`")
        return value

    @field_validator("effective_until")
    @classmethod
    def _window(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # on the key to change (its line), so the rest of the document is checked all the same
        start = info.data.get("effective_from")
        if value is not None and isinstance(start, dt.date) and value < start:
            raise ValueError(f"`{value}` is before `effective_from` (`{start}`): a version is "
                             "in force from its first day to its last")
        return value

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until)

    def window(self) -> str:
        return f"{self.effective_from}..{self.effective_until or ''}"

    def source_ids(self) -> set[str]:
        return {s.id for s in self.sources}


class Envelope(Strict):
    """Every policy document: ``apiVersion``, ``kind``, ``metadata`` and a kind-specific spec."""

    apiVersion: Literal["finpolicy/v1"] = Field(description="Always `finpolicy/v1`.")
    kind: str = Field(description="The policy kind, e.g. `SuitabilityPolicy`.")
    metadata: Metadata
    spec: dict[str, Any] = Field(description="The kind's own schema.")


class VocabularySpec(Strict):
    """A declared list of the names a policy may use for one kind of thing (obligations,
    product kinds, channels, event names …), so that a misspelt name is an error, not a new
    name.

    ``fields`` binds the vocabulary to facts: a condition comparing one of them with a literal,
    and every input value of one of them, must use a declared term. The vocabulary named
    ``obligations`` also covers the obligations of every rule.
    """

    terms: list[str] = Field(min_length=1, description="Every name allowed.")
    fields: list[str] = Field(default_factory=list,
                              description="Facts whose values are terms, e.g. `product.kind`.")
    cite: str | None = Field(default=None,
                             description="Where the names come from (source id and article).")


class Manifest(Strict):
    """``bundle.yaml``: names a bundle of policy documents."""

    name: str = Field(description="Bundle name, e.g. `cn-banking`.")
    version: str = Field(description="Semantic version of the bundle.")
    description: str = Field(default="", description="What the bundle is for.")
    jurisdiction: str | None = Field(default=None, description="Main jurisdiction.")
    vocabulary: dict[str, VocabularySpec] = Field(
        default_factory=dict, description="Vocabularies every policy of the bundle shares "
                                          "(a policy's own `spec.vocabulary` adds to them).")
    language: Literal["en", "zh"] | None = Field(
        default=None, description="The language of the pack's sources: `zh` shows each "
                                  "fact's Chinese label beside its English one in rule text.")

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not _SEMVER.fullmatch(value):
            raise ValueError(f"expected a semantic version like `1.0.0`, got `{value}`")
        return value


class InvariantSpec(Strict):
    """A property every decision of the policy must have, checked by ``finpolicy.testing``.

    ``given`` selects the inputs it speaks about (all inputs when absent); ``expect`` must then
    hold. Both are conditions over the domain's facts plus ``decision.outcome``,
    ``decision.obligations`` and ``decision.rules`` (the ids of the rules that fired).
    """

    name: str = Field(min_length=1, description="What must always hold, in words.")
    given: dict[str, Any] | None = Field(
        default=None, description="Condition selecting the inputs.")
    expect: dict[str, Any] = Field(description="Condition the decision must satisfy.")
    cite: str | None = Field(default=None, description="Why: the source it protects.")


class PolicySpec(Strict):
    """Base of every kind's ``spec``: what all kinds share (invariants, vocabularies)."""

    vocabulary: dict[str, VocabularySpec] = Field(
        default_factory=dict, description="Declared names by vocabulary (`obligations`, "
                                          "`product_kinds` …), checked in rules and inputs.")

    invariants: list[InvariantSpec] = Field(
        default_factory=list, description="Properties every decision must have (checked by "
                                          "`finpolicy.testing.check_invariants`).")
