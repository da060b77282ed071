"""Parse conditions from YAML data, collecting every problem with its path.

YAML form::

    all: [<condition>, ...]          any: [<condition>, ...]          not: <condition>
    {field: customer.age, ge: 65}    {field: product.rank, gt: {field: customer.rank}}
    {field: purpose, in: [audit, marketing]}    {field: name, matches: "id_?(no|number)"}
    {field: roles, contains: teller}             {field: guardian_consent, exists: true}
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any as AnyType

from finpolicy.documents.yamlsource import Path, SourceDocument
from finpolicy.errors import Problem
from finpolicy.rules.conditions import (
    COMPARISONS,
    FIELD_REF_OPS,
    ORDERING,
    All,
    Any,
    Compare,
    Condition,
    Exists,
    FieldRef,
    Not,
    scalar_type,
)
from finpolicy.rules.patterns import PatternError, compile_pattern

_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
_KEYWORDS = ("all", "any", "not", "field", "exists", *COMPARISONS)
# Literals beyond this cannot be compared identically by both engines (durable uses doubles).
MAX_NUMBER = 2**53
MIN_FRACTION = 1e-4  # the least nonzero magnitude JSON writes without an exponent
MAX_CONDITION_DEPTH = 32
"""How deeply ``all``/``any``/``not`` may nest: deeper conditions are refused at load."""

FieldTypes = Mapping[str, str]
"""Dotted path → ``"number" | "text" | "boolean" | "list"`` (the facts a domain derives)."""


# Spellings people bring from other languages (SQL, JSON Schema, Mongo, Rego).
_ALIASES = {"gte": "ge", "lte": "le", "equals": "eq", "neq": "ne", "nin": "not_in",
            "regex": "matches", "has": "contains", "and": "all", "or": "any",
            "field_exists": "exists"}


def suggest(word: str, choices: Iterable[object]) -> str:
    """A `` (did you mean `x`?)`` hint, or an empty string."""
    if len(str(word)) > 100:
        return ""
    names = [str(c) for c in choices]
    alias = _ALIASES.get(str(word))
    if alias is not None and alias in names:
        return f" (did you mean `{alias}`?)"
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


class ConditionParser:
    """Parses conditions of one document; problems accumulate in ``problems``."""

    def __init__(self, source: SourceDocument, fields: FieldTypes | None = None) -> None:
        self.source = source
        self.fields = fields
        self.problems: list[Problem] = []

    def _fail(self, path: Path, message: str, code: str) -> None:
        self.problems.append(self.source.problem(path, message, code))

    def parse(self, data: AnyType, path: Path) -> Condition | None:
        """Return the condition, or ``None`` after recording problems."""
        return self._node(data, path, negated=False, depth=0)

    def _node(self, data: AnyType, path: Path, *, negated: bool,
              depth: int) -> Condition | None:
        if not isinstance(data, dict):
            self._fail(path, f"expected a condition mapping, got {_describe(data)}",
                       "condition_type")
            return None
        keys = set(data)
        unknown = sorted(str(k) for k in keys if k not in _KEYWORDS)
        for key in unknown:
            self._fail((*path, key), f"unknown operator `{key}`{suggest(key, _KEYWORDS)}; "
                       f"valid: {', '.join(_KEYWORDS)}", "unknown_operator")
        if unknown:
            return None
        for combinator in ("all", "any", "not"):
            if combinator in keys:
                if len(keys) != 1:
                    others = ", ".join(f"`{k}`" for k in sorted(keys - {combinator}))
                    self._fail(path, f"`{combinator}` cannot be combined with {others} "
                                     "in one mapping", "mixed_condition")
                    return None
                if depth >= MAX_CONDITION_DEPTH:
                    self._fail(path, f"condition nested more than {MAX_CONDITION_DEPTH} levels "
                                     "deep (`all`, `any` and `not` inside one another)",
                               "condition_depth")
                    return None
                return self._combinator(combinator, data[combinator], path, negated=negated,
                                        depth=depth + 1)
        return self._comparison(data, path, negated=negated)

    def _combinator(self, name: str, body: AnyType, path: Path, *,
                    negated: bool, depth: int) -> Condition | None:
        here = (*path, name)
        if name == "not":
            item = self._node(body, here, negated=not negated, depth=depth)
            return None if item is None else Not(item)
        if not isinstance(body, list):
            self._fail(here, f"`{name}` expects a list of conditions, got {_describe(body)}",
                       "condition_type")
            return None
        items = [self._node(item, (*here, i), negated=negated, depth=depth)
                 for i, item in enumerate(body)]
        if any(item is None for item in items):
            return None
        parsed = tuple(i for i in items if i is not None)
        return All(parsed) if name == "all" else Any(parsed)

    def _path(self, value: AnyType, where: Path) -> tuple[str, ...] | None:
        if not isinstance(value, str) or not value:
            self._fail(where, f"expected a field path, got {_describe(value)}", "bad_path")
            return None
        parts = _split_path(value)
        if parts is None:
            self._fail(where, f"invalid field path `{value}` (dot-separated names of letters, "
                              "digits and single underscores)", "bad_path")
            return None
        if self.fields is not None and value not in self.fields:
            self._fail(where, f"unknown field `{value}`{suggest(value, self.fields)}",
                       "unknown_field")
            return None
        return parts

    def _comparison(self, data: dict[str, AnyType], path: Path, *,
                    negated: bool) -> Condition | None:
        if "field" not in data:
            self._fail(path, "a comparison needs `field`", "missing_field")
            return None
        ops = [k for k in data if k != "field"]
        if len(ops) != 1:
            what = "no operator" if not ops else "several operators " + ", ".join(
                f"`{o}`" for o in ops)
            self._fail(path, f"a comparison needs exactly one operator, got {what}",
                       "operator_count")
            return None
        op = ops[0]
        field_path = self._path(data["field"], (*path, "field"))
        if field_path is None:
            return None
        value, where = data[op], (*path, op)
        if op == "exists":
            if not isinstance(value, bool):
                self._fail(where, f"`exists` expects true or false, got {_describe(value)}",
                           "bad_operand")
                return None
            return Exists(field_path, value)
        if isinstance(value, dict):
            return self._field_ref(op, field_path, value, where)
        return self._literal(op, field_path, value, where, negated=negated)

    def _field_ref(self, op: str, field_path: tuple[str, ...], value: dict[str, AnyType],
                   where: Path) -> Condition | None:
        if set(value) != {"field"}:
            self._fail(where, f"`{op}` expects a value or {{field: <path>}}, got a mapping with "
                              f"{', '.join(f'`{k}`' for k in value)}", "bad_operand")
            return None
        if op not in FIELD_REF_OPS:
            self._fail(where, f"`{op}` cannot compare two fields", "bad_operand")
            return None
        other = self._path(value["field"], (*where, "field"))
        if other is None:
            return None
        if self.fields is not None:
            left, right = self.fields[".".join(field_path)], self.fields[".".join(other)]
            if op in ORDERING and "number" not in (left, right):
                self._fail(where, f"`{op}` compares numbers; `{'.'.join(field_path)}` is {left}",
                           "type_mismatch")
                return None
        return Compare(op, field_path, FieldRef(other))

    def _literal(self, op: str, field_path: tuple[str, ...], value: AnyType, where: Path, *,
                 negated: bool) -> Condition | None:
        field_type = self.fields.get(".".join(field_path)) if self.fields is not None else None
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self._fail(where, f"`{op}` expects a non-empty list, got {_describe(value)}",
                           "bad_operand")
                return None
            for i, item in enumerate(value):
                if not self._check_scalar(item, (*where, i), field_type):
                    return None
            return Compare(op, field_path, tuple(value))
        if op in ORDERING:
            if scalar_type(value) != "number":
                self._fail(where, f"`{op}` expects a number, got {_describe(value)}"
                                  f"{exponent_hint(value)}", "bad_operand")
                return None
            if field_type not in (None, "number"):
                self._fail(where, f"`{op}` compares numbers; `{'.'.join(field_path)}` is "
                                  f"{field_type}", "type_mismatch")
                return None
            return Compare(op, field_path, value) if self._check_scalar(value, where,
                                                                        None) else None
        if op == "matches":
            if negated:
                self._fail(where, "`matches` cannot be negated (durable_rules has no "
                                  "negated match); list the alternatives instead",
                           "negated_match")
                return None
            if not isinstance(value, str):
                self._fail(where, f"`matches` expects a pattern string, got {_describe(value)}",
                           "bad_operand")
                return None
            try:
                compile_pattern(value)
            except PatternError as exc:
                self._fail(where, f"invalid pattern `{value}`: {exc}", "bad_pattern")
                return None
            return Compare(op, field_path, value)
        if op == "contains":
            if field_type not in (None, "list"):
                self._fail(where, f"`contains` needs a list; `{'.'.join(field_path)}` is "
                                  f"{field_type}", "type_mismatch")
                return None
            return Compare(op, field_path, value) if self._check_scalar(value, where,
                                                                        None) else None
        # eq / ne
        return Compare(op, field_path, value) if self._check_scalar(value, where,
                                                                    field_type) else None

    def _check_scalar(self, value: AnyType, where: Path, field_type: str | None) -> bool:
        kind = scalar_type(value)
        if kind is None:
            self._fail(where, f"expected text, a number or a boolean, got {_describe(value)}",
                       "bad_operand")
            return False
        if kind == "text" and not _unicode(value):
            self._fail(where, "text holds a lone surrogate (not Unicode text)", "bad_operand")
            return False
        if kind == "number" and (abs(value) > MAX_NUMBER or not math.isfinite(value)):
            self._fail(where, f"number {_show(value)} is out of range (|n| ≤ 2^53)",
                       "bad_operand")
            return False
        if kind == "number" and 0 < abs(value) < MIN_FRACTION:
            # durable_rules reads no exponent, and such a number has one in JSON (1e-05)
            self._fail(where, f"number {_show(value)} is too small for both engines to read "
                              "(write 0, or a magnitude of at least 0.0001)", "bad_operand")
            return False
        if field_type not in (None, "list") and kind != field_type:
            self._fail(where, f"expected {field_type} (the type of the field), got {kind} "
                              f"`{value}`{exponent_hint(value) if field_type == 'number' else ''}",
                       "type_mismatch")
            return False
        return True


_EXPONENT = re.compile(r"([-+]?)([0-9]+)(?:\.([0-9]*))?[eE]([-+]?)([0-9]+)")


def exponent_hint(value: AnyType) -> str:
    """For text YAML 1.1 read from a number with an exponent (``1e6``, ``2.5E-3``: it wants a
    dot and a signed exponent), why and what to write; otherwise an empty string."""
    found = _EXPONENT.fullmatch(value) if isinstance(value, str) and len(value) < 40 else None
    if found is None or (found.group(3) is not None and found.group(4)):
        return ""  # `1.5e+6` is a number to YAML: this text was quoted
    sign, whole, fraction, esign, digits = found.groups()
    written = f"{sign}{whole}.{fraction or '0'}e{esign or '+'}{int(digits)}"
    number = float(value)
    if abs(number) > MAX_NUMBER or 0 < abs(number) < MIN_FRACTION:
        plain = ", though a condition's numbers are within ±2^53 and 0 or at least 0.0001"
    else:
        plain = (f" or {int(number)}" if number == int(number)
                 else f" or {number:.{max(0, 12 - len(str(int(abs(number)))))}f}".rstrip("0"))
    return (f" (YAML reads a number with an exponent as text unless it has a dot and a signed "
            f"exponent: write {written}{plain})")


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _split_path(value: str) -> tuple[str, ...] | None:
    """``customer.age`` → ``("customer", "age")``; ``None`` when a segment is not a name."""
    parts = tuple(value.split("."))
    return parts if all(_SEGMENT.fullmatch(p) for p in parts) else None


def _show(value: AnyType) -> str:
    """A literal in backticks, shortened (a huge integer cannot even be printed in full)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"of about {int(value.bit_length() * 0.30103)} digits"
    text = str(value)
    return f"`{text if len(text) <= 60 else text[:60] + '…'}`"


def _describe(value: AnyType) -> str:
    kind = scalar_type(value)
    if kind is not None:
        return f"{kind} {_show(value)}"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
