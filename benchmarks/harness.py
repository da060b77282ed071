"""Timing helpers for the benchmark: throughput, latency percentiles, resident memory."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs


@attrs.frozen
class Measurement:
    """One benchmark row: what was measured and how fast."""

    section: str
    name: str
    engine: str
    per_second: float
    p50_us: float | None = None
    p99_us: float | None = None
    note: str = ""


def throughput(fn: Callable[[], Any], *, items: int, min_seconds: float = 0.5) -> float:
    """Items per second of ``fn`` (which processes ``items`` items), best of repeated runs."""
    fn()  # warm caches
    best = 0.0
    deadline = time.perf_counter() + min_seconds
    while True:
        gc.collect()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best = max(best, items / elapsed)
        if time.perf_counter() > deadline:
            return best


def latencies(call: Callable[[Any], Any], inputs: Sequence[Any]) -> tuple[float, float, float]:
    """Calls per second, p50 and p99 in microseconds, timing each call on its own."""
    for item in inputs[:100]:
        call(item)
    samples = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        start_all = clock()
        for item in inputs:
            start = clock()
            call(item)
            samples.append(clock() - start)
        total = clock() - start_all
    finally:
        gc.enable()
    samples.sort()
    p50 = samples[len(samples) // 2] / 1000
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000
    return len(inputs) / (total / 1e9), p50, p99


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
