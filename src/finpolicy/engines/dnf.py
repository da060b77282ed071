"""Conditions translated to durable_rules rule definitions.

durable_rules' comparisons coerce across types and its ``$m`` (field-to-field) tests misfire
when a field is missing, so facts are *typed and flattened*: a value at ``customer.age``
becomes ``customer__age__x`` (present), ``customer__age__n`` (the number) and
``customer__age__t`` (its type); every comparison reads the typed field and is guarded by
``$ex`` tests. durable_rules has no ``not``: conditions are brought to disjunctive normal form
over primitive tests whose complements durable can express; each disjunct is one durable rule.
A ``matches`` test reads ``<path>__m``, the list of the patterns the text matches (see
``engines.durable``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from finpolicy.engines.limits import MAX_EXACT_NUMBER
from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf

Prim = tuple[Any, ...]
Conj = tuple[Prim, ...]
DNF = list[Conj]

GUARD = "fp__guard"
MAX_DISJUNCTS = 256
MAX_TESTS = 28  # durable allows 32 expressions per rule; keep room for the guard


class TooComplex(Exception):
    """A condition beyond ``MAX_DISJUNCTS`` alternatives or ``MAX_TESTS`` tests in one."""


def field_name(path: tuple[str, ...], suffix: str) -> str:
    return "__".join(path) + "__" + suffix


def pattern_key(source: str) -> str:
    """How a pattern is named in ``<path>__m``: short, and free of characters JSON escapes."""
    return "p" + hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:20]


_TYPE_SUFFIX = {"text": "s", "number": "n", "boolean": "b"}


def _type_suffix(value: Any) -> str:
    if isinstance(value, bool):
        return "b"
    if isinstance(value, str):
        return "s"
    return "n"


def _literal(value: Any) -> Any:
    return (1 if value else 0) if isinstance(value, bool) else value


def list_item(value: Any) -> str | None:
    """How a list element is written, so ``contains`` compares type and value together."""
    if isinstance(value, bool):
        return "b:1" if value else "b:0"
    if isinstance(value, str):
        return "s:" + value
    if isinstance(value, int | float):
        if not -MAX_EXACT_NUMBER <= value <= MAX_EXACT_NUMBER:
            return None  # refused by the fact checks wherever `contains` reads the list
        return "n:" + repr(float(value) + 0.0)  # + 0.0 turns -0.0 into 0.0, as == does
    return None


# --- conditions to DNF over primitive tests ------------------------------------------------

def _or(*parts: DNF) -> DNF:
    return [c for p in parts for c in p]


def _and(*parts: DNF) -> DNF:
    out: DNF = [()]
    for part in parts:
        out = [a + b for a in out for b in part]
        if len(out) > MAX_DISJUNCTS:
            raise TooComplex()
    return out




def _one(*prims: Prim) -> DNF:
    return [tuple(prims)]


_ORDER_OPS = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_ORDER_NEG = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}


def _atom(cond: Exists | Compare, positive: bool) -> DNF:
    if isinstance(cond, Exists):
        present = cond.present == positive
        return _one(("ex" if present else "nex", field_name(cond.path, "x")))
    op, path, value = cond.op, cond.path, cond.value
    if isinstance(value, FieldRef):
        return _field_atom(op, path, value.path, positive)
    if op == "eq":
        f = field_name(path, _type_suffix(value))
        v = _literal(value)
        return _one(("eq", f, v)) if positive else _or(_one(("nex", f)), _one(("neq", f, v)))
    if op == "ne":
        if positive:
            return _not_equal(path, value)
        return _or(_one(("nex", field_name(path, "x"))), _atom(Compare("eq", path, value), True))
    if op in ("in", "not_in"):
        assert isinstance(value, tuple)
        # repeated literals only multiply alternatives; 1 and True differ, 1 and 1.0 do not
        value = tuple({(_type_suffix(v), v): v for v in value}.values())
        wants_any = (op == "in") == positive
        if wants_any:
            any_equal = _or(*(_atom(Compare("eq", path, v), True) for v in value))
            return any_equal if op == "in" else _or(_one(("nex", field_name(path, "x"))),
                                                    any_equal)
        # none equal: per type, the typed field is absent or differs from each literal
        by_suffix: dict[str, list[Any]] = {}
        for v in value:
            by_suffix.setdefault(_type_suffix(v), []).append(_literal(v))
        none_equal = _and(*(_or(_one(("nex", field_name(path, s))),
                                _one(*(("neq", field_name(path, s), v) for v in vs)))
                            for s, vs in by_suffix.items()))
        if op == "in":
            return none_equal
        return _and(_one(("ex", field_name(path, "x"))), none_equal)
    if op in _ORDER_OPS:
        f = field_name(path, "n")
        if positive:
            return _one(("ord", _ORDER_OPS[op], f, value))
        return _or(_one(("nex", f)), _one(("ord", _ORDER_OPS[_ORDER_NEG[op]], f, value)))
    if op == "matches":
        if not positive:
            raise ValueError("negated matches")  # the parser rejects these
        return _one(("iany", field_name(path, "m"), pattern_key(str(value))))
    if op == "contains":
        f, item = field_name(path, "l"), list_item(value)
        if positive:
            return _one(("iany", f, item))
        return _or(_one(("nex", f)), _one(("eq", field_name(path, "ln"), 0)),
                   _one(("iall_ne", f, item)))
    raise ValueError(f"unknown operator {op}")


def _not_equal(path: tuple[str, ...], value: Any) -> DNF:
    f = field_name(path, _type_suffix(value))
    return _or(_one(("ex", field_name(path, "x")), ("nex", f)), _one(("neq", f, _literal(value))))


def _field_atom(op: str, a: tuple[str, ...], b: tuple[str, ...], positive: bool) -> DNF:
    def typed(suffix: str) -> tuple[str, str]:
        return field_name(a, suffix), field_name(b, suffix)

    def equal() -> DNF:
        return _or(*(_one(("fcmp", "$eq", *typed(s))) for s in ("s", "n", "b")))

    def unequal() -> DNF:
        ta, tb = typed("t")
        return _or(_one(("nex", ta)), _one(("nex", tb)), _one(("fcmp", "$neq", ta, tb)),
                   *(_one(("fcmp", "$neq", *typed(s))) for s in ("s", "n", "b")))

    both = _one(("ex", field_name(a, "x")), ("ex", field_name(b, "x")))
    if op == "eq":
        return equal() if positive else unequal()
    if op == "ne":
        if positive:
            return _and(both, unequal())
        return _or(_one(("nex", field_name(a, "x"))), _one(("nex", field_name(b, "x"))), equal())
    fa, fb = typed("n")
    if positive:
        return _one(("fcmp", _ORDER_OPS[op], fa, fb))
    return _or(_one(("nex", fa)), _one(("nex", fb)),
               _one(("fcmp", _ORDER_OPS[_ORDER_NEG[op]], fa, fb)))


def to_dnf(cond: Condition, positive: bool = True) -> DNF:
    """Disjunctive normal form of ``cond`` (or of its negation) over primitive tests."""
    match cond:
        case Not(item):
            return to_dnf(item, not positive)
        case All(items):
            parts = [to_dnf(i, positive) for i in items]
            return _and(*parts) if positive else _or(*parts)
        case AnyOf(items):
            parts = [to_dnf(i, positive) for i in items]
            return _or(*parts) if positive else _and(*parts)
        case Exists() | Compare():
            return _atom(cond, positive)
    raise TypeError(f"not a condition: {cond!r}")


def _prim_json(prim: Prim) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The durable tests of one primitive, each with a key that tells equal tests apart."""
    kind = prim[0]

    def ex(field: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return ("$ex", field), {"$ex": {field: 1}}

    def typed(value: Any) -> tuple[str, Any]:
        return type(value).__name__, value

    if kind == "ex":
        return [ex(prim[1])]
    if kind == "nex":
        return [(("$nex", prim[1]), {"$nex": {prim[1]: 1}})]
    if kind == "eq":
        return [(("eq", prim[1], *typed(prim[2])), {prim[1]: prim[2]})]
    if kind == "neq":
        return [ex(prim[1]), (("neq", prim[1], *typed(prim[2])), {"$neq": {prim[1]: prim[2]}})]
    if kind == "ord":
        return [ex(prim[2]), (("ord", prim[1], prim[2], *typed(prim[3])),
                              {prim[1]: {prim[2]: prim[3]}})]
    if kind == "iany":
        return [(("iany", prim[1], prim[2]), {"$iany": {prim[1]: {"$i": prim[2]}}})]
    if kind == "iall_ne":
        return [ex(prim[1]), (("iall_ne", prim[1], prim[2]),
                              {"$iall": {prim[1]: {"$neq": {"$i": prim[2]}}}})]
    if kind == "fcmp":
        _, op, fa, fb = prim
        test = {fa: {"$m": fb}} if op == "$eq" else {op: {fa: {"$m": fb}}}
        return [ex(fa), ex(fb), (("fcmp", op, fa, fb), test)]
    raise ValueError(kind)


def conjunction_json(conj: Conj) -> dict[str, Any]:
    """The durable ``$and`` of one disjunct (with the guard every fact carries)."""
    tests: list[dict[str, Any]] = [{GUARD: 1}]
    seen: set[tuple[Any, ...]] = set()
    for prim in conj:
        for key, test in _prim_json(prim):
            if key not in seen:
                seen.add(key)
                tests.append(test)
    if len(tests) > MAX_TESTS:
        raise TooComplex()
    return {"$and": tests}
