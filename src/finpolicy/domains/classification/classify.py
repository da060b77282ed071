"""Deriving a field's facts, running the rules and combining them (``classify`` and friends).

Combining (DESIGN §1.6): a field takes the highest level of every matching rule, or the
policy's default level when none matches; a derived field takes at least the highest level of
its sources unless a matching rule sets ``overrides_sources``. Category, JR/T 0171 category and
display mask come from the highest-level matching rule that names one (policy order breaks
ties), so the result never depends on the order of sample values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from finpolicy.decisions import Decision, Hit
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.classification.model import (
    ClassificationDecision,
    DataField,
    DataLevel,
    RecordClassificationDecision,
    bounded_sample,
)
from finpolicy.domains.classification.names import normalise_name
from finpolicy.domains.classification.spec import POLICY_KIND, RULESET, ClassificationRules
from finpolicy.domains.clock import in_force_beside, now
from finpolicy.domains.detectors import DetectorMatch, detect_column
from finpolicy.domains.masking import MASKS, partial
from finpolicy.errors import InputError, NotInForceError
from finpolicy.identity import clean_term
from finpolicy.inputs import evaluation_date, in_zone
from finpolicy.limits import MAX_LONG_ITEMS
from finpolicy.rules.conditions import All, Compare, Condition
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import Rule
from finpolicy.runtime import Runtime

_problem = InputError.one


def policy_in_force(runtime: Runtime, as_of: Any, policy: str | None
                    ) -> tuple[dt.date, PolicyDocument[ClassificationRules], ClassificationRules]:
    """The day ``as_of`` names and the policy in force on it: a date as given; an aware
    datetime (or now, for ``None``) on its day in the policy's time zone
    (``settings.time_zone``), so the same instant written in UTC or in Beijing time is
    classified by one version.

    Raises:
        InputError: ``as_of`` is no date or aware datetime (naming ``as_of``).
        NotInForceError: no classification policy is in force on that day.
    """
    if as_of.__class__ is dt.date:
        doc = runtime.policy(POLICY_KIND, as_of, policy)
        return as_of, doc, doc.policy
    own = evaluation_date(as_of)  # validates
    moment = now() if as_of is None else as_of if isinstance(as_of, dt.datetime) else \
        dt.datetime.fromisoformat(as_of) if isinstance(as_of, str) and len(as_of) > 10 \
        else None
    if moment is None:
        doc = runtime.policy(POLICY_KIND, own, policy)
        return own, doc, doc.policy
    own, beside = moment.date(), False
    try:
        doc = runtime.policy(POLICY_KIND, own, policy)
    except NotInForceError:  # the policy's day may be the one after or before (offsets < 1 day)
        doc, beside = in_force_beside(runtime, POLICY_KIND, own, policy), True
    on = in_zone(moment, doc.policy.zone, "as_of", "the policy's").date()
    if on != own or beside:  # (raises, naming the policy's day, when none is in force on it)
        doc = runtime.policy(POLICY_KIND, on, policy)
    return on, doc, doc.policy


def field_fact(rules: ClassificationRules, field: DataField,
               matches: list[DetectorMatch] | None = None
               ) -> tuple[dict[str, Any], str | None, float | None]:
    """The facts the rules read, plus the top detector at or above the threshold;
    ``matches``, when given, are ``detect_column`` of the field's samples by the policy's
    detectors (a scan reports them too)."""
    if matches is None:
        matches = detect_column(field.sample_values, rules.detectors)
    total = matches[0].total if matches else 0
    detected = [m for m in matches
                if total >= rules.min_samples and m.matched and m.share >= rules.threshold]
    fact: dict[str, Any] = {
        "field": {"name": normalise_name(field.name),
                  "tags": sorted({clean_term(t).lower() for t in field.tags}),
                  "derived": bool(field.derived_from),
                  "sample_count": total},
        "detector": {m.name: {"share": m.share} for m in matches},
        "detected": sorted(m.name for m in detected),
    }
    top = detected[0] if detected else None  # detect_column sorts by share, then name
    return fact, (top.name if top else None), (top.share if top else None)


def _reads(condition: Condition) -> set[str]:
    """The detectors ``condition`` asks to have matched: ``detected contains NAME`` and
    ``detector.NAME.share`` above a bound (not under a ``not``)."""
    match condition:
        case All(items) | AnyOf(items):
            return {name for item in items for name in _reads(item)}
        case Compare("contains", ("detected",), str(name)):
            return {name}
        case Compare("gt" | "ge", ("detector", name, "share"), _):
            return {name}
    return set()


_Ranked = tuple[Rule, DataLevel, frozenset[str]]
_RULES: dict[int, _Ranked] = {}


def _ranked(rule: Rule) -> _Ranked:
    """``rule``, the level it sets and the detectors it reads (``_reads``), worked out once
    per rule (rules are frozen) rather than on every decision it matches."""
    known = _RULES.get(id(rule))
    if known is None or known[0] is not rule:  # (the rule is kept, so its id is not reused)
        if len(_RULES) >= 4096:
            _RULES.clear()
        known = _RULES[id(rule)] = (rule, DataLevel.parse(rule.effect["level"]),
                                    frozenset(_reads(rule.when)))
    return known


def _content(fact: Mapping[str, Any], matched: Sequence[_Ranked], detector: str | None,
             share: float | None) -> tuple[str | None, float | None]:
    """The detector behind the decision: the one read by the matching rule of the highest
    level (policy order breaks ties, as for the category) with a share above 0, else
    ``detector``, the top one at the threshold."""
    shares: dict[str, float] = {name: entry["share"] for name, entry in fact["detector"].items()}
    best: tuple[DataLevel, str] | None = None
    for _, level, reads in matched:
        read = sorted(name for name in reads if shares.get(name, 0) > 0)
        if read and (best is None or level > best[0]):
            best = (level, max(read, key=shares.__getitem__))  # the first by name of equals
    return (detector, share) if best is None else (best[1], shares[best[1]])


def _decisive(matched: Sequence[_Ranked], key: str) -> Any:
    """``key`` of the highest-level matching rule that sets it (policy order breaks ties)."""
    best: tuple[DataLevel, Any] | None = None
    for rule, level, _ in matched:
        value = rule.effect.get(key)
        if value is None:
            continue
        if best is None or level > best[0]:
            best = (level, value)
    return None if best is None else best[1]


def _classify(runtime: Runtime, doc: PolicyDocument[ClassificationRules],
              rules: ClassificationRules, on: dt.date, field: DataField,
              sources: Mapping[str, DataLevel],
              matches: list[DetectorMatch] | None = None) -> ClassificationDecision:
    fact, detector, share = field_fact(rules, field, matches)
    matched = runtime.run(doc, RULESET, fact)
    ranked = [_ranked(rule) for rule in matched]
    detector, share = _content(fact, ranked, detector, share)
    own = max((level for _, level, _ in ranked), default=rules.default_level)
    override = any(r.effect.get("overrides_sources") for r in matched)
    level = own if override or not sources else max(own, *sources.values())
    category = _decisive(ranked, "category")
    if category is None and field.derived_from:
        category = rules.derived_category
    hits = tuple(Hit.of(r) for r in matched)
    floor = rules.category_floors.get(category) if category is not None else None
    if floor is not None and floor[0] > level:
        level, hits = floor[0], (*hits, floor[1])
    pfi = _decisive(ranked, "pfi_category")
    if pfi is None and (matched or sources):
        pfi = rules.pfi_categories.get(level)
    handling = rules.handling[level]
    mask = _decisive(ranked, "mask")
    if mask is None and handling.mask_on_display:
        mask = "full"
    if mask is None and not matched and not sources:  # a field no rule knows: as `mask` shows it
        mask = rules.unknown_field_mask
    obligations = sorted({o for r in matched for o in r.obligations})
    return ClassificationDecision(
        outcome=str(level), hits=hits,
        obligations=tuple(obligations), policy=runtime.ref(doc), engine=runtime.engine_name,
        input_digest=field.digest(), as_of=on, field=field.name, level=level,
        category=category, grade=rules.grades[level], pfi_category=pfi, handling=handling,
        mask=mask, detector=detector, share=share, sources=sources)


def _source_levels(runtime: Runtime, doc: PolicyDocument[ClassificationRules],
                   rules: ClassificationRules, on: dt.date, field: DataField,
                   known: Mapping[str, ClassificationDecision]) -> dict[str, DataLevel]:
    out: dict[str, DataLevel] = {}
    for name in field.derived_from:
        done = known.get(name)
        if done is None:  # a source outside the record is classified by its name alone
            done = _classify(runtime, doc, rules, on, DataField(name=name), {})
        out[name] = done.level
    return out


def _as_field(value: Any, path: str) -> DataField:
    if isinstance(value, DataField):
        return value
    if isinstance(value, Mapping):
        return DataField.parse(value, field=path)
    if isinstance(value, str):
        return DataField(name=value)
    raise _problem(path, f"expected a DataField, a mapping or a name, got "
                         f"{type(value).__name__}", "bad_field", value)


def classify(runtime: Runtime, field: Any, *, as_of: Any = None,
             policy: str | None = None) -> ClassificationDecision:
    """Classify one field (a ``DataField``, its mapping form or a bare name)."""
    data_field = _as_field(field, "field")
    on, doc, rules = policy_in_force(runtime, as_of, policy)
    sources = _source_levels(runtime, doc, rules, on, data_field, {})
    return _classify(runtime, doc, rules, on, data_field, sources)


def _sample_text(value: Any, path: str) -> str:
    if isinstance(value, str):
        return bounded_sample(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            raise _problem(path, "expected a finite number", "non_finite", str(value))
        return bounded_sample(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _problem(path, "expected a finite number", "non_finite", value)
        return repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise _problem(path, f"expected text, a number, a date or a list of them, got "
                         f"{type(value).__name__}", "bad_value", value)


def record_fields(record: Any) -> dict[str, DataField]:
    """The record as ``DataField``s: a value or a list of sample values per field name."""
    if not isinstance(record, Mapping):
        raise _problem("record", f"expected a mapping of field name to value, got "
                                 f"{type(record).__name__}", "bad_record")
    if not record:
        raise _problem("record", "the record has no fields", "empty_record")
    if len(record) > MAX_LONG_ITEMS:  # (a table is scanned, not classified as one record)
        raise _problem("record", f"the record has {len(record):,} fields, more than "
                       f"{MAX_LONG_ITEMS:,}; scan a table with `scan`", "too_large",
                       len(record))
    out: dict[str, DataField] = {}
    for key, value in record.items():
        if not isinstance(key, str) or not key.strip():
            raise _problem("record", f"field names must be non-blank text, got {key!r}",
                           "bad_field_name", key)
        path = f"record.{key}"
        if isinstance(value, DataField):
            out[key] = value
            continue
        if value is None:
            samples: list[str] = []
        elif isinstance(value, list | tuple):
            samples = [_sample_text(v, f"{path}[{i}]") for i, v in enumerate(value)
                       if v is not None]
        else:
            samples = [_sample_text(value, path)]
        out[key] = DataField(name=key, sample_values=samples)
    return out


def classify_record(runtime: Runtime, record: Any, *, as_of: Any = None,
                    policy: str | None = None) -> RecordClassificationDecision:
    """Classify every field of ``record``; the record takes the highest field level.

    Values may be text, numbers, dates, ``None``, lists of these (samples of one column) or
    ``DataField``s; a derived field's sources are looked up in the record first.
    """
    fields = record_fields(record)
    on, doc, rules = policy_in_force(runtime, as_of, policy)
    done: dict[str, ClassificationDecision] = {}
    visiting: set[str] = set()

    def visit(name: str) -> ClassificationDecision:
        if name in done:
            return done[name]
        visiting.add(name)
        field = fields[name]
        known: dict[str, ClassificationDecision] = {}
        for src in field.derived_from:
            if src in fields and src not in visiting:  # a cycle falls back to the name
                known[src] = visit(src)
        sources = _source_levels(runtime, doc, rules, on, field, known)
        result = _classify(runtime, doc, rules, on, field, sources)
        visiting.discard(name)
        done[name] = result
        return result

    for name in fields:
        visit(name)
    results = {name: done[name] for name in fields}
    level = max(c.level for c in results.values())
    hits = tuple(dict.fromkeys(h for c in results.values() for h in c.hits))
    obligations = tuple(sorted({o for c in results.values() for o in c.obligations}))
    canonical = json.dumps({n: f.model_dump(mode="json") for n, f in fields.items()},
                           ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return RecordClassificationDecision(
        outcome=str(level), hits=hits, obligations=obligations, policy=runtime.ref(doc),
        engine=runtime.engine_name, input_digest=hashlib.sha256(canonical.encode()).hexdigest(),
        as_of=on, level=level, fields=results, handling=rules.handling[level])


def apply_mask(mask: str | None, value: str) -> str:
    """Mask ``value`` with the masker named ``mask`` (``None``: shown as it is)."""
    if mask is None:
        return value
    if mask.startswith("partial:"):
        _, first, last = mask.split(":")
        return partial(int(first), int(last))(value)
    return MASKS[mask](value)


def mask(runtime: Runtime, value: Any, *, field: Any, as_of: Any = None,
         policy: str | None = None) -> str:
    """``value`` as it may be shown, by the rule of ``field``; never shown as it is unless a
    rule says so.

    A bare field name is classified with ``value`` as its one sample, so an identifier under
    an innocent (or misspelt) name is still masked by content detection. A field that no rule
    knows (no rule matches its name, tags or content, and it derives from nothing) is masked
    with the policy's ``unknown_field_mask``.

    Raises:
        InputError: ``unknown_data_field`` when no rule knows the field and the policy sets no
            ``unknown_field_mask``, rather than show the value unmasked.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _problem("value", f"expected text or an integer, got {type(value).__name__}",
                       "bad_value", value)
    text = str(value)
    if isinstance(field, str):
        if not clean_term(field):
            raise _problem("field", "the field name is blank", "bad_field", field)
        field = DataField.parse({"name": field, "sample_values": [bounded_sample(text)]
                                 if text.strip() else []}, field="field")
    on, doc, rules = policy_in_force(runtime, as_of, policy)
    decision = classify(runtime, field, as_of=on, policy=doc.id)
    if decision.hits or decision.sources:
        return apply_mask(decision.mask, text)
    if rules.unknown_field_mask is None:
        name = decision.field if len(decision.field) <= 80 else decision.field[:77] + "..."
        raise _problem("field", f"no rule of `{doc.id}` knows the field `{name}` or recognises "
                                "its value, and the policy sets no `unknown_field_mask`; the "
                                "value is not shown unmasked", "unknown_data_field",
                       decision.field)
    return apply_mask(rules.unknown_field_mask, text)


def without_as_of(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], Any]:
    """``data`` without its ``as_of`` key, and that key's value (``None`` when absent)."""
    if "as_of" not in data:
        return data, None
    return {k: v for k, v in data.items() if k != "as_of"}, data["as_of"]


def evaluate_input(runtime: Runtime, data: Any, *,
                   as_of: dt.date | dt.datetime | None = None) -> list[Decision]:
    """Decisions for the mapping form (``finpolicy eval classification``, the demo).

    ``{field: {...}}`` or a field mapping itself gives one classification, ``{fields: [...]}``
    one per field, and ``{record: {...}}`` one per field of the record. Each form may carry
    its ``as_of`` beside (an explanation's ``input`` does), used when ``as_of`` is not given.
    """
    if not isinstance(data, Mapping):
        raise _problem("input", "expected a mapping with `field`, `fields` or `record`",
                       "bad_input")
    data, own = without_as_of(data)
    as_of = own if as_of is None else as_of
    if "record" in data:
        if len(data) != 1:
            raise _problem("input", "`record` comes alone", "bad_input")
        return list(classify_record(runtime, data["record"], as_of=as_of).fields.values())
    if "fields" in data:
        items = data["fields"]
        if len(data) != 1 or not isinstance(items, list):
            raise _problem("input.fields", "expected a list of fields", "bad_input")
        return [classify(runtime, _as_field(f, f"fields[{i}]"), as_of=as_of)
                for i, f in enumerate(items)]
    if "field" in data:
        if len(data) != 1:
            raise _problem("input", "`field` comes alone", "bad_input")
        return [classify(runtime, _as_field(data["field"], "field"), as_of=as_of)]
    return [classify(runtime, DataField.parse(data, field="field"), as_of=as_of)]

