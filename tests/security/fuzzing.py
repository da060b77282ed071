"""Fuzzing helpers: hostile JSON-like values, mutations of a pack's own examples and test
cases, and a bound on the time and memory of one call.

A fuzz test asserts only what finpolicy documents: a result, or one of its own errors
(``FinpolicyError``). Any other exception is a bug, and so is a call that takes too long or
allocates too much.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.registry import domains
from finpolicy.testing.cases import load_cases, load_examples

SECONDS = 10.0
"""Longest one fuzzed call may take (generous: the machine running CI is shared)."""
MEGABYTES = 200
"""Most one fuzzed call may allocate at its peak (Python allocations, by tracemalloc)."""


@contextlib.contextmanager
def bounded(what: object, *, seconds: float = SECONDS, megabytes: int = MEGABYTES
            ) -> Iterator[None]:
    """Fail when the block takes longer than ``seconds`` or its allocations peak above
    ``megabytes``."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    begin = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - begin
        _, peak = tracemalloc.get_traced_memory()
        if started:
            tracemalloc.stop()
    assert elapsed < seconds, f"{elapsed:.1f} s on {what!r:.300}"
    assert peak < megabytes * 2 ** 20, f"{peak / 2 ** 20:.0f} MB on {what!r:.300}"


def _field_names() -> list[str]:
    names = {"customer", "product", "products", "amount", "complaint", "complaints", "as_of",
             "now", "at", "review", "record", "fields", "field", "usage", "assignments"}
    for domain in domains():
        for model in domain.input_models:
            names.update(model.model_fields)
    return sorted(names)


FIELD_NAMES = _field_names()
HOSTILE_TEXT = ["", " ", "\u200b", "\ufeff", "\x00", "..", "-", "NaN", "Infinity", "null",
                "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00", "9999-12-31",
                "0001-01-01", "2026-03-02T10:00:00", "2026-02-30", "24:00", "1e400",
                "9" * 400, "a" * 5000, "𝟘𝟙𝟚", "ＩＤ＿ＮＵＭＢＥＲ", "\"'\\", "<script>", "${x}",
                "%s%n", "../../etc/passwd", "U-HEAD-7 ", "u-head-7\u200b"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.integers(min_value=-(10 ** 400), max_value=10 ** 400), st.floats(),
    st.text(max_size=40), st.sampled_from(HOSTILE_TEXT),
    st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat),
    st.dates().map(dt.date.isoformat))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)), inner,
                        max_size=5)),
    max_leaves=25)
"""JSON-like values (with NaN, huge integers and hostile text), keys often real field
names."""


def _pack_inputs() -> list[tuple[str, Any, Any]]:
    out = []
    for pack in ("cn-banking", "uk-fca"):
        bundle = fp.load_bundle(pack)
        for case in [*load_examples(bundle), *load_cases(bundle)]:
            out.append((case.domain, case.input, case.as_of))
    return out


PACK_INPUTS = _pack_inputs()


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*path, i))


def _mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action != "drop" else {}
    out = copy.deepcopy(data)
    node = out
    for part in path[:-1]:
        node = node[part]
    if action == "drop":
        del node[path[-1]]
    elif action == "add" and isinstance(node, dict):
        node[str(value)[:20] if not isinstance(value, str) else value[:20]] = value
    elif action == "double" and isinstance(node[path[-1]], list):
        node[path[-1]] = node[path[-1]] * 50
    else:
        node[path[-1]] = value
    return out


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _near(value: Any) -> st.SearchStrategy[Any]:
    """Values close to ``value``: the kind of change a careless or hostile producer makes."""
    if isinstance(value, bool):
        return st.sampled_from([not value, str(value).lower(), 1])
    if isinstance(value, int | float):
        return st.sampled_from([0, -1, -value, value * 1000, 2 ** 53 + 1, 10 ** 400, 1e308,
                                float("nan"), float("inf"), str(value)[:50], 0.5])
    if isinstance(value, str):
        variants = [value.upper(), f" {value} ", value + "\u200b", _full_width(value),
                    value * 3, "", value[:1], value + "x" * 300]
        if len(value) >= 10 and value[:4].isdigit() and value[4:5] == "-":
            variants += ["9999" + value[4:], "0001" + value[4:], value[:19], value[:10],
                         value.replace("+08:00", "+23:59"), value + "Z"]
        return st.sampled_from(variants)
    if isinstance(value, list):
        return st.sampled_from([[], value * 40, value[:1] * 2, [value]])
    if isinstance(value, dict):
        return st.sampled_from([{}, {**value, "extra": 1}, [value]])
    return scalars


@st.composite
def mutated_inputs(draw: st.DrawFn) -> tuple[str, Any, Any]:
    """``(domain, input, as_of)``: a pack example or test case with one to three leaves
    changed a little (another spelling, an extreme number, a far date), replaced by hostile
    values, dropped or duplicated."""
    domain, data, as_of = draw(st.sampled_from(PACK_INPUTS))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["near", "near", "near", "set", "drop", "add", "double"]))
        if action == "near":
            node = data
            for part in path:
                node = node[part]
            data = _mutate(data, path, "set", draw(_near(node)))
        else:
            data = _mutate(data, path, action, draw(json_values))
    if draw(st.integers(0, 4)) == 0:
        as_of = draw(st.one_of(st.none(), st.dates(),
                               st.datetimes(timezones=st.timezones())))
    return domain, data, as_of


def typed_calls(engine: fp.PolicyEngine, pair: dict[str, Any],
                amount: Any) -> dict[str, Callable[[], Any]]:
    """Every deciding method of the façade, and ``mask``, on the pair's values, by name."""
    one, other = pair["customer"], pair["product"]
    when = dt.date(2026, 3, 2)
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    return {
        "check_suitability": lambda: engine.check_suitability(one, other, amount=amount,
                                                              as_of=when),
        "suitable_products": lambda: engine.suitable_products(one, [other], as_of=when),
        "authorize": lambda: engine.authorize(one),
        "classify": lambda: engine.classify(other, as_of=when),
        "classify_record": lambda: engine.classify_record(one, as_of=when),
        "mask": lambda: engine.mask(other, field=one, as_of=when),
        "complaint_sla": lambda: engine.complaint_sla(one, as_of=at),
        "complaint_sla_batch": lambda: engine.complaint_sla_batch([one, other], as_of=at),
        "review_access": lambda: engine.review_access(one, other, as_of=at),
    }
