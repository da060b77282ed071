"""JSON Schemas of policy documents, generated from the kinds' pydantic spec models.

One schema per kind (``<Kind>.schema.json``): the envelope (``apiVersion``, ``kind`` fixed to
the kind, ``metadata``) with the kind's ``spec``, every field carrying its description; and
``bundle.schema.json`` for ``bundle.yaml``. An editor with the YAML language server reads the
schema named on a policy file's first line::

    # yaml-language-server: $schema=../schemas/SuitabilityPolicy.schema.json

Conditions (``when``, ``given``, ``expect``) get a schema of their own (``Condition``), so an
editor completes ``field``, ``all``, ``any``, ``not`` and the operators.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from finpolicy.documents.models import _ID, _SEMVER, Manifest, Metadata
from finpolicy.documents.registry import kinds
from finpolicy.domains.detectors import DETECTORS
from finpolicy.domains.masking import MASKS
from finpolicy.outputs import output_folder, write_output
from finpolicy.rules.conditions import COMPARISONS
from finpolicy.rules.parse import MAX_NUMBER, MIN_FRACTION

__all__ = ["MODELINE", "bundle_schema", "kind_schema", "modeline", "schemas", "write_schemas"]

MODELINE = "# yaml-language-server: $schema="
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_CONDITION_KEYS = ("when", "given", "expect")


def _scalar() -> dict[str, Any]:
    """A literal of a condition: numbers within ±2^53 and none nearer 0 than 0.0001 (the
    parser's bounds, so both engines compare them alike)."""
    tiny = {"type": "number", "exclusiveMinimum": -MIN_FRACTION,
            "exclusiveMaximum": MIN_FRACTION, "not": {"const": 0}}
    return {"type": ["string", "number", "boolean"], "minimum": -MAX_NUMBER,
            "maximum": MAX_NUMBER, "not": tiny}


def condition_schema() -> dict[str, Any]:
    """The condition language (``finpolicy.rules.parse``) as a JSON Schema."""
    ref = {"$ref": "#/$defs/Condition"}
    field_ref = {"type": "object", "properties": {"field": {"type": "string"}},
                 "required": ["field"], "additionalProperties": False}
    operand = {"anyOf": [_scalar(), field_ref]}
    ops: dict[str, Any] = {op: operand for op in COMPARISONS}
    ops["in"] = ops["not_in"] = {"type": "array", "items": _scalar(), "minItems": 1}
    ops["matches"] = {"type": "string", "description": "A pattern the whole text matches."}
    ops["contains"] = _scalar()
    ops["exists"] = {"type": "boolean"}
    comparison = {"type": "object", "description": "`{field: <path>, <operator>: <value>}`.",
                  "properties": {"field": {"type": "string", "description":
                                           "A fact of the domain, e.g. `customer.age`."},
                                 **ops},
                  "required": ["field"], "minProperties": 2, "maxProperties": 2,
                  "additionalProperties": False}
    return {"description": "A condition: `all`, `any`, `not` or one comparison.", "anyOf": [
        {"type": "object", "properties": {"all": {"type": "array", "items": ref}},
         "required": ["all"], "additionalProperties": False},
        {"type": "object", "properties": {"any": {"type": "array", "items": ref}},
         "required": ["any"], "additionalProperties": False},
        {"type": "object", "properties": {"not": ref}, "required": ["not"],
         "additionalProperties": False},
        comparison]}


def _conditions(node: Any) -> None:
    """Point every ``when``/``given``/``expect`` property at the condition schema."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for key in _CONDITION_KEYS:
                if key in props:
                    description = props[key].get("description")
                    nullable = {"type": "null"} in props[key].get("anyOf", [])
                    ref: dict[str, Any] = {"$ref": "#/$defs/Condition"}
                    props[key] = {"anyOf": [ref, {"type": "null"}]} if nullable else ref
                    if description:
                        props[key]["description"] = description
        for value in node.values():
            _conditions(value)
    elif isinstance(node, list):
        for value in node:
            _conditions(value)


def _patterns(model: dict[str, Any], fields: dict[str, re.Pattern[str]]) -> None:
    """Give fields the patterns their models' validators check (pydantic cannot see them),
    so an editor flags `version: 1.0` or `id: My Policy` as the loader does."""
    for name, rx in fields.items():
        model["properties"][name]["pattern"] = f"^(?:{rx.pattern})$"


def _one_of_pair(days: str, period: str) -> dict[str, Any]:
    """Exactly one of ``<days>`` (a number) and ``<period>`` (a mapping) is given."""
    return {"oneOf": [
        {"required": [days], "properties": {days: {"type": "integer"}}},
        {"required": [period], "properties": {period: {"type": "object"}}}]}


def _mask() -> dict[str, Any]:
    """A masker's name: one of ``MASKS`` or ``partial:F:L``."""
    return {"anyOf": [{"enum": list(MASKS)}, {"type": "string", "pattern": _PARTIAL},
                      {"type": "null"}]}


_PARTIAL = "^partial:[0-9]{1,2}:[0-9]{1,2}$"
# (kind, $defs model or "spec", property) of the name lists `validate` refuses repeats in
_UNIQUE = (("AccessPolicy", "spec", "levels"), ("AccessPolicy", "spec", "categories"),
           ("AccessPolicy", "spec", "actions"), ("AccessPolicy", "spec", "purposes"),
           ("ConsentPolicy", "spec", "levels"), ("ConsentPolicy", "spec", "categories"),
           ("ComplaintPolicy", "CriterionSpec", "levels"))


def _model(schema: dict[str, Any], model: str) -> dict[str, Any]:
    node = schema["properties"]["spec"] if model == "spec" else schema["$defs"][model]
    return node  # type: ignore[no-any-return]


def _tighten(name: str, schema: dict[str, Any]) -> None:
    """Add what ``finpolicy validate`` checks beyond the spec models' types: one retention
    of each pair, the fixed masks and detectors, no name listed twice."""
    for kind, model, prop in _UNIQUE:
        if kind == name:
            _model(schema, model)["properties"][prop]["uniqueItems"] = True
    if name != "ClassificationPolicy":
        return
    handling = _model(schema, "HandlingSpec")
    handling["allOf"] = [_one_of_pair("retention_days", "retention"),
                         _one_of_pair("audit_log_retention_days", "audit_log_retention")]
    for node, prop in ((_model(schema, "RuleSpec"), "mask"),
                       (_model(schema, "spec"), "unknown_field_mask")):
        node["properties"][prop].pop("anyOf")
        node["properties"][prop].update(_mask())
    detectors = _model(schema, "ContentSpec")["properties"]["detectors"]
    detectors["items"] = {"enum": list(DETECTORS)}
    levels = _model(schema, "spec")["properties"]["levels"]
    names = _model(schema, "LevelSpec")["properties"]["name"]["enum"]
    levels["allOf"] = [{"contains": {"properties": {"name": {"const": level}}}, "minContains": 0,
                        "maxContains": 1} for level in names]


def kind_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a policy document of kind ``name``."""
    kind = kinds()[name]
    spec = kind.spec_model.model_json_schema(ref_template="#/$defs/{model}")
    metadata = Metadata.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = {**metadata.pop("$defs", {}), **spec.pop("$defs", {})}
    _patterns(metadata, {"id": _ID, "version": _SEMVER})
    defs["Metadata"] = metadata
    defs["Condition"] = condition_schema()
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:finpolicy:schema:{name}",
        "title": name,
        "description": kind.summary or f"A `{name}` policy document.",
        "type": "object",
        "properties": {
            "apiVersion": {"const": "finpolicy/v1", "description": "Always `finpolicy/v1`."},
            "kind": {"const": name, "description": "The policy kind."},
            "metadata": {"$ref": "#/$defs/Metadata"},
            "spec": spec,
        },
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "$defs": defs,
    }
    _conditions(schema)
    _tighten(name, schema)
    return schema


def bundle_schema() -> dict[str, Any]:
    """The JSON Schema of ``bundle.yaml``."""
    schema = Manifest.model_json_schema()
    _patterns(schema, {"version": _SEMVER})
    return {"$schema": SCHEMA_DIALECT,
            "$id": "urn:finpolicy:schema:bundle", **schema}


def schemas() -> dict[str, dict[str, Any]]:
    """File name → schema: one per registered kind, and the bundle manifest's."""
    out = {f"{name}.schema.json": kind_schema(name) for name in sorted(kinds())}
    out["bundle.schema.json"] = bundle_schema()
    return out


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as written to a file (stable, so a committed copy can be compared)."""
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schemas(folder: str | Path, *, option: str = "folder") -> list[Path]:
    """Write every schema into ``folder`` (created if needed, each file whole); the files
    written.

    Raises:
        InputError: ``folder`` or a file in it cannot be written, naming ``option``.
    """
    target = output_folder(folder, option)
    out = []
    for name, schema in schemas().items():
        out.append(write_output(target / name, schema_text(schema), option))
    return out


def modeline(kind: str | None, schema_dir: str) -> str:
    """The first line pointing an editor at the schema of ``kind`` (``None``: the bundle)."""
    name = f"{kind}.schema.json" if kind else "bundle.schema.json"
    return f"{MODELINE}{schema_dir.rstrip('/')}/{name}"
