"""Hypothesis strategies of JSON values from a JSON schema, for the subset pydantic emits
(objects, arrays, strings with date and date-time formats, numbers, enums, ``anyOf``,
``$ref`` into ``#/components/schemas``). Values follow the schema's shape and types; they
need not satisfy the domains' own checks (the API must refuse those cleanly)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

_TEXT = st.text(max_size=12) | st.sampled_from(["", "read", "teller", "C3", "R3", "core",
                                                "ordinary", "sms", "marketing", "身份证号"])
_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1))
_OFFSETS = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))])
_DATETIMES = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1),
                          timezones=_OFFSETS | st.none())


def from_schema(schema: dict[str, Any], components: dict[str, Any],
                depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``schema`` (``components``: the document's ``components.schemas``)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return st.deferred(lambda: from_schema(components[name], components, depth + 1))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, components, depth) for s in schema[key]])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return from_schema(schema["allOf"][0], components, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, components, depth)
    if kind == "array":
        items = from_schema(schema.get("items", {}), components, depth + 1)
        most = min(schema.get("maxItems", 3), 3 if depth < 4 else 0)
        return st.lists(items, min_size=min(schema.get("minItems", 0), most), max_size=most)
    return _scalar(schema)


def _scalar(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if kind == "string":
        form = schema.get("format")
        if form == "date":
            return _DATES.map(dt.date.isoformat)
        if form == "date-time":
            return _DATETIMES.map(dt.datetime.isoformat)
        return _TEXT
    if kind == "integer":
        return st.integers(min_value=-10**6, max_value=10**9)
    if kind == "number":
        return st.integers(-1000, 10**7) | st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.none() | st.booleans() | st.integers() | _TEXT  # any JSON value


def _object(schema: dict[str, Any], components: dict[str, Any],
            depth: int) -> st.SearchStrategy[dict[str, Any]]:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fixed = {k: from_schema(v, components, depth + 1) for k, v in properties.items()
             if k in required}
    optional = {k: from_schema(v, components, depth + 1) for k, v in properties.items()
                if k not in required and depth < 4}
    shaped = st.fixed_dictionaries(fixed, optional=optional)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and not properties:
        return st.dictionaries(_TEXT, from_schema(extra, components, depth + 1), max_size=3)
    return shaped
