"""Numbers a policy's words state, checked against the numbers its rules and settings use.

A policy's ``metadata.description`` and each rule's ``reason`` are read by people; the rules
decide. When a threshold changes (the elderly age from 65 to 60) and the words do not, the
published text is wrong. This module finds the ages, durations, shares and amounts the words
state and checks each against the numbers of the same kind in the policy:

- the description against every number of the document (rule conditions, durations, settings
  named ``…_days`` and so on);
- a ``reason`` against the numbers of the mapping that holds it (its rule's condition, its
  milestone's duration), when that mapping has numbers of the same kind.

A stated number of a kind the policy never uses (a retention period in a suitability policy)
is not checked: there is nothing to compare it with. Comparisons accept the other side of a
strict boundary (``gt 64`` is "65 and over"), and months and years against days within a
calendar's variation (12 months is 365 days).

``finpolicy.sphinx`` reports each finding as a build warning; ``check_bundle`` is the function
a linter calls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = ["Claim", "Inconsistency", "Quantity", "check_bundle", "check_document", "claims",
           "quantities"]

CODE = "number_mismatch"

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
          "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SPELLED = "|".join([*_WORDS, *_ORDINALS])
_TIME_UNITS = {"hour": "hours", "day": "days", "week": "weeks", "month": "months",
               "year": "years", "小时": "hours", "天": "days", "工作日": "working_days",
               "周": "weeks", "个月": "months"}
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("age", re.compile(rf"\bage[sd]?\s+(?:of\s+)?(?P<n>{_NUM})\b", re.I)),
    ("age", re.compile(rf"\b(?P<n>{_NUM})\s+years?\s+(?:old|of\s+age)\b", re.I)),
    ("age", re.compile(
        rf"\b(?:customers?|clients?|people|persons?|individuals?|investors?|those|anyone)\s+"
        rf"(?P<n>{_NUM})\s*(?:\+|and\s+over|and\s+older|or\s+over|or\s+older|and\s+above)",
        re.I)),
    ("age", re.compile(rf"(?P<n>{_NUM})\s*周?岁")),
    ("time", re.compile(
        rf"\b(?P<n>{_NUM}|{_SPELLED})[\s-]+(?P<qual>calendar|working|business)?[\s-]*"
        r"(?P<unit>hour|day|week|month|year)s?\b", re.I)),
    ("time", re.compile(rf"(?P<n>{_NUM})\s*个?(?P<unit>小时|天|工作日|周|个月)")),
    ("share", re.compile(rf"(?P<n>{_NUM})\s*(?:%|per\s?cent\b)", re.I)),
    ("share", re.compile(r"\b(?P<n>half)\b", re.I)),
    ("money", re.compile(
        rf"(?:¥|CNY|RMB|£|GBP|€|EUR|US\$|\$|USD)\s?(?P<n>{_NUM})\s*(?P<scale>thousand|million|"
        r"k\b|m\b|万)?", re.I)),
    ("money", re.compile(rf"(?P<n>{_NUM})\s*(?P<scale>万)?元")),
)
_KIND_WORDS = {"age": "an age", "time": "a duration", "share": "a share", "money": "an amount"}


@attrs.frozen(slots=True)
class Claim:
    """A number stated in words: ``kind`` (age, time, share, money), its value, the unit of a
    duration (``hours``, ``days``, ``working_days``, ``weeks``, ``months``, ``years``) and the
    phrase as written."""

    kind: str
    value: float
    unit: str
    phrase: str


@attrs.frozen(slots=True)
class Quantity:
    """A number the policy uses: ``values`` holds the number and, for a strict comparison, the
    first value on the other side (``gt 64`` → 64, 65); ``where`` says where it is."""

    kind: str
    unit: str
    values: tuple[float, ...]
    where: str


@attrs.frozen(slots=True)
class Inconsistency:
    """A stated number that no number of the same kind in the policy matches.

    Attributes:
        file: the policy document.
        line: the line of the text (or of the nearest mapping that has one).
        path: where the text is inside the document (``metadata.description``).
        claim: what the text states.
        expected: the numbers of that kind the policy uses, where it uses them.
        code: ``number_mismatch``; severity: ``warning``.
    """

    file: str
    line: int | None
    path: str
    claim: Claim
    expected: tuple[Quantity, ...]
    code: str = CODE
    severity: str = "warning"

    @property
    def message(self) -> str:
        uses = "; ".join(f"{_number(q.values[0])} {_unit_words(q)} ({q.where})"
                         for q in self.expected[:4])
        more = f" and {len(self.expected) - 4} more" if len(self.expected) > 4 else ""
        return (f"`{self.path}` states `{self.claim.phrase}` ({_KIND_WORDS[self.claim.kind]}) "
                f"but the policy uses {uses}{more}")

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.message}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _unit_words(q: Quantity) -> str:
    return {"age": "years of age", "share": "(share)", "money": "(amount)"}.get(
        q.kind, q.unit.replace("_", " "))


def _parse(text: str) -> float:
    word = text.lower()
    if word in _WORDS:
        return float(_WORDS[word])
    if word in _ORDINALS:
        return float(_ORDINALS[word])
    if word == "half":
        return 0.5
    return float(text.replace(",", ""))


def claims(text: str) -> list[Claim]:
    """The ages, durations, shares and amounts ``text`` states, in order of appearance."""
    found: list[tuple[int, Claim]] = []
    taken: set[int] = set()
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if match.start("n") in taken:
                continue  # one number, one claim (an age pattern came first)
            value = _parse(match.group("n"))
            unit = ""
            groups = match.groupdict()
            if kind == "time":
                unit = _TIME_UNITS[groups["unit"].lower()]
                if unit == "days" and (groups.get("qual") or "").lower() in ("working",
                                                                             "business"):
                    unit = "working_days"
            elif kind == "share" and match.group("n").lower() != "half":
                value /= 100
            elif kind == "money":
                scale = (groups.get("scale") or "").lower()
                value *= {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6,
                          "万": 1e4}.get(scale, 1)
            taken.add(match.start("n"))
            found.append((match.start(), Claim(kind, value, unit, " ".join(match.group(0)
                                                                             .split()))))
    return [claim for _, claim in sorted(found, key=lambda item: item[0])]


# --- the numbers a policy uses -------------------------------------------------------------------

_SUFFIXES = {"_days": "days", "_hours": "hours", "_weeks": "weeks", "_months": "months",
             "_years": "years"}
_DURATION_UNITS = {"hours": "hours", "working_days": "working_days", "calendar_days": "days",
                   "days": "days", "weeks": "weeks", "months": "months", "years": "years"}
_OPS = ("eq", "ne", "lt", "le", "gt", "ge")


def _field_kind(path: str) -> tuple[str, str] | None:
    """``(kind, unit)`` of the numbers a field compares, from the field's name."""
    name = path.rsplit(".", 1)[-1]
    if name == "age" or name.endswith("_age"):
        return "age", ""
    if name == "days_since":
        return "time", "days"
    for suffix, unit in _SUFFIXES.items():
        if name.endswith(suffix):
            return "time", unit
    if "share" in name or "ratio" in name:
        return "share", ""
    if any(word in name for word in ("amount", "assets", "balance", "income")):
        return "money", ""
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _condition_quantity(node: Mapping[str, Any], where: str) -> Quantity | None:
    path = node.get("field")
    ops = [op for op in _OPS if op in node and _is_number(node[op])]
    if not isinstance(path, str) or len(ops) != 1:
        return None
    kind = _field_kind(path)
    if kind is None:
        return None
    op, value = ops[0], float(node[ops[0]])
    other = {"gt": value + 1, "lt": value - 1}.get(op) if kind[0] in ("age", "time") else None
    values = (value,) if other is None else (value, other)
    symbol = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}[op]
    return Quantity(*kind, values, f"{where}: {path} {symbol} {_number(value)}")


def _walk(data: Any, where: str, unit: str | None = None) -> Iterator[Quantity]:
    """Every number of ``data`` whose kind can be told: conditions on named fields, durations
    (``amount`` with ``unit``, and their extensions), values of keys named ``…_days``.
    ``where`` names the place: a rule's id, a milestone's name, a settings key."""
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, where, unit)
        return
    if not isinstance(data, Mapping):
        return
    if isinstance(data.get("id"), str):
        where = f"rule {data['id']}"
    elif isinstance(data.get("name"), str):
        where = data["name"]
    found = _condition_quantity(data, where)
    if found is not None:
        yield found
    amount = data.get("amount")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        named = data.get("unit")
        if isinstance(named, str) and named in _DURATION_UNITS:
            unit = _DURATION_UNITS[named]
            yield Quantity("time", unit, (float(amount),), f"{where} duration".strip())
        elif unit is not None:  # an extension inherits its duration's unit
            yield Quantity("time", unit, (float(amount),), f"{where} extension".strip())
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        here = f"{where}.{key}" if where else key
        kind = ("time", _DURATION_UNITS[key]) if key in _DURATION_UNITS else _field_kind(key)
        if kind is not None and kind[0] == "time" and _is_number(value):
            yield Quantity(*kind, (float(value),), here)
        elif kind is not None and kind[0] == "time" and isinstance(value, Mapping):
            yield from (Quantity(*kind, (float(n),), f"{here}.{name}")
                        for name, n in value.items() if _is_number(n))
        else:
            yield from _walk(value, where or key, unit if key == "extensions" else None)


def quantities(data: Any, where: str = "") -> list[Quantity]:
    """The numbers of a document (or of one rule, milestone …) whose kind can be told."""
    return list(_walk(data, where))


# --- comparing -----------------------------------------------------------------------------------

_DAYS = {"hours": (1 / 24, 1 / 24), "days": (1, 1), "working_days": (1, 1), "weeks": (7, 7),
         "months": (28, 31), "years": (365, 366)}


def _matches(claim: Claim, q: Quantity) -> bool:
    if claim.kind != q.kind:
        return False
    if claim.kind != "time" or claim.unit == q.unit:
        return any(abs(claim.value - v) < 1e-9 for v in q.values)
    if {claim.unit, q.unit} <= {"days", "working_days"}:
        return any(abs(claim.value - v) < 1e-9 for v in q.values)
    if "working_days" in (claim.unit, q.unit):
        return False  # working days have no fixed length in calendar time
    low, high = (claim.value * f for f in _DAYS[claim.unit])
    return any(v * _DAYS[q.unit][0] <= high + 1e-9 and low <= v * _DAYS[q.unit][1] + 1e-9
               for v in q.values)


def _check(text: str, context: list[Quantity], doc: PolicyDocument[Any],
           path: tuple[str | int, ...]) -> list[Inconsistency]:
    out = []
    for claim in claims(text):
        same = [q for q in context if q.kind == claim.kind]
        if same and not any(_matches(claim, q) for q in same):
            line = doc.source.line_of(path) if doc.source is not None else None
            dotted = ".".join(str(p) for p in path)
            out.append(Inconsistency(doc.file, line, dotted, claim, tuple(same)))
    return out


def _reasons(data: Any, path: tuple[str | int, ...] = ()
             ) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, Any]]]:
    if isinstance(data, Mapping):
        if isinstance(data.get("reason"), str):
            yield path, data
        for key, value in data.items():
            yield from _reasons(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _reasons(item, (*path, i))


def check_document(doc: PolicyDocument[Any]) -> list[Inconsistency]:
    """Numbers in ``doc``'s description and reasons that its rules and settings contradict."""
    data = doc.data if isinstance(doc.data, Mapping) else {}
    spec = data.get("spec", {})
    out: list[Inconsistency] = []
    description = (data.get("metadata") or {}).get("description")
    if isinstance(description, str):
        out += _check(description, quantities(spec), doc, ("metadata", "description"))
    for path, holder in _reasons(spec, ("spec",)):
        own = quantities({k: v for k, v in holder.items() if k != "reason"})
        out += _check(holder["reason"], own, doc, (*path, "reason"))
    return out


def check_bundle(bundle: Bundle) -> list[Inconsistency]:
    """``check_document`` for every document of ``bundle``, in bundle order."""
    return [found for doc in bundle.documents for found in check_document(doc)]
