"""The classification methods of ``PolicyEngine`` (typed: each returns its decision class)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from finpolicy.domains.classification.classify import classify, classify_record, mask
from finpolicy.domains.classification.model import (
    ClassificationDecision,
    DataField,
    RecordClassificationDecision,
)
from finpolicy.domains.classification.scanning import ScanReport, scan
from finpolicy.runtime import EngineAPI

__all__ = ["ClassificationAPI"]

FieldInput = DataField | Mapping[str, Any] | str
When = dt.date | dt.datetime | str | None


class ClassificationAPI(EngineAPI):
    """Data classification: levels, categories, handling, masking, scanning tables."""

    __slots__ = ()

    def classify(self, field: FieldInput, /, *, as_of: When = None,
                 policy: str | None = None) -> ClassificationDecision:
        """Classify one data field (a ``DataField``, its mapping form or a bare name) by the
        classification policy in force on ``as_of`` (today in the policy's time zone by
        default; an aware datetime counts on its day there)."""
        return self._invoke(classify, field, as_of=as_of, policy=policy)

    def classify_record(self, record: Mapping[str, Any], /, *, as_of: When = None,
                        policy: str | None = None) -> RecordClassificationDecision:
        """Classify every field of a record; the record takes its highest level."""
        return self._invoke(classify_record, record, as_of=as_of, policy=policy)

    def mask(self, value: str | int, /, *, field: DataField | str, as_of: When = None,
             policy: str | None = None) -> str:
        """``value`` as it may be shown, by the rule of ``field`` (a name or a
        ``DataField``); a bare name is classified with ``value`` as its one sample."""
        return self._invoke(mask, value, field=field, as_of=as_of, policy=policy)

    def scan(self, source: str | Path, /, **options: Any) -> ScanReport:
        """Classify the columns of a CSV, Parquet or SQLite table (options: ``sample``,
        ``sample_mode``, ``seed``, ``chunk_rows``, ``encoding``, ``delimiter``, ``as_of``,
        ``policy``, ``progress``)."""
        return self._invoke(scan, source, **options)
