"""Adversarial values against accepted patterns: how long one match of a 10,000-character text
takes at worst.

Patterns are drawn at random (fixed seed) from the pattern language's atoms, quantifiers and
groups, nested three deep, as the linear-time property test draws them; those the subset
refuses are skipped. Each accepted pattern is matched against texts that make backtracking
engines explode (long runs of what the pattern consumes, then a character it does not expect),
alone and in a set with another pattern, each on a freshly compiled pattern (so the automaton
is built during the match, as on a pattern's first request), best of three to leave out the
machine's own interruptions; the slowest match is reported beside the median.
"""

from __future__ import annotations

import random
import statistics
import time

from harness import Measurement
from rich.console import Console

from finpolicy.rules.patterns import MAX_MATCH_TEXT, PatternError, PatternSet, compile_pattern

ATOMS = ["a", "b", "_", ".", "[ab]", "[^a]", "\\d", "\\w", "\\s", "\\.", "身"]
QUANTIFIERS = ["", "", "*", "+", "?", "{2}", "{1,32}", "{0,5}"]
KNOWN = ["(a+)+b", "(a|aa)*c", "(a*)*b", "(.*a){20}", "(a|a)*b", "([ab]*a[ab]{32})*",
         ".*.*.*.*.*.*_", "(\\w+\\s?)+@", "(a?){32}a{32}"]


def pattern(rng: random.Random, depth: int) -> str:
    def piece() -> str:
        if depth and rng.random() < 0.4:
            inner = "|".join(pattern(rng, depth - 1) for _ in range(rng.randint(1, 3)))
            return f"({inner}){rng.choice(QUANTIFIERS)}"
        return rng.choice(ATOMS) + rng.choice(QUANTIFIERS)

    return "".join(piece() for _ in range(rng.randint(1, 4)))


def adversarial(source: str) -> list[str]:
    chars = [c for c in source if c.isalnum() or c in "_ "] or ["a"]
    n = MAX_MATCH_TEXT
    return ["a" * (n - 1) + "!", (chars[0] * n)[:n], ("ab" * n)[: n - 1] + "=",
            "".join(chars[i % len(chars)] for i in range(n - 1)) + "\n"]


def bench_patterns(console: Console, count: int) -> list[Measurement]:
    rng = random.Random(11)
    sources = list(KNOWN)
    while len(sources) < count:
        sources.append(pattern(rng, 3))
    times: list[float] = []
    accepted = 0
    other = compile_pattern(".*a.*a.*")
    for source in sources:
        try:
            compile_pattern(source)
        except PatternError:
            continue
        accepted += 1
        for text in adversarial(source):
            for in_set in (False, True):
                best = float("inf")
                for _ in range(3):
                    fresh = compile_pattern(source)
                    match = PatternSet([fresh, other]).match if in_set else fresh.fullmatch
                    start = time.perf_counter()
                    match(text)
                    best = min(best, time.perf_counter() - start)
                times.append(best)
    worst, median = max(times), statistics.median(times)
    console.log(f"patterns: {accepted:,} accepted of {len(sources):,}, {len(times):,} matches "
                f"of 10,000 characters; slowest {worst * 1e3:.2f} ms, median "
                f"{median * 1e6:.0f} µs")
    note = (f"{accepted:,} accepted patterns × {len(times) // max(accepted, 1)} adversarial "
            f"10,000-character texts; slowest match {worst * 1e3:.2f} ms (bound 10 ms)")
    return [Measurement("patterns", "adversarial 10,000-character match", "compiled",
                        1 / median, p50_us=median * 1e6, p99_us=statistics.quantiles(
                            times, n=100)[98] * 1e6, note=note)]
