"""Data classification: levels, categories, handling, content detectors, masking.

The ``ClassificationPolicy`` kind (seed 000 §5.4, seed 002 §2.2–2.3, 数据安全法 Art. 21,
JR/T 0197 and JR/T 0171) and its API: ``engine.classify(fp.DataField(...))`` →
``Classification``, ``engine.classify_record(mapping)`` → ``RecordClassification`` and
``engine.mask(value, field=...)``. Scanning tables lives in ``finpolicy.domains.scanning``.
"""

from __future__ import annotations

from finpolicy.documents.registry import PolicyKind, register_kind
from finpolicy.domains.classification.classify import (
    apply_mask,
    classify,
    classify_record,
    evaluate_input,
    mask,
    normalise_name,
    record_fields,
)
from finpolicy.domains.classification.model import (
    Classification,
    DataField,
    DataLevel,
    Handling,
    RecordClassification,
)
from finpolicy.domains.classification.spec import (
    FIELDS,
    KIND,
    RULESET,
    ClassificationRules,
    ClassificationSpec,
    build,
)

__all__ = [
    "FIELDS",
    "KIND",
    "RULESET",
    "Classification",
    "ClassificationRules",
    "ClassificationSpec",
    "DataField",
    "DataLevel",
    "Handling",
    "RecordClassification",
    "apply_mask",
    "classify",
    "classify_record",
    "evaluate_input",
    "mask",
    "normalise_name",
    "record_fields",
]

register_kind(PolicyKind(
    name=KIND, spec_model=ClassificationSpec, build=build,  # type: ignore[arg-type]
    summary="Data classification: levels, categories, handling, content detectors, masking."))
