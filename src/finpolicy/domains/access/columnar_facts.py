"""Plain requests decided per distinct key: the fact of a key derived once by the row
engine's own ``access_fact``, the rule set run as array expressions over the distinct facts
the rules read, deny overrides combined once per set of hits. Facts and results are kept
per runtime (bounded, as the row engine keeps its plain decisions), so a key seen in one
chunk costs a look-up in the next."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast

import numpy as np

from finpolicy.columnar.columns import Column
from finpolicy.columnar.conditions import CompiledRuleSet, compile_ruleset
from finpolicy.columnar.decisions import combine_hits
from finpolicy.decisions import Hit
from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.access.evaluation import access_fact, check_vocabulary, combine
from finpolicy.domains.access.model import AccessRequest
from finpolicy.domains.access.spec import ACCESS_RULESET
from finpolicy.rules.vocabulary import check_fact
from finpolicy.runtime import Runtime, StateKey

__all__ = ["Key", "Result", "decide_keys", "reads_type", "result_codes"]

Key = tuple[tuple[str, ...], str, str, str | None, str, str, bool, bool]
"""Roles (distinct, in order), action, purpose, resource type (``None`` when no rule or
vocabulary reads it), level, category, same branch, same department."""
Result = tuple[str, bool, tuple[Hit, ...], tuple[str, ...]]
"""Outcome, allowed, hits, obligations (``evaluation.combine``)."""
Read = tuple[Any, ...]

_COMPILED: StateKey[dict[str, CompiledRuleSet]] = StateKey("access.columnar.rules", dict)
_FACTS: StateKey[dict[tuple[Any, ...], Read | None]] = StateKey("access.columnar.facts", dict)
_RESULTS: StateKey[dict[tuple[str, Read], Result | None]] = StateKey("access.columnar.results",
                                                                      dict)
_MAX_KEPT = 65_536  # as many plain decisions as the row engine keeps
_UNSEEN: Any = object()
_ANY_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # a plain request's fact reads no time


def compiled(runtime: Runtime, doc: PolicyDocument[Any]) -> CompiledRuleSet:
    memo = runtime.state(_COMPILED)
    found = memo.get(doc.key)
    if found is None:
        found = memo[doc.key] = compile_ruleset(doc.policy.rulesets[ACCESS_RULESET])
    return found


def reads_type(runtime: Runtime, doc: PolicyDocument[Any]) -> bool:
    """Whether the resource type can change a plain request's decision: a rule reads it, or
    a vocabulary checks facts."""
    path = ("resource", "type")
    return path in compiled(runtime, doc).paths or \
        any(bound == path for bound, _ in doc.vocabulary.bound_fields())


def _request(key: Key) -> AccessRequest:
    """A stand-in request with exactly a key's values (all a plain request's fact reads)."""
    held, action, purpose, kind, level, category, same_branch, same_department = key
    subject = SimpleNamespace(id="x", roles=list(held),
                              department="d" if same_department else None,
                              branch="b" if same_branch else None)
    resource = SimpleNamespace(type=kind or "", data_level=level, category=category,
                               department="d", branch="b", fields={})
    return cast(AccessRequest, SimpleNamespace(subject=subject, action=action,
                                               resource=resource, purpose=purpose, grants=[],
                                               recipient=None))


def _value(fact: dict[str, Any], path: tuple[str, ...]) -> Any:
    """``lookup(fact, path)`` on the plain dicts ``access_fact`` builds (``None`` where it
    finds nothing), lists as tuples so that values can be compared by hashing."""
    value: Any = fact
    for step in path:
        if type(value) is not dict:
            return None
        value = value.get(step)
        if value is None:
            return None
    return tuple(value) if type(value) is list else value


def _read(runtime: Runtime, doc: PolicyDocument[Any], key: Key) -> Read | None:
    """The values the rules read of a key's fact, ``None`` where the row engine decides (a
    value outside the policy's vocabulary, or a fact it would refuse)."""
    request = _request(key)
    try:
        check_vocabulary(request, doc.policy)
        fact, _ = access_fact(request, _ANY_TIME, doc.policy)
        bound = doc.vocabulary.bound_fields()
        if bound:
            check_fact(bound, fact)
    except Exception:  # an error or an evaluation error: the row engine says which
        return None
    return tuple(_value(fact, path) for path in compiled(runtime, doc).paths)


def _kept(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) >= _MAX_KEPT:
        memo.clear()
    memo[key] = value


def _results(runtime: Runtime, doc: PolicyDocument[Any], reads: list[Read]
             ) -> list[Result | None]:
    """The result of each distinct read fact: hits as arrays, combined once per set."""
    rules = compiled(runtime, doc)
    columns = {path: Column.from_values([r[i] for r in reads])
               for i, path in enumerate(rules.paths)}
    n = len(reads)
    decidable = ~rules.needs_row(columns, n)
    found, which = combine_hits(rules.hits(columns, n), rules.ruleset.rules, combine)
    return [found[int(w)] if ok else None
            for w, ok in zip(which.tolist(), decidable.tolist(), strict=True)]


def decide_keys(runtime: Runtime, docs: list[PolicyDocument[Any]],
                keys: list[tuple[int, Key]]) -> list[Result | None]:
    """The result of each ``(policy index, key)``; ``None``: left to the row engine."""
    facts, kept = runtime.state(_FACTS), runtime.state(_RESULTS)
    known: dict[tuple[str, Read], Result | None] = {}
    pending: dict[int, dict[Read, None]] = {}
    reads: list[tuple[int, Read] | None] = []
    names = [doc.key for doc in docs]
    for g, key in keys:
        name = names[g]
        read = facts.get((name, *key), _UNSEEN)
        if read is _UNSEEN:
            read = _read(runtime, docs[g], key)
            _kept(facts, (name, *key), read)
        if read is None:
            reads.append(None)
            continue
        reads.append((g, read))
        if (name, read) in known:
            continue
        found = kept.get((name, read), _UNSEEN)
        if found is _UNSEEN:
            pending.setdefault(g, {})[read] = None
        else:
            known[(name, read)] = found
    for g, distinct in pending.items():
        listed = list(distinct)
        for read, result in zip(listed, _results(runtime, docs[g], listed), strict=True):
            known[(names[g], read)] = result
            _kept(kept, (names[g], read), result)
    return [None if r is None else known[(names[r[0]], r[1])] for r in reads]


def result_codes(results: list[Result | None]) -> tuple[list[Result], np.ndarray[Any, Any]]:
    """The distinct results and each entry's index among them (-1 for ``None``)."""
    index: dict[int, int] = {}
    distinct: list[Result] = []
    codes = np.full(len(results), -1, np.intp)
    for i, result in enumerate(results):
        if result is None:
            continue
        code = index.get(id(result))
        if code is None:
            code = index[id(result)] = len(distinct)
            distinct.append(result)
        codes[i] = code
    return distinct, codes
