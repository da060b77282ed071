"""The durable engine hides durable_rules' quirks: repeats, no-match, memory, threads."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest

from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import PolicyError
from tests.helpers.rulesets import ruleset_from_data

RULES = [
    {"id": "elderly", "when": {"field": "customer.age", "ge": 65}},
    {"id": "above", "when": {"field": "product.rank", "gt": {"field": "customer.rank"}}},
    {"id": "teller", "when": {"field": "roles", "contains": "teller"}},
    {"id": "not_core", "when": {"not": {"field": "level", "eq": "core"}}},
    {"id": "id_name", "when": {"field": "name", "matches": "id.*"}},
]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _facts(n: int) -> list[dict]:
    out = []
    for i in range(n):
        # every 10th fact repeats the first one exactly: identical inputs must evaluate again
        k = 0 if i % 10 == 0 else i
        out.append({"customer": {"age": 50 + k % 30, "rank": k % 5}, "product": {"rank": k % 6},
                    "roles": ["teller"] if k % 3 == 0 else ["analyst"],
                    "level": ["core", "ordinary"][k % 2], "name": f"id_{k % 7}" if k % 4 else "x"})
    return out


@pytest.mark.slow
def test_100k_durable_evaluations_keep_memory_flat_and_match_compiled() -> None:
    ruleset = ruleset_from_data("memory", RULES)
    durable, compiled = DurableEvaluator(ruleset), CompiledEvaluator(ruleset)
    facts = _facts(1000)
    for fact in facts:  # warm up allocator pools before measuring
        durable.matches(fact)
    gc.collect()
    before = _rss_mb()
    for round_ in range(100):
        for fact in facts:
            hits = durable.matches(fact)
            if round_ == 0:
                assert hits == compiled.matches(fact)
    gc.collect()
    growth = _rss_mb() - before
    assert growth < 50, f"resident memory grew by {growth:.1f} MB over 100,000 evaluations"


def test_eight_threads_get_the_same_decisions_as_one() -> None:
    ruleset = ruleset_from_data("threads", RULES)
    durable = DurableEvaluator(ruleset)
    facts = _facts(400)
    expected = [durable.matches(f) for f in facts]
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            # each thread walks the facts from a different offset to interleave differently
            order = facts[n * 50:] + facts[:n * 50]
            got = [durable.matches(f) for f in order]
            results[n] = got[-n * 50:] + got[:-n * 50] if n else got
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(results[n] == expected for n in range(8))


def test_an_idle_durable_engine_starts_no_threads() -> None:
    """durable_rules' host would dispatch queued messages and timers in a new thread per rule
    set, rounds after rounds, for the life of the process (calling into the rule sets
    outside the engine's lock); finpolicy uses neither, so its host starts none."""
    ruleset = ruleset_from_data("idle", RULES)
    durable = DurableEvaluator(ruleset)
    fact = _facts(1)[0]
    durable.matches(fact)
    before = {t.ident for t in threading.enumerate()}
    seen: set[int | None] = set()
    deadline = time.monotonic() + 0.8  # the dispatchers' first round is due after 0.1 s
    while time.monotonic() < deadline:
        seen.update(t.ident for t in threading.enumerate())
        time.sleep(0.005)
    assert seen <= before, f"{len(seen - before)} threads started while the engine was idle"
    assert durable.matches(fact) == CompiledEvaluator(ruleset).matches(fact)


def test_several_durable_rule_sets_live_side_by_side() -> None:
    a = DurableEvaluator(ruleset_from_data("side_a", RULES[:2]))
    b = DurableEvaluator(ruleset_from_data("side_b", RULES[2:]))
    fact = {"customer": {"age": 70, "rank": 1}, "product": {"rank": 2}, "roles": ["teller"],
            "level": "ordinary", "name": "id_x"}
    assert a.matches(fact) == (0, 1)
    assert b.matches(fact) == (0, 1, 2)


def test_long_in_lists_work_on_durable_and_long_negated_ones_are_a_clear_limit() -> None:
    # synonym lists of dozens of names are common in classification rules
    names = [f"name_{i}" for i in range(40)]
    ruleset = ruleset_from_data("synonyms", [
        {"id": "known", "when": {"field": "name", "in": names}},
        {"id": "short_negation", "when": {"field": "name", "not_in": names[:10]}},
    ])
    durable, compiled = DurableEvaluator(ruleset), CompiledEvaluator(ruleset)
    for fact in ({"name": "name_39"}, {"name": "name_5"}, {"name": "name_40"}, {}, {"name": 3}):
        assert durable.matches(fact) == compiled.matches(fact), fact
    # a durable rule holds at most 32 tests, so "none of 40 names" cannot be one rule
    negated = ruleset_from_data("negated", [{"id": "unknown",
                                             "when": {"field": "name", "not_in": names}}])
    with pytest.raises(PolicyError) as info:
        DurableEvaluator(negated)
    assert [p.code for p in info.value.problems] == ["durable_too_complex"]
