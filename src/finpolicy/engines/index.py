"""Rule indexing: the rules of a rule set that can hold for a fact, found without testing all.

Each rule's condition implies some simple necessary conditions on single fields (as OPA's rule
index does for Rego): its value is one of a few literals (``eq``, ``in``), the field is a list
holding one of a few literals (``contains``), a number within a band (``lt le gt ge``), or a
text matching one of a few patterns (``matches``). Each rule is filed under its most selective
such condition; a fact then looks up the rules filed under its own values and only those
(plus the rules with no usable condition, tested always) are evaluated in full. The index
only ever narrows the rules to test, so a rule that holds is always among the candidates.

Literals are keyed with their type class (text, number, boolean): ``1`` and ``1.0`` are one key,
``1`` and ``true`` two, as the condition semantics say.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import attrs

from finpolicy.rules.conditions import ORDERING, All, Compare, Condition, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import RuleSet

Path = tuple[str, ...]
Key = tuple[str, Any]

MIN_RULES = 64
"""Rule sets smaller than this are not indexed: testing every rule is cheaper."""
MAX_SELECTIVITY = 0.25
"""A condition expected to hold for more than this share of facts is not worth filing under."""
_BAND_ENTRIES_PER_RULE = 8


def scalar_key(value: Any) -> Key | None:
    """The typed key of a text, number or boolean; ``None`` for anything else."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return ("n", value)
    return None


# --- necessary conditions ----------------------------------------------------------------------

class Need(NamedTuple):
    """A necessary condition on one field.

    ``kind`` is ``member`` (the value's key is in ``keys``), ``holds`` (a list holding an element
    whose key is in ``keys``), ``band`` (a number within ``[low, high]``) or ``matched`` (a text
    matching one of the patterns in ``keys``, given as ``("p", source)``).
    """

    kind: str
    path: Path
    keys: frozenset[Key] = frozenset()
    low: float = -math.inf
    high: float = math.inf


Needs = dict[tuple[str, Path], Need]


def _combine_all(needs: Needs, need: Need) -> None:
    slot = (need.kind, need.path)
    old = needs.get(slot)
    if old is None:
        needs[slot] = need
    elif need.kind == "member":
        needs[slot] = Need("member", need.path, old.keys & need.keys)
    elif need.kind == "band":
        needs[slot] = Need("band", need.path, low=max(old.low, need.low),
                           high=min(old.high, need.high))
    elif len(need.keys) < len(old.keys):  # both must hold: either one is necessary
        needs[slot] = need


def _union(a: Need, b: Need) -> Need:
    if a.kind == "band":
        return Need("band", a.path, low=min(a.low, b.low), high=max(a.high, b.high))
    return Need(a.kind, a.path, a.keys | b.keys)


def _compare(cond: Compare) -> Needs:
    op, path, value = cond.op, cond.path, cond.value
    if value.__class__ is FieldRef:
        return {}
    if op == "eq" or op == "in":
        literals = value if op == "in" else (value,)
        keys = frozenset(k for k in map(scalar_key, literals)  # type: ignore[arg-type]
                         if k is not None)
        return {("member", path): Need("member", path, keys)}
    if op == "contains":
        key = scalar_key(value)
        return {} if key is None else {("holds", path): Need("holds", path, frozenset((key,)))}
    if op in ORDERING and isinstance(value, int | float) and value.__class__ is not bool:
        if op == "lt" or op == "le":
            return {("band", path): Need("band", path, high=float(value))}
        return {("band", path): Need("band", path, low=float(value))}
    if op == "matches":
        return {("matched", path): Need("matched", path, frozenset((("p", str(value)),)))}
    return {}


def necessary(cond: Condition) -> Needs | None:
    """Necessary conditions of ``cond`` by (kind, path); ``None`` when it can never hold."""
    kind = cond.__class__
    if kind is Compare:
        return _compare(cond)  # type: ignore[arg-type]
    if kind is All:
        needs: Needs = {}
        for item in cond.items:  # type: ignore[union-attr]
            found = necessary(item)
            if found is None:
                return None
            for need in found.values():
                _combine_all(needs, need)
        return needs
    if kind is AnyOf:
        branches = [b for b in map(necessary, cond.items) if b is not None]  # type: ignore[union-attr]
        if not branches:
            return None
        out = {}
        for slot in set(branches[0]).intersection(*branches[1:]):
            need = branches[0][slot]
            for other in branches[1:]:
                need = _union(need, other[slot])
            out[slot] = need
        return out
    if kind is Not and cond.item.__class__ is Not:  # type: ignore[union-attr]
        return necessary(cond.item.item)  # type: ignore[union-attr]
    return {}


# --- the index ---------------------------------------------------------------------------------

@attrs.frozen(slots=True)
class Band:
    """Rules filed under numeric bands of one field: ``regions[region(v)]`` are candidates."""

    path: Path
    bounds: tuple[float, ...]
    regions: tuple[tuple[int, ...], ...]

    def candidates(self, value: float) -> tuple[int, ...]:
        return self.regions[region(self.bounds, value)]


def region(bounds: tuple[float, ...], value: float) -> int:
    """Regions alternate: below ``bounds[0]`` is 0, exactly ``bounds[i]`` is ``2i+1``."""
    i = bisect.bisect_left(bounds, value)
    return 2 * i + 1 if i < len(bounds) and bounds[i] == value else 2 * i


@attrs.frozen(slots=True)
class RuleIndex:
    """Where each rule of a rule set is filed.

    Attributes:
        always: rules with no usable necessary condition, tested for every fact.
        members: per field, value key → rules.
        holds: per list field, element key → rules.
        bands: per numeric field, its bands.
        matched: per text field, pattern source → rules.
    """

    size: int
    always: tuple[int, ...]
    members: Mapping[Path, Mapping[Key, tuple[int, ...]]]
    holds: Mapping[Path, Mapping[Key, tuple[int, ...]]]
    bands: Mapping[Path, Band]
    matched: Mapping[Path, Mapping[str, tuple[int, ...]]]

    @property
    def useful(self) -> bool:
        """Whether the index leaves out enough rules to be worth consulting."""
        return self.size >= MIN_RULES and len(self.always) <= self.size // 2

    def candidates(self, fact: Mapping[str, Any], matched: Mapping[Path, Iterable[str]]
                   ) -> list[int]:
        """Rules that may hold for ``fact`` in rule order (``matched``: path → patterns the
        text at that path matches)."""
        found: set[int] = set(self.always)
        for path, table in self.members.items():
            key = scalar_key(read(fact, path))
            if key is not None:
                found.update(table.get(key, ()))
        for path, table in self.holds.items():
            items = read(fact, path)
            if isinstance(items, list | tuple):
                for item in items:
                    key = scalar_key(item)
                    if key is not None:
                        found.update(table.get(key, ()))
        for path, band in self.bands.items():
            key = scalar_key(read(fact, path))
            if key is not None and key[0] == "n":
                found.update(band.candidates(key[1]))
        for path, by_pattern in self.matched.items():
            for source in matched.get(path, ()):
                found.update(by_pattern.get(source, ()))
        return sorted(found)


def read(fact: Mapping[str, Any], path: Path) -> Any:
    """The value at ``path`` (``None`` when any step is missing)."""
    value: Any = fact
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value


def _selectivity(need: Need, distinct: Mapping[tuple[str, Path], int]) -> float:
    if need.kind == "band":
        return 0.4 if math.isfinite(need.low) and math.isfinite(need.high) else 0.6
    if not need.keys:
        return 0.0
    share = len(need.keys) / (distinct[(need.kind, need.path)] + 1)
    return min(1.0, share * (2 if need.kind == "holds" else 1))


def build_index(ruleset: RuleSet) -> RuleIndex:
    """File every rule of ``ruleset`` under its most selective necessary condition."""
    per_rule = [necessary(rule.when) for rule in ruleset.rules]
    seen: dict[tuple[str, Path], set[Key]] = {}
    for needs in per_rule:
        for slot, need in (needs or {}).items():
            seen.setdefault(slot, set()).update(need.keys)
    distinct = {slot: len(keys) for slot, keys in seen.items()}
    always: list[int] = []
    members: dict[Path, dict[Key, list[int]]] = {}
    holds: dict[Path, dict[Key, list[int]]] = {}
    matched: dict[Path, dict[str, list[int]]] = {}
    banded: dict[Path, list[tuple[int, float, float]]] = {}
    for index, needs in enumerate(per_rule):
        if needs is None:  # never holds: nothing to file, nothing to test
            continue
        best = min(needs.values(), key=lambda n: _selectivity(n, distinct), default=None)
        if best is None or _selectivity(best, distinct) > MAX_SELECTIVITY:
            always.append(index)
        elif best.kind == "band":
            banded.setdefault(best.path, []).append((index, best.low, best.high))
        elif best.kind == "matched":
            by_pattern = matched.setdefault(best.path, {})
            for _, source in best.keys:
                by_pattern.setdefault(source, []).append(index)
        else:
            by_key = (members if best.kind == "member" else holds).setdefault(best.path, {})
            for key in best.keys:
                by_key.setdefault(key, []).append(index)
    bands: dict[Path, Band] = {}
    for path, rules in banded.items():
        band = _band(path, rules)
        if band is None:
            always.extend(index for index, _, _ in rules)
        else:
            bands[path] = band
    return RuleIndex(
        size=len(ruleset.rules), always=tuple(sorted(always)),
        members={p: {k: tuple(v) for k, v in t.items()} for p, t in members.items()},
        holds={p: {k: tuple(v) for k, v in t.items()} for p, t in holds.items()},
        bands=bands,
        matched={p: {k: tuple(v) for k, v in t.items()} for p, t in matched.items()})


def _band(path: Path, rules: list[tuple[int, float, float]]) -> Band | None:
    """Bands of one field; ``None`` when the rules overlap too much to be worth it."""
    bounds = tuple(sorted({b for _, low, high in rules for b in (low, high)
                           if math.isfinite(b)}))
    regions: list[list[int]] = [[] for _ in range(2 * len(bounds) + 1)]
    budget = _BAND_ENTRIES_PER_RULE * len(rules) + 64
    for index, low, high in sorted(rules):
        first = region(bounds, low) if math.isfinite(low) else 0
        last = region(bounds, high) if math.isfinite(high) else 2 * len(bounds)
        budget -= last - first + 1
        if budget < 0:
            return None
        for r in range(first, last + 1):
            regions[r].append(index)
    return Band(path, bounds, tuple(tuple(r) for r in regions))
