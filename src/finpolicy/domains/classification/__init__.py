"""Data classification: levels, categories, handling, content detectors, masking, scanning.

The ``ClassificationPolicy`` kind (seed 000 §5.4, seed 002 §2.2–2.3, 数据安全法 Art. 21,
JR/T 0197 and JR/T 0171) and its API: ``engine.classify(fp.DataField(...))`` →
``ClassificationDecision``, ``engine.classify_record(mapping)`` →
``RecordClassificationDecision``, ``engine.mask(value, field=...)`` and ``engine.scan(path)``
→ ``ScanReport``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from finpolicy._compat import alias_getattr
from finpolicy.domains.base import Case, Domain, InvariantAdapter, LoggedCall
from finpolicy.domains.classification import pictures
from finpolicy.domains.classification.calls import CALLS
from finpolicy.domains.classification.classify import (
    apply_mask,
    classify,
    classify_record,
    evaluate_input,
    mask,
    record_fields,
)
from finpolicy.domains.classification.model import (
    ClassificationDecision,
    DataField,
    DataLevel,
    Handling,
    RecordClassificationDecision,
)
from finpolicy.domains.classification.names import normalise_name
from finpolicy.domains.classification.scanning import ColumnResult, ScanReport, scan
from finpolicy.domains.classification.spec import (
    FIELDS,
    KIND,
    POLICY_KIND,
    RULESET,
    ClassificationRules,
    ClassificationSettings,
    ClassificationSpec,
    build,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = [
    "DOMAIN",
    "FIELDS",
    "KIND",
    "POLICY_KIND",
    "RULESET",
    "ClassificationDecision",
    "ClassificationRules",
    "ClassificationSpec",
    "ColumnResult",
    "DataField",
    "DataLevel",
    "Handling",
    "RecordClassificationDecision",
    "ScanReport",
    "apply_mask",
    "build",
    "classify",
    "classify_record",
    "evaluate_input",
    "mask",
    "normalise_name",
    "record_fields",
    "scan",
]


class _FieldCase(dict[str, Any]):
    """A field and its ``as_of`` (a date or an instant), with ``day``: the day the engine
    picks the policy version on (an instant's day in the policy's time zone), computed when
    it is drawn."""

    day: dt.date | None = None


def _field_cases(bundle: Bundle, doc: PolicyDocument[Any]) -> SearchStrategy[Case]:
    """Fields as of days and instants ``doc`` is in force on (by the engine's day of them)."""
    from finpolicy.domains.classification.classify import policy_in_force
    from finpolicy.domains.classification.strategies import classification_cases
    from finpolicy.errors import NotInForceError
    from finpolicy.facade import PolicyEngine

    runtime = PolicyEngine(bundle)

    def case(drawn: Case) -> Case:
        found = _FieldCase(drawn)
        try:
            found.day = policy_in_force(runtime, drawn["as_of"], None)[0]
        except NotInForceError:  # (no version on the policy's day: its day in doc's zone)
            found.day = _day_in(drawn["as_of"], doc.policy.zone)
        return found

    return classification_cases(bundle, policy=doc).map(case)


def _day_in(at: dt.date, zone: dt.tzinfo) -> dt.date:
    return at.astimezone(zone).date() if isinstance(at, dt.datetime) else at


def _field_day(case: Case) -> dt.date:
    """The day the engine decides the case on: its ``as_of``'s, as drawn (a case made
    otherwise: an instant's day in the zone classification policies default to; today
    there without one)."""
    if isinstance(case, _FieldCase) and case.day is not None:
        return case.day
    zone = ZoneInfo(ClassificationSettings.model_fields["time_zone"].default)
    return _day_in(case.get("as_of") or dt.datetime.now(zone), zone)


def _level_rank(decision: Any, case: Case) -> dict[str, Any]:
    return {"level_rank": int(decision.level)}


DOMAIN = Domain(
    name="classification",
    title="Data classification",
    package=__name__,
    order=10,
    kinds=(POLICY_KIND,),
    evaluate_input=evaluate_input,
    operations={"classify": classify, "classify_record": classify_record, "mask": mask,
                "scan": scan},
    calls=CALLS,
    logged={"classify": LoggedCall(lambda i, r: {"field": i["field"]}),
            "classify_record": LoggedCall(lambda i, r: {"record": i["record"]},
                                          lambda r: list(r.fields.values()))},
    exports={name: globals()[name] for name in (
        "ClassificationDecision", "ColumnResult", "DataField", "DataLevel", "Handling",
        "RecordClassificationDecision", "ScanReport")},
    deprecated={"Classification": "ClassificationDecision",
                "RecordClassification": "RecordClassificationDecision",
                "ScanResult": "ScanReport"},
    input_models=(DataField,),
    invariants={KIND: InvariantAdapter(
        cases=_field_cases,
        evaluate=lambda runtime, c: classify(runtime, c["field"], as_of=c.get("as_of")),
        on=_field_day,
        extra=_level_rank,
        decision_fields={"decision.level_rank": "number"})},
    pictures={KIND: pictures.PICTURES},
    strategies="finpolicy.domains.classification.strategies",
    cli="finpolicy.domains.classification.cli",
    explain="finpolicy.domains.classification.explain",
    error_codes={
        "policy": {
            "level_order": "Levels are not listed lowest first.",
            "grade_order": "JR/T 0197 grades fall as levels rise.",
            "missing_handling": "A level has no handling requirements.",
            "unknown_detector": "A content detector finpolicy does not have.",
            "unknown_mask": "A mask finpolicy does not have.",
            "invalid_mask": "A partial mask keeps a negative number of characters.",
            "retention": "A retention is given both in days and as a period, or neither.",
        },
        "input": {
            "bad_field": "A field is not a DataField, a mapping or a name.",
            "bad_field_name": "A record's field name is not non-blank text.",
            "bad_record": "A record is not a mapping of field name to value.",
            "empty_record": "A record has no fields.",
            "unknown_data_field": "`mask` was given a field no rule knows, with content no rule "
                                  "recognises, and the policy sets no `unknown_field_mask`.",
            "bad_value": "A value is not text, a number or a date.",
            "non_finite": "A number is not finite.",
            "bad_source": "A scan source is not a path or a sqlite:/// URL.",
            "missing_file": "A file to scan does not exist.",
            "not_a_file": "A path to scan is a folder.",
            "not_a_table": "A file to scan is a workbook, an archive, a database or a PDF, not "
                           "CSV text or Parquet.",
            "empty_file": "A CSV file has no header row.",
            "bad_csv": "A CSV file cannot be parsed.",
            "bad_encoding": "A CSV file is not in the given encoding.",
            "bad_parquet": "A Parquet file cannot be read.",
            "bad_url": "A sqlite URL names no database.",
            "no_table": "A sqlite URL names no table.",
            "unknown_table": "A sqlite database has no table of that name.",
            "bad_database": "A file is not a SQLite database.",
            "no_columns": "A table has no columns.",
            "missing_dependency": "An optional dependency is not installed (the message says "
                                  "which extra to install).",
        },
    },
    outcomes=tuple(str(level) for level in DataLevel),
)

__getattr__ = alias_getattr(__name__, DOMAIN.deprecated, globals())
