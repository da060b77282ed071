"""The JSON form of the classification operations' calls (``finpolicy serve`` request
bodies). ``scan`` reads files on the machine that runs it, so it has none: it is not served."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from finpolicy.domains.base import Call
from finpolicy.domains.classification.model import DataField
from finpolicy.inputs import Count, Day
from finpolicy.limits import MAX_LONG_ITEMS, MAX_SAMPLE_LENGTH, MAX_TERM_LENGTH

__all__ = ["CALLS", "ClassifyCall", "ClassifyRecordCall", "MaskCall"]


class ClassifyCall(Call):
    """``classify(field, as_of=..., policy=...)``: a field, or its bare name."""

    field: DataField | str
    as_of: Day | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


class ClassifyRecordCall(Call):
    """``classify_record(record, as_of=..., policy=...)``: field name → value (or samples)."""

    record: dict[str, Any] = Field(max_length=MAX_LONG_ITEMS)
    as_of: Day | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


class MaskCall(Call):
    """``mask(value, field=..., as_of=..., policy=...)``."""

    value: Annotated[str, Field(max_length=MAX_SAMPLE_LENGTH)] | Count
    field: DataField | str
    as_of: Day | None = None
    policy: str | None = Field(default=None, max_length=MAX_TERM_LENGTH)


CALLS: dict[str, type[Call]] = {"classify": ClassifyCall, "classify_record": ClassifyRecordCall,
                                "mask": MaskCall}
