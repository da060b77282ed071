"""The durable engine: rules run as durable_rules (RETE) rulesets.

durable_rules 2.0.28 has sharp edges, all hidden here:

- Its comparisons coerce across types and its ``$m`` (field-to-field) tests misfire when a field
  is missing. Facts are therefore *typed and flattened*: a value at ``customer.age`` becomes
  ``customer__age__x`` (present), ``customer__age__n`` (the number) and ``customer__age__t``
  (its type); every comparison reads the typed field and is guarded by ``$ex`` tests.
- It has no ``not``. Conditions are brought to disjunctive normal form over primitive tests
  whose complements durable can express; each disjunct is one durable rule, and hits are
  folded back to policy rules.
- A fact matching nothing raises ``MessageNotHandledException``; identical content raises
  ``MessageObservedException`` unless it carries a unique ``id``; every session id holds a slot
  in a fixed table. Each evaluation asserts one fact with a fresh ``id`` in one fixed session,
  collects the actions it fires and retracts it, so memory stays flat.
- One process-wide host, one lock: the C extension is not re-entrant.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from finpolicy.errors import EvaluationError, PolicyError, Problem
from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import RuleSet
from finpolicy.rules.patterns import compile_pattern

Prim = tuple[Any, ...]
Conj = tuple[Prim, ...]
DNF = list[Conj]

_GUARD = "fp__guard"
_SESSION = "finpolicy"
MAX_DISJUNCTS = 256
MAX_TESTS = 28  # durable allows 32 expressions per rule; keep room for the guard


def field_name(path: tuple[str, ...], suffix: str) -> str:
    return "__".join(path) + "__" + suffix


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
            raise _TooComplex()
    return out


class _TooComplex(Exception):
    pass


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
        return _one(("mt", field_name(path, "s"), compile_pattern(str(value)).durable))
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


def _prim_json(prim: Prim) -> list[dict[str, Any]]:
    kind = prim[0]
    if kind == "ex":
        return [{"$ex": {prim[1]: 1}}]
    if kind == "nex":
        return [{"$nex": {prim[1]: 1}}]
    if kind == "eq":
        return [{prim[1]: prim[2]}]
    if kind == "neq":
        return [{"$ex": {prim[1]: 1}}, {"$neq": {prim[1]: prim[2]}}]
    if kind == "ord":
        return [{"$ex": {prim[2]: 1}}, {prim[1]: {prim[2]: prim[3]}}]
    if kind == "mt":
        return [{"$mt": {prim[1]: prim[2]}}]
    if kind == "iany":
        return [{"$iany": {prim[1]: {"$i": prim[2]}}}]
    if kind == "iall_ne":
        return [{"$ex": {prim[1]: 1}}, {"$iall": {prim[1]: {"$neq": {"$i": prim[2]}}}}]
    if kind == "fcmp":
        _, op, fa, fb = prim
        test = {fa: {"$m": fb}} if op == "$eq" else {op: {fa: {"$m": fb}}}
        return [{"$ex": {fa: 1}}, {"$ex": {fb: 1}}, test]
    raise ValueError(kind)


def _conjunction_json(conj: Conj) -> dict[str, Any]:
    tests: list[dict[str, Any]] = [{_GUARD: 1}]
    seen: set[str] = set()
    for prim in conj:
        for test in _prim_json(prim):
            key = json.dumps(test, sort_keys=True, ensure_ascii=False)
            if key not in seen:
                seen.add(key)
                tests.append(test)
    if len(tests) > MAX_TESTS:
        raise _TooComplex()
    return {"$and": tests}


# --- facts ------------------------------------------------------------------------------

def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    # durable's JSON parser rejects exponents
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


def encode_fact(fact: Mapping[str, Any], paths: list[tuple[str, ...]], ident: int) -> str:
    """The typed, flattened JSON of ``fact`` restricted to the paths the rules read."""
    parts = [f'"sid":"{_SESSION}"', f'"id":{ident}', f'"{_GUARD}":1']
    for path in paths:
        value: Any = fact
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
            if value is None:
                break
        if value is None:
            continue
        base = "__".join(path)
        parts.append(f'"{base}__x":1')
        if isinstance(value, bool):
            parts.append(f'"{base}__t":"b","{base}__b":{1 if value else 0}')
        elif isinstance(value, str):
            parts.append(f'"{base}__t":"s","{base}__s":' + json.dumps(value, ensure_ascii=False))
        elif isinstance(value, int | float):
            if value != value or value in (float("inf"), float("-inf")):
                continue
            parts.append(f'"{base}__t":"n","{base}__n":{_number(value)}')
        elif isinstance(value, list | tuple):
            items = [i for i in (list_item(v) for v in value) if i is not None]
            parts.append(f'"{base}__l":' + json.dumps(items, ensure_ascii=False)
                         + f',"{base}__ln":{len(value)}')
    return "{" + ",".join(parts) + "}"


# --- the host -----------------------------------------------------------------------------

class _Host:
    """The one durable_rules host of the process, created on first use."""

    _lock = threading.RLock()
    _host: Any = None
    _names = itertools.count()
    _ids = itertools.count(1)

    @classmethod
    def get(cls) -> Any:
        with cls._lock:
            if cls._host is None:
                from durable import engine as durable_engine

                cls._host = durable_engine.Host()
            return cls._host


class DurableEvaluator:
    """Evaluates a rule set through durable_rules; thread-safe, flat in memory."""

    engine_name = "durable"

    def __init__(self, ruleset: RuleSet, *, source: str = "") -> None:
        self.ruleset = ruleset
        self._paths = sorted(ruleset.paths())
        self._fired: list[int] = []
        definition: dict[str, Any] = {}
        problems = []
        for index, rule in enumerate(ruleset.rules):
            try:
                conjunctions = to_dnf(rule.when)
                if len(conjunctions) > MAX_DISJUNCTS:
                    raise _TooComplex()
                for k, conj in enumerate(conjunctions):
                    definition[f"r{index}_{k}"] = {
                        "all": [{"m": _conjunction_json(conj)}],
                        "run": self._action(index),
                    }
            except _TooComplex:
                problems.append(Problem(source or ruleset.name, None, f"rule `{rule.id}`",
                                        "condition too complex for the durable engine "
                                        f"(more than {MAX_DISJUNCTS} alternatives or "
                                        f"{MAX_TESTS} tests in one)", "durable_too_complex"))
        if problems:
            raise PolicyError(problems)
        self._empty = not definition
        if self._empty:
            return
        with _Host._lock:
            host = _Host.get()
            self._name = f"finpolicy_{next(_Host._names)}"
            try:
                host.register_rulesets({self._name: definition})
            except Exception as exc:  # durable reports rule errors as bare exceptions
                raise EvaluationError(f"durable_rules rejected rule set `{ruleset.name}`: "
                                      f"{exc}") from exc
            self._rules = host.get_ruleset(self._name)

    def _action(self, index: int) -> Any:
        def run(_closure: Any) -> None:
            self._fired.append(index)

        return run

    def matches(self, fact: Mapping[str, Any]) -> tuple[int, ...]:
        """Indices of the rules whose condition holds, in rule order."""
        if self._empty:
            return ()
        import durable_rules_engine as native
        from durable import engine as durable_engine

        with _Host._lock:
            text = encode_fact(fact, self._paths, next(_Host._ids))
            self._fired = []
            errors: list[Any] = []

            def complete(error: Any, _state: Any) -> None:
                if error:
                    errors.append(error)

            try:
                result = native.assert_fact(self._rules._handle, text)
                if result[0] == 0:
                    self._rules.do_actions(result[1], complete)
                elif result[0] not in (1, 3):
                    errors.append(f"assert returned code {result[0]}")
                native.retract_fact(self._rules._handle, text)
            except durable_engine.MessageNotHandledException:
                pass
            except Exception as exc:
                raise EvaluationError(f"durable_rules failed on rule set "
                                      f"`{self.ruleset.name}`: {exc}") from exc
            if errors:
                raise EvaluationError(f"durable_rules failed on rule set "
                                      f"`{self.ruleset.name}`: {errors[0]}")
            return tuple(sorted(set(self._fired)))

    def close(self) -> None:
        """Durable rulesets cannot be unregistered; they stay until the process ends."""


def iter_rule_json(ruleset: RuleSet) -> Iterator[tuple[str, dict[str, Any]]]:
    """The durable rule definitions (for debugging and docs)."""
    for index, rule in enumerate(ruleset.rules):
        for k, conj in enumerate(to_dnf(rule.when)):
            yield f"{rule.id}#{index}_{k}", _conjunction_json(conj)
