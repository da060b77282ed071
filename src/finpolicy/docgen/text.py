"""Policies as text: every rule in words, the spec's own tables, changes between versions and
the YAML reference of a pydantic model."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

import attrs

from finpolicy.documents.bundle import Bundle, PolicyDocument
from finpolicy.rules.model import Rule
from finpolicy.rules.render import render

# --- rules in words ----------------------------------------------------------------------------

@attrs.frozen(slots=True)
class RuleView:
    """One rule ready for display: every part as text."""

    ruleset: str
    id: str
    condition: str
    effect: str
    obligations: tuple[str, ...]
    reason: str
    cite: str


def _words(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_words(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k.replace('_', ' ')} {_words(v)}" for k, v in sorted(value.items()))
    if hasattr(value, "name") and hasattr(value, "value"):  # an enum member
        return str(value.name).lower()
    if value is True:
        return "yes"
    return str(value)


_APPLIES = {("allow",): " when the request is allowed", ("deny",): " when the request is denied"}


def effect_text(effect: Mapping[str, Any]) -> str:
    """What a rule does, in words: ``{"outcome": "unsuitable"}`` → ``the outcome is
    unsuitable``; an access or consent rule reads ``deny``, ``allow`` or ``the obligations
    apply``; parts the engine keeps for itself (``applies_to`` …) are not shown as fields."""
    shown = {k: v for k, v in effect.items() if v is not None and v is not False
             and v != () and v != []}
    verdict = shown.pop("effect", None)
    applies = tuple(shown.pop("applies_to", ()) or ())
    if verdict in ("allow", "deny"):
        head = [str(verdict)]
    elif verdict == "obligation":
        head = ["the obligations apply" + _APPLIES.get(applies, "")]
    else:
        head = []
    # the deciding part first (outcome, level), parameters after it
    first = ("outcome", "level", "allow")
    for i, (key, value) in enumerate(sorted(shown.items(),
                                            key=lambda kv: (kv[0] not in first, kv[0]))):
        name = key.replace("_", " ")
        head.append(f"the {name} is {_words(value)}" if i == 0 and not head and key in first
                    else f"{name}: {_words(value)}")
    return "; ".join(head) or "no effect of its own"


_RULE_KEYS = {"id", "when", "obligations", "reason", "cite"}


def rule_view(ruleset: str, rule: Rule, spec: Any = None, *,
              language: str = "en") -> RuleView:
    """One rule as text. ``spec`` is the rule's own spec entry, for kinds whose rules keep
    their parameters there rather than in ``effect`` (complaint rules set routes, escalations
    and durations); ``language`` ``zh`` adds the facts' Chinese labels."""
    effect: Mapping[str, Any] = rule.effect
    if not effect and spec is not None and hasattr(spec, "model_dump"):
        effect = {k: plain(v) for k, v in spec.model_dump(exclude=_RULE_KEYS,
                                                           exclude_defaults=True).items()}
    text = effect_text(effect) if effect else (
        "the obligations below apply" if rule.obligations else "no effect of its own")
    return RuleView(ruleset, rule.id, render(rule.when, language=language), text,
                    tuple(rule.obligations),
                    rule.reason, rule.cite)


def pack_language(bundle: Bundle | None) -> str:
    """The language of a pack's sources (``bundle.yaml`` ``language``; English by default)."""
    manifest = getattr(bundle, "manifest", None)
    return getattr(manifest, "language", None) or "en"


def rule_views(doc: PolicyDocument[Any], *, language: str = "en") -> list[RuleView]:
    """Every rule of every rule set of ``doc``, in policy order."""
    specs = getattr(doc.policy, "specs", None)
    specs = specs if isinstance(specs, Mapping) else {}
    return [rule_view(name, rule, specs.get(rule.id), language=language) for name, ruleset
            in doc.policy.rulesets.items() for rule in ruleset.rules]


def invariant_views(doc: PolicyDocument[Any], *, language: str = "en"
                    ) -> list[tuple[str, str, str, str]]:
    """``(name, given, expect, cite)`` in words for each invariant the policy declares
    (the checks ``finpolicy.testing`` runs on generated inputs)."""
    return [(inv.name, render(inv.given, language=language),
             render(inv.expect, language=language), inv.cite or "")
            for inv in getattr(doc.policy, "invariants", ()) or ()]


def window_text(doc: PolicyDocument[Any]) -> str:
    """The days ``doc`` is in force, in words: ``2018-09-26 to 2026-01-31`` (both included)
    or ``from 2026-02-01``."""
    m = doc.metadata
    return (f"{m.effective_from} to {m.effective_until}" if m.effective_until
            else f"from {m.effective_from}")


def in_force_text(doc: PolicyDocument[Any]) -> str:
    """``doc``'s window, and, for a policy whose days are counted in a time zone (its compiled
    policy's ``zone``, by which the engines choose the version for an instant), the instants
    in UTC it starts and ends: ``2026-02-01 to further notice (inclusive); days in
    Asia/Shanghai time: from 2026-01-31 16:00 UTC``."""
    m = doc.metadata
    until = str(m.effective_until) if m.effective_until else "further notice"
    text = f"{m.effective_from} to {until} (inclusive)"
    zone = getattr(doc.policy, "zone", None)
    if not isinstance(zone, dt.tzinfo):
        return text

    def utc(day: dt.date) -> str:
        start = dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)
        return start.strftime("%Y-%m-%d %H:%M UTC")

    text += f"; days in {zone} time: from {utc(m.effective_from)}"
    if m.effective_until is not None:
        with contextlib.suppress(OverflowError):  # (in force to the end of the calendar)
            text += f" up to {utc(m.effective_until + dt.timedelta(days=1))}"
    return text


def policy_groups(bundle: Bundle) -> dict[str, tuple[PolicyDocument[Any], ...]]:
    """Policy id → its versions, oldest first, in the bundle's order."""
    out: dict[str, tuple[PolicyDocument[Any], ...]] = {}
    for doc in bundle.documents:
        if doc.id not in out:
            out[doc.id] = bundle.versions(doc.id)
    return out


def combining(doc: PolicyDocument[Any]) -> str:
    """How the rules of ``doc``'s kind combine into a decision, in a sentence
    (``PolicyKind.combining``), or that the kind does not say."""
    from finpolicy.documents.registry import kinds

    kind = kinds().get(doc.kind)
    said = " ".join(kind.combining.split()).rstrip(".") if kind is not None else ""
    if not said:
        return (f"The kind {doc.kind} does not say how its rules combine (its domain declares "
                "no PolicyKind.combining): ask its owner before relying on the order of rules.")
    return f"As for every {doc.kind}, {said}."


def policy_listing(doc: PolicyDocument[Any], *, language: str = "en") -> str:
    """The whole document as plain text: metadata, sources, how its rules combine and every
    rule in words."""
    m = doc.metadata
    lines = [f"{m.title} — {doc.kind} `{m.id}` version {m.version}",
             f"  in force: {m.effective_from} to {m.effective_until or 'further notice'}",
             f"  jurisdiction: {m.jurisdiction}; owner: {m.owner}"]
    if m.description:
        lines.append(f"  {' '.join(m.description.split())}")
    for source in m.sources:
        article = f", {source.article}" if source.article else ""
        lines.append(f"  source [{source.id}] {source.title}{article}")
    lines.append(f"  how the rules combine: {combining(doc)}")
    for view in rule_views(doc, language=language):
        lines.append(f"  rule {view.ruleset}/{view.id}: when {view.condition} → {view.effect}")
        if view.obligations:
            lines.append(f"    obligations: {', '.join(view.obligations)}")
        if view.reason:
            lines.append(f"    because: {view.reason}")
        if view.cite:
            lines.append(f"    cite: {view.cite}")
    for name, given, expect, cite in invariant_views(doc, language=language):
        lines.append(f"  invariant {name}: whenever {given}, {expect}"
                     + (f" [{cite}]" if cite else ""))
    return "\n".join(lines)


def bundle_listing(bundle: Bundle) -> str:
    """Every document of ``bundle`` as plain text, one block per version."""
    head = f"{bundle.name} {bundle.version} (digest {bundle.digest[:16]})"
    language = pack_language(bundle)
    return "\n\n".join([head, *(policy_listing(d, language=language)
                                for d in bundle.documents)]) + "\n"


# --- the policy's own tables ---------------------------------------------------------------------

def plain(value: Any) -> str:
    """A spec value as compact text: lists joined by commas, models and mappings as
    ``key: value`` pairs (defaults left out), durations as ``30 calendar days``."""
    from pydantic import BaseModel

    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, Mapping):
        if "amount" in value and "unit" in value:
            text = f"{value['amount']} {str(value['unit']).replace('_', ' ')}"
            for ext in value.get("extensions") or ():
                text += f", {ext['amount']} after {ext['event']}"
            return text
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        joiner = " | " if any(isinstance(v, Mapping | BaseModel) for v in value) else ", "
        return joiner.join(items) or "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


# a number in a spec field named ``…_days`` is a count of days, and so on
_SUFFIX_UNITS = {"_days": "days", "_hours": "hours", "_weeks": "weeks", "_months": "months",
                 "_years": "years", "_minutes": "minutes"}


def field_unit(model: Any, name: str) -> str | None:
    """The unit a spec field's numbers are shown with: the field's own
    ``json_schema_extra={"unit": …}`` (``"%"`` shows a share as a percentage, ``"% of the
    time allowed"`` says of what), else its name's suffix (``retention_days`` → days)."""
    info = getattr(model, "model_fields", {}).get(name)
    extra = getattr(info, "json_schema_extra", None)
    if isinstance(extra, Mapping) and isinstance(extra.get("unit"), str):
        return str(extra["unit"])
    return next((unit for suffix, unit in _SUFFIX_UNITS.items() if name.endswith(suffix)),
                None)


def field_label(model: Any, name: str) -> str:
    """A spec field's column header: its ``title`` when the model gives one, else its name."""
    info = getattr(model, "model_fields", {}).get(name)
    title = getattr(info, "title", None)
    return str(title) if title else name.replace("_", " ")


def with_unit(value: Any, unit: str | None) -> str:
    """``value`` as text with its unit: ``365 days``, ``1 day``, ``80 % of the time allowed``,
    ``17:00 local time``; the numbers of a mapping each get the unit."""
    if unit is None or value is None:
        return plain(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {with_unit(v, unit)}" for k, v in value.items()) or "—"
    if isinstance(value, bool) or not isinstance(value, int | float | dt.time):
        return plain(value)
    if unit.startswith("%") and not isinstance(value, dt.time):
        share = f"{value * 100:.1f}".rstrip("0").rstrip(".")
        return f"{share} {unit}"
    if value == 1 and unit.endswith("s") and " " not in unit:
        unit = unit[:-1]  # 1 day, 1 hour
    return f"{plain(value)} {unit}"


def _is_rule_list(value: Any) -> bool:
    from pydantic import BaseModel

    return (isinstance(value, list) and bool(value) and isinstance(value[0], BaseModel)
            and "id" in type(value[0]).model_fields and "when" in type(value[0]).model_fields)


def spec_tables(doc: PolicyDocument[Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The spec's own tables (levels, roles, milestones, settings …) as
    ``(title, header, rows)``, in the spec's order. Lists of rules are left out: they are
    listed rule by rule. Columns empty in every row are dropped."""
    from pydantic import BaseModel

    spec = doc.spec
    out: list[tuple[str, list[str], list[list[str]]]] = []
    scalars: list[list[str]] = []
    for name in type(spec).model_fields:
        value = getattr(spec, name)
        title = name.replace("_", " ").capitalize()
        if _is_rule_list(value) or (name == "invariants" and invariant_views(doc)):
            continue  # listed one by one, in words
        items: list[tuple[str | None, BaseModel]] = []
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            items = [(None, v) for v in value]
        elif (isinstance(value, Mapping) and value
              and all(isinstance(v, BaseModel) for v in value.values())):
            items = [(str(k), v) for k, v in value.items()]
        if items:
            model = type(items[0][1])
            columns = list(model.model_fields)
            header = (["name"] if items[0][0] is not None else []) + [
                field_label(model, c) for c in columns]
            rows = [([key] if key is not None else [])
                    + [with_unit(getattr(item, c), field_unit(model, c)) for c in columns]
                    for key, item in items]
            keep = [i for i in range(len(header))
                    if any(row[i] not in ("—", "", "no") for row in rows) or i == 0]
            out.append((title, [header[i] for i in keep],
                        [[row[i] for i in keep] for row in rows]))
        elif isinstance(value, BaseModel):
            model = type(value)
            rows = [[field_label(model, k), with_unit(v, field_unit(model, k))]
                    for k, v in value]
            out.append((title, ["Setting", "Value"], rows))
        else:
            scalars.append([field_label(type(spec), name),
                            with_unit(value, field_unit(type(spec), name))])
    if scalars:
        out.insert(0, ("Vocabulary and settings", ["Key", "Value"], scalars))
    return out


# --- version history ---------------------------------------------------------------------------

@attrs.frozen(slots=True)
class RuleChange:
    """How one rule differs between two consecutive versions of a policy."""

    ruleset: str
    rule_id: str
    change: str  # "added" | "removed" | "changed"
    details: tuple[str, ...] = ()


def rule_changes(old: PolicyDocument[Any], new: PolicyDocument[Any]) -> list[RuleChange]:
    """Rules added, removed and changed from ``old`` to ``new`` (matched by rule set and id)."""
    before = {(v.ruleset, v.id): v for v in rule_views(old)}
    after = {(v.ruleset, v.id): v for v in rule_views(new)}
    out: list[RuleChange] = []
    for key, view in after.items():
        if key not in before:
            out.append(RuleChange(*key, "added", (f"when {view.condition} → {view.effect}",)))
            continue
        was = before[key]
        details = []
        for part in ("condition", "effect", "obligations", "reason", "cite"):
            a, b = getattr(was, part), getattr(view, part)
            if a != b:
                if isinstance(a, tuple):
                    a, b = ", ".join(a) or "none", ", ".join(b) or "none"
                details.append(f"{part}: {a} → {b}")
        if details:
            out.append(RuleChange(*key, "changed", tuple(details)))
    out.extend(RuleChange(*key, "removed", (f"when {view.condition} → {view.effect}",))
               for key, view in before.items() if key not in after)
    return out


def version_pairs(bundle: Bundle) -> list[tuple[PolicyDocument[Any], PolicyDocument[Any]]]:
    """Consecutive versions of every policy with more than one."""
    return [pair for docs in policy_groups(bundle).values()
            for pair in itertools.pairwise(docs)]


# --- the YAML reference, from the pydantic models ------------------------------------------------

def _type_of(schema: Mapping[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        parts = [_type_of(s) for s in schema.get("anyOf", schema.get("oneOf", []))]
        return " | ".join(dict.fromkeys(parts))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _type_of(schema["allOf"][0])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, Mapping) and extra:
            return f"mapping of text to {_type_of(extra)}"
        return "mapping"
    if kind == "string" and schema.get("format") in ("date", "date-time", "time", "duration"):
        return str(schema["format"])
    names = {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean",
             "null": "null"}
    if isinstance(kind, str):
        return names.get(kind, kind)
    return "any"


def _constraints(schema: Mapping[str, Any]) -> str:
    words = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<",
             "minLength": "length ≥", "maxLength": "length ≤", "minItems": "items ≥",
             "maxItems": "items ≤", "pattern": "matches"}
    out = [f"{w} {schema[k]}" for k, w in words.items() if k in schema]
    for option in schema.get("anyOf", []):
        out += [f"{w} {option[k]}" for k, w in words.items() if k in option]
    return "; ".join(out)


def schema_rows(model: Any) -> list[tuple[str, list[tuple[str, str, str, str, str]]]]:
    """The fields of a pydantic model and of every model it nests, from its JSON schema.

    Returns ``[(model_title, [(field, type, required, default, description), ...]), ...]``,
    the model itself first, nested models after it in name order.
    """
    schema = model.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    out = [(schema.get("title", model.__name__), _field_rows(schema))]
    for name in sorted(defs):
        if defs[name].get("type") == "object" or "properties" in defs[name]:
            out.append((name, _field_rows(defs[name])))
        else:  # an enum
            out.append((name, [("(value)", _type_of(defs[name]), "", "",
                                defs[name].get("description", ""))]))
    return out


def _field_rows(schema: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    required = set(schema.get("required", ()))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        default = "" if "default" not in prop else repr(prop["default"])
        description = prop.get("description", "")
        limits = _constraints(prop)
        if limits:
            description = f"{description} ({limits})" if description else limits
        rows.append((name, _type_of(prop), "yes" if name in required else "no", default,
                     description))
    return rows
