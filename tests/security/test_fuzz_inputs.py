"""Fuzzing every input model and every domain's mapping form on both engines: only a result
or one of finpolicy's documented errors comes out, within bounded time and memory, and the
two engines decide alike.

Examples per run are set here (``RUNS``); ``-m slow`` runs the long variants.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.registry import domain, domains
from tests.security.fuzzing import bounded, json_values, mutated_inputs, typed_calls

# the old names (`at`, `now`) are documented and warn; fuzzing reaches them
pytestmark = pytest.mark.filterwarnings("ignore:`.*` is deprecated, use:DeprecationWarning")
RUNS = 150
MUTATION_RUNS = 300
SLOW_RUNS = 2500
MODELS = sorted({m for d in domains() for m in d.input_models}, key=lambda m: m.__name__)
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow,
                                                         HealthCheck.data_too_large]}


def _outcome(engine: fp.PolicyEngine, name: str, data: Any, as_of: Any) -> Any:
    """What one evaluation gives: its decisions' essentials, or finpolicy's error type."""
    found = domain(name)
    try:
        with bounded((name, data)):
            decisions = found.evaluate_input(engine.runtime, data, as_of=as_of)
    except fp.FinpolicyError as exc:
        assert str(exc)  # a message a person can read
        if isinstance(exc, fp.InputError):
            assert exc.problems and all(p.code for p in exc.problems)
        event(f"{name}: {type(exc).__name__}")  # --hypothesis-show-statistics shows them
        return type(exc).__name__
    event(f"{name}: decisions")
    for d in decisions:
        assert isinstance(d, fp.Decision)
        d.to_dict()
        d.explain()
    # without an as_of the time is now, which the digest includes: it differs call to call
    return [(d.outcome, d.rule_ids, d.obligations, as_of is not None and d.input_digest)
            for d in decisions]


def _check(engines: dict[str, fp.PolicyEngine], name: str, data: Any, as_of: Any) -> None:
    results = {kind: _outcome(engine, name, data, as_of) for kind, engine in engines.items()}
    assert results["compiled"] == results["durable"], (name, data, as_of)


@settings(max_examples=MUTATION_RUNS, **_SETTINGS)
@given(mutated_inputs())
def test_mutated_pack_inputs_give_decisions_or_finpolicy_errors_on_both_engines(
        engines: dict[str, fp.PolicyEngine], case: tuple[str, Any, Any]) -> None:
    _check(engines, *case)


@settings(max_examples=RUNS, **_SETTINGS)
@given(st.sampled_from([d.name for d in domains()]), json_values,
       st.one_of(st.none(), st.dates(), st.datetimes(), st.datetimes(timezones=st.timezones()),
                 st.text(max_size=12)))
def test_arbitrary_values_give_decisions_or_finpolicy_errors_on_both_engines(
        engines: dict[str, fp.PolicyEngine], name: str, data: Any, as_of: Any) -> None:
    _check(engines, name, data, as_of)


@settings(max_examples=RUNS, **_SETTINGS)
@given(st.sampled_from(MODELS), json_values)
def test_every_input_model_validates_or_raises_an_input_error(model: Any, data: Any) -> None:
    try:
        with bounded((model.__name__, data)):
            parsed = model.parse(data)
    except fp.InputError as exc:
        assert exc.problems
        return
    assert isinstance(parsed, model)
    assert model.parse(parsed.model_dump()) == parsed  # what validates, round-trips


@settings(max_examples=RUNS, **_SETTINGS)
@given(st.builds(dict, customer=json_values, product=json_values),
       st.one_of(st.none(), st.floats(), st.integers()))
def test_the_typed_api_takes_anything_and_answers_or_raises_an_input_error(
        engines: dict[str, fp.PolicyEngine], pair: dict[str, Any], amount: Any) -> None:
    for engine in engines.values():
        _call_everything(engine, pair, amount)


def _call_everything(engine: fp.PolicyEngine, pair: dict[str, Any], amount: Any) -> None:
    """Every method of the façade on the pair's values (only finpolicy's errors may come)."""
    for call in typed_calls(engine, pair, amount).values():
        try:
            with bounded(pair):
                call()
        except fp.FinpolicyError:
            pass


@pytest.mark.slow
@settings(max_examples=SLOW_RUNS, **_SETTINGS)
@given(mutated_inputs())
def test_long_run_of_mutated_pack_inputs(engines: dict[str, fp.PolicyEngine],
                                         case: tuple[str, Any, Any]) -> None:
    _check(engines, *case)
