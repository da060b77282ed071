"""The durable engine: rules run as durable_rules (RETE) rulesets.

durable_rules 2.0.28 has sharp edges, all hidden here (conditions are translated in
``engines.dnf``):

- A fact matching nothing raises ``MessageNotHandledException``; identical content raises
  ``MessageObservedException`` unless it carries a unique ``id``; every session id holds a slot
  in a fixed table. Each evaluation asserts one fact with a fresh ``id`` in one fixed session,
  collects the actions it fires and retracts it, so memory stays flat.
- A node of the rete may have at most 512 children: registering a ruleset past that never
  returns. Rule sets are therefore split into durable rulesets of at most ``MAX_CHUNK_RULES``
  durable rules each; a fact is asserted into the rulesets holding rules the rule index says
  may hold (all of them when the rule set is small), and the hits are merged in rule order.
- A fact may carry at most 255 properties, so each ruleset is sent only the fields its own
  rules read (at most ``MAX_CHUNK_PATHS`` paths).
- Its regular-expression engine builds an automaton when the ruleset is registered and fails
  (error 504) once it passes 4,096 states, reads text lengths as 16-bit numbers and matches the
  JSON-escaped text; so ``matches`` is decided by the same linear-time matcher the compiled
  engine uses, and durable reads the list of patterns the text matched (``<path>__m``).
- It compares texts as their JSON bytes and rejects text that is not valid UTF-8, so a text
  with a lone surrogate is sent ASCII-escaped (it then equals no literal, as in Python).
- One process-wide host, one lock: the C extension is not re-entrant.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from finpolicy.engines.dnf import (
    GUARD,
    MAX_DISJUNCTS,
    MAX_TESTS,
    TooComplex,
    conjunction_json,
    list_item,
    pattern_key,
    to_dnf,
)
from finpolicy.engines.index import build_index, read
from finpolicy.engines.limits import MAX_EXACT_NUMBER, FactChecks, check_depth
from finpolicy.errors import EvaluationError, PolicyError, Problem
from finpolicy.rules.conditions import All, Compare, Condition, Not, paths
from finpolicy.rules.conditions import Any as AnyOf
from finpolicy.rules.model import RuleSet
from finpolicy.rules.patterns import PatternSet, compile_pattern

_SESSION = "finpolicy"
MAX_CHUNK_RULES = 256
MAX_CHUNK_PATHS = 60


# --- facts ------------------------------------------------------------------------------

def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    # durable's JSON parser rejects exponents
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


def _text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True)
    return json.dumps(value, ensure_ascii=False)


def encode_fact(fact: Mapping[str, Any], paths_: list[tuple[str, ...]], ident: int,
                matched: Mapping[tuple[str, ...], list[str]]) -> str:
    """The typed, flattened JSON of ``fact`` restricted to ``paths_``; ``matched`` gives the
    keys of the patterns each text matched."""
    parts = [f'"sid":"{_SESSION}"', f'"id":{ident}', f'"{GUARD}":1']
    for path in paths_:
        value = read(fact, path)
        if value is None:
            continue
        base = "__".join(path)
        parts.append(f'"{base}__x":1')
        if isinstance(value, bool):
            parts.append(f'"{base}__t":"b","{base}__b":{1 if value else 0}')
        elif isinstance(value, str):
            parts.append(f'"{base}__t":"s","{base}__s":' + _text(value))
            if path in matched:
                parts.append(f'"{base}__m":' + json.dumps(matched[path]))
        elif isinstance(value, int | float):
            if value != value or value in (float("inf"), float("-inf")):
                continue
            parts.append(f'"{base}__t":"n"')
            if -MAX_EXACT_NUMBER <= value <= MAX_EXACT_NUMBER:  # else refused where compared
                parts.append(f'"{base}__n":{_number(value)}')
        elif isinstance(value, list | tuple):
            items = [i for i in (list_item(v) for v in value) if i is not None]
            parts.append(f'"{base}__l":[' + ",".join(map(_text, items))
                         + f'],"{base}__ln":{len(value)}')
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
                from durable import engine as durable_engine  # type: ignore[import-untyped, unused-ignore]

                class QuietHost(durable_engine.Host):  # type: ignore[misc, unused-ignore]
                    """A host without durable_rules' dispatchers: finpolicy asserts facts
                    synchronously and uses no timers or queued messages, while the
                    dispatchers start a thread per rule set in turn, five rounds a second,
                    for the life of the process, calling into the rule sets outside
                    finpolicy's lock."""

                    def _run(self) -> None:
                        pass

                cls._host = QuietHost()
            return cls._host


class _Chunk:
    """One durable ruleset holding some of the rules, and the fields they read."""

    def __init__(self, name: str, definition: dict[str, Any],
                 paths_: list[tuple[str, ...]]) -> None:
        self.name, self.definition, self.paths = name, definition, paths_
        self.rules: Any = None


def _patterns(ruleset: RuleSet) -> dict[tuple[str, ...], PatternSet]:
    """Per text field, the patterns the rules test it with."""
    by_path: dict[tuple[str, ...], dict[str, None]] = {}
    stack: list[Condition] = [rule.when for rule in ruleset.rules]
    while stack:
        match stack.pop():
            case All(items) | AnyOf(items):
                stack.extend(items)
            case Not(item):
                stack.append(item)
            case Compare("matches", path, value):
                by_path.setdefault(path, {})[str(value)] = None
    return {path: PatternSet([compile_pattern(s) for s in sorted(sources)])
            for path, sources in by_path.items()}


class DurableEvaluator:
    """Evaluates a rule set through durable_rules; thread-safe, flat in memory.

    Args:
        chunk_rules: the most durable rules (disjuncts) in one durable ruleset.
        index: assert a fact only into the rulesets the rule index points at (``True``), into
            all of them (``False``), or decide by the size of the rule set (``None``).
    """

    engine_name = "durable"

    def __init__(self, ruleset: RuleSet, *, source: str = "",
                 chunk_rules: int = MAX_CHUNK_RULES, index: bool | None = None) -> None:
        check_depth(((r.id, r.when) for r in ruleset.rules), source or ruleset.name)
        self.ruleset = ruleset
        self._fired: list[int] = []
        self._checks = FactChecks.of(rule.when for rule in ruleset.rules)
        self._patterns = _patterns(ruleset)
        branches = self._translate(ruleset, source)
        plan = build_index(ruleset)
        self._index = plan if (plan.useful if index is None else index) else None
        self._chunk_of: dict[int, int] = {}  # rule → its chunk
        self._chunks = self._split(branches, plan, chunk_rules)
        with _Host._lock:
            host = _Host.get()
            for chunk in self._chunks:
                try:
                    host.register_rulesets({chunk.name: chunk.definition})
                except Exception as exc:  # durable reports rule errors as bare exceptions
                    raise EvaluationError(f"durable_rules rejected rule set "
                                          f"`{ruleset.name}`: {exc}") from exc
                chunk.rules = host.get_ruleset(chunk.name)

    def _translate(self, ruleset: RuleSet, source: str) -> list[list[tuple[str, Any]]]:
        """Per rule, its durable rules (one per disjunct); ``PolicyError`` if too complex."""
        out: list[list[tuple[str, Any]]] = []
        problems = []
        for index, rule in enumerate(ruleset.rules):
            try:
                conjunctions = to_dnf(rule.when)
                if len(conjunctions) > MAX_DISJUNCTS:
                    raise TooComplex()
                out.append([(f"r{index}_{k}", {"all": [{"m": conjunction_json(conj)}],
                                                "run": self._action(index)})
                            for k, conj in enumerate(conjunctions)])
            except TooComplex:
                out.append([])
                problems.append(Problem(source or ruleset.name, None, f"rule `{rule.id}`",
                                        "condition too complex for the durable engine "
                                        f"(more than {MAX_DISJUNCTS} alternatives or "
                                        f"{MAX_TESTS} tests in one)", "durable_too_complex"))
        if problems:
            raise PolicyError(problems)
        return out

    def _split(self, branches: list[list[tuple[str, Any]]], plan: Any,
               chunk_rules: int) -> list[_Chunk]:
        """Group rules filed together by the index, then cut into durable rulesets."""
        order = {index: (0, 0) for index in plan.always}
        group = itertools.count(1)
        for table in (*plan.members.values(), *plan.holds.values(), *plan.matched.values()):
            for rules in table.values():
                g = next(group)
                for index in rules:
                    order.setdefault(index, (g, index))
        for band in plan.bands.values():
            g = next(group)
            for rules in band.regions:
                for index in rules:
                    order.setdefault(index, (g, index))
        ranked = sorted(range(len(branches)), key=lambda i: (order.get(i, (0, 0)), i))
        chunks: list[_Chunk] = []
        definition: dict[str, Any] = {}
        reads: set[tuple[str, ...]] = set()
        for index in ranked:
            if not branches[index]:
                continue  # a condition that never holds
            rule_paths = paths(self.ruleset.rules[index].when)
            if definition and (len(definition) + len(branches[index]) > chunk_rules
                               or len(reads | rule_paths) > MAX_CHUNK_PATHS):
                chunks.append(self._chunk(definition, reads))
                definition, reads = {}, set()
            definition.update(branches[index])
            reads |= rule_paths
            self._chunk_of[index] = len(chunks)
        if definition:
            chunks.append(self._chunk(definition, reads))
        return chunks

    def _chunk(self, definition: dict[str, Any], reads: set[tuple[str, ...]]) -> _Chunk:
        return _Chunk(f"finpolicy_{next(_Host._names)}", definition, sorted(reads))

    def _action(self, index: int) -> Any:
        def run(_closure: Any) -> None:
            self._fired.append(index)

        return run

    def matches(self, fact: Mapping[str, Any]) -> tuple[int, ...]:
        """Indices of the rules whose condition holds, in rule order."""
        self._checks.check(fact, read)
        if not self._chunks:
            return ()
        found: dict[tuple[str, ...], list[str]] = {}  # path → sources of matching patterns
        for path, patterns in self._patterns.items():
            text = read(fact, path)
            if isinstance(text, str):
                found[path] = [patterns.patterns[i].source for i in patterns.match(text)]
        matched = {path: [pattern_key(s) for s in sources] for path, sources in found.items()}
        chunks: list[_Chunk] = self._chunks
        if self._index is not None and len(self._chunks) > 1:
            wanted = {self._chunk_of[i] for i in self._index.candidates(fact, found)
                      if i in self._chunk_of}
            chunks = [self._chunks[n] for n in sorted(wanted)]
        with _Host._lock:
            self._fired = []
            for chunk in chunks:
                self._assert(chunk, encode_fact(fact, chunk.paths, next(_Host._ids), matched))
            return tuple(sorted(set(self._fired)))

    def _assert(self, chunk: _Chunk, text: str) -> None:
        import durable_rules_engine as native  # type: ignore[import-not-found, unused-ignore]
        from durable import engine as durable_engine  # type: ignore[import-untyped, unused-ignore]

        errors: list[Any] = []

        def complete(error: Any, _state: Any) -> None:
            if error:
                errors.append(error)

        try:
            result = native.assert_fact(chunk.rules._handle, text)
            if result[0] == 0:
                chunk.rules.do_actions(result[1], complete)
            elif result[0] not in (1, 3):
                errors.append(f"assert returned code {result[0]}")
            native.retract_fact(chunk.rules._handle, text)
        except durable_engine.MessageNotHandledException:
            pass
        except Exception as exc:
            raise EvaluationError(f"durable_rules failed on rule set "
                                  f"`{self.ruleset.name}`: {exc}") from exc
        if errors:
            raise EvaluationError(f"durable_rules failed on rule set "
                                  f"`{self.ruleset.name}`: {errors[0]}")

    def close(self) -> None:
        """Durable rulesets cannot be unregistered; they stay until the process ends."""


def iter_rule_json(ruleset: RuleSet) -> Iterator[tuple[str, dict[str, Any]]]:
    """The durable rule definitions (for debugging and docs)."""
    for index, rule in enumerate(ruleset.rules):
        for k, conj in enumerate(to_dnf(rule.when)):
            yield f"{rule.id}#{index}_{k}", conjunction_json(conj)
