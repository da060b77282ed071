"""The compiled engine: each rule set becomes generated Python.

Every field path a rule set reads is looked up once per fact and classified once (text,
number, boolean, list, other or missing); the texts tested by ``matches`` are matched against
all of their patterns in one linear-time pass. A small rule set is then one function testing
each rule inline. A large one is indexed (see ``engines.index``): the fact's values look up the
rules that can hold, and only those are tested, each by its own generated function, so the cost
of a decision follows the rules that could apply, not the size of the rule set.

Generating code from the closed condition language is safe: paths are checked identifiers and
literals are embedded with ``repr`` or passed as constants.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from finpolicy.engines import limits
from finpolicy.engines.index import RuleIndex, build_index, region
from finpolicy.rules.conditions import All, Compare, Condition, Exists, FieldRef, Not
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import RuleSet
from finpolicy.rules.patterns import PatternSet, compile_pattern

Fact = Mapping[str, Any]

MISSING, TEXT, NUMBER, BOOLEAN, LIST, OTHER = "-", "s", "n", "b", "l", "o"
_EXACT_KINDS = {str: TEXT, int: NUMBER, bool: BOOLEAN, list: LIST, tuple: LIST,
                type(None): MISSING, dict: OTHER}


def kind_of(value: Any) -> str:
    """The type class the condition semantics use (see ``rules.conditions``)."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, str):
        return TEXT
    if isinstance(value, int):
        return NUMBER
    if isinstance(value, float):
        # durable cannot carry NaN or infinities; both engines treat them as present, untyped
        return NUMBER if math.isfinite(value) else OTHER
    if isinstance(value, list | tuple):
        return LIST
    return OTHER


def _lookup(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def _contains(items: Any, kind: str, literal: Any) -> bool:
    return any(kind_of(item) == kind and item == literal for item in items)


def _holds_keys(items: Any, table: Mapping[Any, tuple[int, ...]]) -> list[tuple[int, ...]]:
    out = []
    for item in items:
        kind = _EXACT_KINDS.get(item.__class__) or kind_of(item)
        if kind in "snb":
            found = table.get((kind, item))
            if found:
                out.append(found)
    return out


def _merge(groups: list[tuple[int, ...]]) -> list[int] | tuple[int, ...]:
    if len(groups) == 1:
        return groups[0]
    return sorted(set().union(*groups))


class _Generator:
    """Builds the source of the functions of one rule set."""

    def __init__(self, *, shaped: bool = False) -> None:
        # shaped: every literal is a constant, so rules differing only in literals share code
        self.shaped = shaped
        self.lines: list[str] = []
        self.names: dict[tuple[str, ...], str] = {}
        self.env: dict[str, Any] = {"_K": _EXACT_KINDS, "_kind": kind_of, "_lookup": _lookup,
                                    "_contains": _contains, "_Mapping": Mapping,
                                    "_big": limits.number_out_of_range,
                                    "_long": limits.text_too_long,
                                    "_check_list": limits.check_list,
                                    "_holds_keys": _holds_keys, "_merge": _merge,
                                    "_region": region}
        self._consts = 0
        self.patterns: dict[tuple[str, ...], dict[str, int]] = {}  # path → source → position

    @property
    def count(self) -> int:
        """How many constants have been made so far."""
        return self._consts

    def const(self, value: Any) -> str:
        name = f"_c{self._consts}"
        self._consts += 1
        self.env[name] = value
        return name

    def var(self, path: tuple[str, ...]) -> str:
        if path in self.names:
            return self.names[path]
        if len(path) == 1:
            source = f"f.get({path[0]!r})"
        else:
            parent = self.var(path[:-1])
            source = (f"({parent}.get({path[-1]!r}) if {parent}.__class__ is dict "
                      f"else _lookup({parent}, {path[-1]!r}))")
        name = f"v{len(self.names)}"
        self.names[path] = name
        self.lines.append(f"    {name} = {source}")
        # floats go through _kind for the finiteness check
        self.lines.append(f"    k{name} = _K.get({name}.__class__) or _kind({name})")
        return name

    def checks(self, conditions: list[Condition]) -> list[str]:
        """Refuse what the engines cannot decide alike (see ``engines.limits``), then match
        each text tested by ``matches`` against all of its patterns at once."""
        out = []
        bounds = limits.FactChecks.of(conditions)
        top = limits.MAX_EXACT_NUMBER
        for path in sorted(bounds.numbers | bounds.lists | bounds.texts):
            v = self.names[path]
            if path in bounds.numbers:
                out.append(f"    if k{v} == 'n' and not -{top} <= {v} <= {top}: "
                           f"raise _big({path!r}, {v})")
            if path in bounds.lists:
                out.append(f"    if k{v} == 'l': _check_list({path!r}, {v})")
            if path in bounds.texts:
                out.append(f"    if k{v} == 's' and len({v}) > {limits.MAX_MATCH_TEXT}: "
                           f"raise _long({path!r}, {v})")
        for path, sources in self.patterns.items():
            v = self.names[path]
            matcher = self.const(PatternSet([compile_pattern(s) for s in sources]).match)
            out.append(f"    m{v} = {matcher}({v}) if k{v} == 's' else ()")
        return out

    def expr(self, cond: Condition) -> str:
        match cond:
            case All(()):
                return "True"
            case AnyOf(()):
                return "False"
            case All(items):
                return "(" + " and ".join(self.expr(i) for i in items) + ")"
            case AnyOf(items):
                return "(" + " or ".join(self.expr(i) for i in items) + ")"
            case Not(item):
                return f"(not {self.expr(item)})"
            case Exists(path, present):
                v = self.var(path)
                return f"(k{v} != '-')" if present else f"(k{v} == '-')"
            case Compare(op, path, FieldRef(other)):
                return self._field(op, self.var(path), self.var(other))
            case Compare(op, path, value):
                return self._literal(op, path, value)
        raise TypeError(f"not a condition: {cond!r}")

    def _field(self, op: str, a: str, b: str) -> str:
        equal = f"(k{a} == k{b} and k{a} in 'snb' and {a} == {b})"
        if op == "eq":
            return equal
        if op == "ne":
            return f"(k{a} != '-' and k{b} != '-' and not {equal})"
        sign = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
        return f"(k{a} == 'n' and k{b} == 'n' and {a} {sign} {b})"

    def _equal(self, v: str, literal: Any) -> str:
        return f"(k{v} == {kind_of(literal)!r} and {v} == {self._embed(literal)})"

    def _embed(self, literal: Any) -> str:
        # repr of a non-finite float is not Python source; such literals never equal anything
        if self.shaped or kind_of(literal) not in "snb":
            return self.const(literal)
        return literal.__repr__()  # type: ignore[no-any-return]

    def _literal(self, op: str, path: tuple[str, ...], value: Any) -> str:
        v = self.var(path)
        if op == "eq":
            return self._equal(v, value)
        if op == "ne":
            return f"(k{v} != '-' and not {self._equal(v, value)})"
        if op in ("in", "not_in"):
            by_kind: dict[str, set[Any]] = {}
            for item in value:
                by_kind.setdefault(kind_of(item), set()).add(item)
            member = " or ".join(f"(k{v} == {k!r} and {v} in {self.const(frozenset(items))})"
                                 for k, items in sorted(by_kind.items()))
            return f"({member})" if op == "in" else f"(k{v} != '-' and not ({member}))"
        if op == "matches":
            sources = self.patterns.setdefault(path, {})
            position = sources.setdefault(str(value), len(sources))
            return f"({self._embed(position)} in m{v})"
        if op == "contains":
            # `in` (C speed) is a necessary condition; _contains then checks the type
            literal = self.const(value)
            return (f"(k{v} == 'l' and {literal} in {v} and _contains({v}, "
                    f"{kind_of(value)!r}, {literal}))")
        sign = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
        return f"(k{v} == 'n' and {v} {sign} {self._embed(value)})"


def compile_ruleset(ruleset: RuleSet, *, index: bool | None = None
                    ) -> Callable[[Fact], tuple[int, ...]]:
    """Generate ``match(fact) -> indices of the rules that hold``, in rule order.

    Args:
        index: use the rule index (``True``), test every rule (``False``), or decide by the
            size of the rule set (``None``, see ``engines.index.MIN_RULES``).
    """
    plan = build_index(ruleset)
    use_index = plan.useful if index is None else index
    gen = _Generator(shaped=use_index)
    whens = [rule.when for rule in ruleset.rules]
    if use_index:
        return _indexed(ruleset, gen, plan)
    tests = [gen.expr(when) for when in whens]
    body = ["def match(f):", *gen.lines, *gen.checks(whens), "    out = []"]
    for position, test in enumerate(tests):
        body.append(f"    if {test}: out.append({position})")
    body.append("    return tuple(out)")
    return _exec(body, gen.env, f"<finpolicy ruleset {ruleset.name}>")["match"]  # type: ignore[no-any-return]


def _indexed(ruleset: RuleSet, gen: _Generator, plan: RuleIndex
             ) -> Callable[[Fact], tuple[int, ...]]:
    """``match`` over the index: the rules filed under nothing are tested inline; the fact's
    values look up the other candidates, each tested by its own function.

    Candidates that differ only in their literals share one function, called with the rule's
    literals, so a rule set of thousands of similar rules compiles a handful of functions.
    """
    always = set(plan.always)
    inline: list[str] = []
    shapes: dict[str, str] = {}  # shape source → function name
    rule_shapes, rule_consts = [], []
    for position, rule in enumerate(ruleset.rules):
        gen.shaped = position not in always
        first = gen.count
        test = gen.expr(rule.when)
        if position in always:
            inline.append(f"    if {test}: out.append({position})")
            rule_shapes.append("")
            rule_consts.append(())
            continue
        rule_consts.append(tuple(gen.env.pop(f"_c{i}") for i in range(first, gen.count)))
        shape = _CONST.sub(functools.partial(_relative, first=first), test)
        rule_shapes.append(shapes.setdefault(shape, f"_s{len(shapes)}"))
    slots = [name for v in gen.names.values() for name in (v, "k" + v)]
    slots += ["m" + gen.names[path] for path in gen.patterns]
    where = {name: i for i, name in enumerate(slots)}
    body = []
    for shape, function in shapes.items():
        used = sorted(set(_NAME.findall(shape)) & where.keys())
        body.append(f"def {function}(L, c):")
        body += [f"    {name} = L[{where[name]}]" for name in used]
        body.append(f"    return {shape}")
    body += ["def match(f):", *gen.lines, *gen.checks([r.when for r in ruleset.rules]),
             "    out = []", *inline, "    groups = []", *_lookups(gen, plan),
             "    if not groups: return tuple(out)",
             "    L = (" + "".join(f"{name}, " for name in slots) + ")",
             "    hits = [i for i in _merge(groups) if _F[i](L, _C[i])]",
             "    return tuple(sorted(out + hits)) if out else tuple(hits)"]
    namespace = _exec(body, gen.env, f"<finpolicy ruleset {ruleset.name}>")
    namespace["_F"] = tuple(namespace.get(name) for name in rule_shapes)
    namespace["_C"] = tuple(rule_consts)
    return namespace["match"]  # type: ignore[no-any-return]


def _lookups(gen: _Generator, plan: RuleIndex) -> list[str]:
    """Lines appending to ``groups`` the rules filed under the fact's values."""
    body = []
    for path, table in plan.members.items():
        v = gen.names[path]
        # one dict per type class, keyed by the bare value (no tuple to build per lookup)
        by_kind: dict[str, dict[Any, tuple[int, ...]]] = {}
        for (kind, value), rules in table.items():
            by_kind.setdefault(kind, {})[value] = rules
        for kind, values in sorted(by_kind.items()):
            body += [f"    if k{v} == {kind!r}:",
                     f"        found = {gen.const(values)}.get({v})",
                     "        if found: groups.append(found)"]
    for path, table in plan.holds.items():
        v = gen.names[path]
        body.append(f"    if k{v} == 'l': groups += _holds_keys({v}, {gen.const(table)})")
    for path, band in plan.bands.items():
        v = gen.names[path]
        body += [f"    if k{v} == 'n':",
                 f"        found = {gen.const(band.regions)}[_region({gen.const(band.bounds)}, "
                 f"{v})]",
                 "        if found: groups.append(found)"]
    for path, by_pattern in plan.matched.items():
        v = gen.names[path]
        rules_of = tuple(by_pattern.get(source, ()) for source in gen.patterns[path])
        body.append(f"    for p in m{v}: groups.append({gen.const(rules_of)}[p])")
    return body


def _relative(match: re.Match[str], *, first: int) -> str:
    """``_c17`` → ``c[2]`` for a rule whose constants start at ``_c15``."""
    return f"c[{int(match[1]) - first}]"


_NAME = re.compile(r"\b[km]?v[0-9]+\b")
_CONST = re.compile(r"\b_c([0-9]+)\b")


def _exec(lines: list[str], env: dict[str, Any], filename: str) -> dict[str, Any]:
    namespace = dict(env)
    exec(compile("\n".join(line for line in lines if line), filename, "exec"), namespace)
    return namespace


def compile_condition(condition: Condition) -> Callable[[Fact], bool]:
    """Generate ``test(fact) -> bool`` for one condition (used by invariants)."""
    limits.check_depth([("condition", condition)], "<condition>")
    gen = _Generator()
    test = gen.expr(condition)
    body = ["def test(f):", *gen.lines, *gen.checks([condition]), f"    return bool({test})"]
    return _exec(body, gen.env, "<finpolicy condition>")["test"]  # type: ignore[no-any-return]


class CompiledEvaluator:
    """Evaluates a rule set with generated Python; stateless, so safe to share between threads.

    Args:
        index: see ``compile_ruleset`` (``None``, the default, indexes large rule sets).
    """

    engine_name = "compiled"

    def __init__(self, ruleset: RuleSet, *, index: bool | None = None,
                 source: str = "") -> None:
        limits.check_depth(((r.id, r.when) for r in ruleset.rules), source or ruleset.name)
        self.ruleset = ruleset
        self.matches: Callable[[Fact], tuple[int, ...]] = compile_ruleset(ruleset, index=index)

    def close(self) -> None:
        """Nothing to release."""
