"""Inputs and results of data classification: ``DataField``, ``DataLevel``, ``Handling``,
``ClassificationDecision`` and ``RecordClassificationDecision``."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

import attrs
from pydantic import Field, field_validator

from finpolicy.decisions import Decision
from finpolicy.domains.detectors import identifiers_in_text
from finpolicy.identity import clean_term
from finpolicy.inputs import InputModel
from finpolicy.limits import (
    MAX_ITEMS,
    MAX_SAMPLE_LENGTH,
    MAX_SAMPLES,
    MAX_TERM_LENGTH,
    MAX_TEXT_LENGTH,
)
from finpolicy.periods import Period

_Name = Annotated[str, Field(max_length=MAX_TERM_LENGTH)]


class DataLevel(enum.IntEnum):
    """Sensitivity levels, ordered: ``ORDINARY < IMPORTANT < CORE`` (seed 000 §5.4).

    A policy names its levels lowest first with these names in lower case; ``str()`` gives
    that name.
    """

    ORDINARY = 0
    IMPORTANT = 1
    CORE = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: Any) -> DataLevel:
        """A level from a ``DataLevel``, its lower-case name or its rank."""
        if isinstance(value, DataLevel):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        raise ValueError(f"unknown data level {value!r}, expected one of "
                         f"{', '.join(str(m) for m in cls)}")


class DataField(InputModel):
    """One data field to classify: its name and, optionally, sample values, tags and sources.

    Attributes:
        name: the column or attribute name, in English or Chinese (``身份证号``).
        sample_values: example values, as text; content detectors read them.
        tags: labels the owning system gives the field (``contact``, ``authentication``...).
        description: free text for people; not used by rules.
        derived_from: names of the fields this one is computed from; a derived field takes
            the highest level of its sources unless a rule says otherwise.
    """

    name: str = Field(min_length=1, max_length=MAX_TERM_LENGTH)
    sample_values: list[Annotated[str, Field(max_length=MAX_SAMPLE_LENGTH)]] = Field(
        default_factory=list, max_length=MAX_SAMPLES)
    tags: list[_Name] = Field(default_factory=list, max_length=MAX_ITEMS)
    description: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)
    derived_from: list[_Name] = Field(default_factory=list, max_length=MAX_ITEMS)

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not clean_term(value).strip():  # (a zero-width space is no name either)
            raise ValueError("the field name is blank")
        return value

    @field_validator("tags", "derived_from")
    @classmethod
    def _items_not_blank(cls, value: list[str]) -> list[str]:
        if any(not t.strip() for t in value):
            raise ValueError("an entry is blank")
        return value


LONG_SAMPLE = "<long text>"
"""What stands for a sample value longer than ``MAX_SAMPLE_LENGTH`` in scans, records and
``mask``, followed by the identifiers found in it (``bounded_sample``): no whole-value
detector matches it (no identifier is that long), yet it counts as a value."""


def bounded_sample(value: str) -> str:
    """``value``, or, when even without surrounding spaces it is longer than
    ``MAX_SAMPLE_LENGTH`` characters, ``LONG_SAMPLE`` and a line per identifier the
    ``*_in_text`` detectors find in it (the first of each kind, as written), so a long note
    holding an ID number is still found to hold one."""
    if len(value) <= MAX_SAMPLE_LENGTH or len(value.strip()) <= MAX_SAMPLE_LENGTH:
        return value if len(value) <= MAX_SAMPLE_LENGTH else value.strip()
    return "\n".join([LONG_SAMPLE, *identifiers_in_text(value)])


def share_text(share: float) -> str:
    """``share`` as a whole percentage that never rounds a match away or up to all of them:
    ``<1%`` for one value in a thousand, ``>99%`` for all but one."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


@attrs.frozen(slots=True)
class Handling:
    """How data of one level must be handled through its life cycle (seed 002 §2.2–2.3).

    Attributes:
        level: the level these requirements belong to.
        encryption_at_rest: cipher required in storage, or ``None`` when not required.
        encryption_in_transit: protocol required on the wire, or ``None``.
        storage: where it may be stored (``encrypted_database``, ``disaster_recovery``...).
        mask_on_display: every field of the level is masked when shown (fully, unless its rule
            names a mask); fields of other levels are masked only when their rule names one.
        approval_required: use needs an approved, purpose-bound grant.
        retention_days: how long it is kept after the purpose ends, in days, when the policy
            gives days (``None`` when it gives a period; see ``retention``).
        destruction: how it is destroyed when the retention ends.
        audit_log_retention_days: how long access logs of it are kept, in days, when the
            policy gives days (``None`` when it gives a period).
        cite: the source of these requirements.
        retention: how long it is kept, as a period from an event (always set; from
            ``retention_days`` counted after ``purpose_end`` when the policy gives days).
        audit_log_retention: how long access logs of it are kept, as a period from an event
            (always set; from ``audit_log_retention_days`` after ``logged``).

    .. versionchanged:: 0.2.0
       ``retention`` and ``audit_log_retention``; the ``*_days`` fields may be ``None``.
    """

    level: DataLevel
    encryption_at_rest: str | None
    encryption_in_transit: str | None
    storage: str
    mask_on_display: bool
    approval_required: bool
    retention_days: int | None
    destruction: str
    audit_log_retention_days: int | None
    cite: str
    # always set (from the days when the policy gives days): typed so, for a type checker
    retention: Period = attrs.field(kw_only=True)
    audit_log_retention: Period = attrs.field(kw_only=True)

    def summary(self) -> str:
        """One short line for tables."""
        parts = []
        if self.encryption_at_rest:
            parts.append(f"{self.encryption_at_rest} at rest")
        if self.encryption_in_transit:
            parts.append(self.encryption_in_transit)
        parts.append(self.storage.replace("_", " "))
        if self.mask_on_display:
            parts.append("masked")
        if self.approval_required:
            parts.append("approval")
        return ", ".join(parts)


def _levels(value: Mapping[str, DataLevel]) -> Mapping[str, DataLevel]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True, kw_only=True)
class ClassificationDecision(Decision):
    """The level, category and handling of one field.

    Attributes:
        field: the field's name as given.
        level: the highest level of the matching rules (and, for derived data, its sources).
        category: data category (seed 002 §2.2), ``None`` when no rule gave one.
        grade: JR/T 0197 security grade of the level.
        pfi_category: JR/T 0171 personal financial information category (``C1``-``C3``) or
            ``None`` for data that is not personal financial information.
        handling: the level's handling requirements.
        mask: the masker shown values go through (a ``MASKS`` name or ``partial:F:L``), or
            ``None`` when values are shown as they are.
        detector: the content detector behind the decision: the one a matching rule of the
            highest level reads (``detected contains NAME``, or ``detector.NAME.share``
            above a bound) with a share above 0, else the one with the highest share at or
            above the policy's threshold, or ``None``.
        share: that detector's share of non-empty sample values.
        sources: levels of the fields a derived field is computed from.
    """

    field: str
    level: DataLevel
    category: str | None
    grade: int
    pfi_category: str | None
    handling: Handling
    mask: str | None
    detector: str | None = None
    share: float | None = None
    sources: Mapping[str, DataLevel] = attrs.field(factory=dict, converter=_levels,
                                                   hash=False)  # (a mapping: not hashed)

    def _details(self) -> list[str]:
        lines = [f"field `{self.field}`: level {self.level} (JR/T 0197 grade {self.grade}"
                 + (f", JR/T 0171 {self.pfi_category}" if self.pfi_category else "") + ")"
                 + (f", category {self.category}" if self.category else "")]
        if self.detector is not None and self.share is not None:
            lines.append(f"content: {self.detector} matched {share_text(self.share)} of "
                         "sample values")
        if self.sources:
            lines.append("derived from: " + ", ".join(f"{k} ({v})"
                                                      for k, v in self.sources.items()))
        lines.append(f"handling: {self.handling.summary()}"
                     + (f"; display mask {self.mask}" if self.mask else ""))
        return lines

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["sources"] = {k: str(v) for k, v in self.sources.items()}
        return data


def _decisions(value: Mapping[str, ClassificationDecision]
               ) -> Mapping[str, ClassificationDecision]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True, kw_only=True)
class RecordClassificationDecision(Decision):
    """Every field of a record classified; the record takes the highest level of its fields.

    Attributes:
        level: the record's level.
        fields: field name → its classification, in the record's order.
        handling: the handling of the record's level.
    """

    level: DataLevel
    fields: Mapping[str, ClassificationDecision] = attrs.field(converter=_decisions,
                                                             hash=False)  # (a mapping: not hashed)
    handling: Handling

    def __getitem__(self, name: str) -> ClassificationDecision:
        return self.fields[name]

    def _details(self) -> list[str]:
        return [f"record level {self.level}: "
                + ", ".join(f"{n} {c.level}" for n, c in self.fields.items())]

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["fields"] = {n: c.to_dict() for n, c in self.fields.items()}
        return data
