"""Fuzzing the decision log: whatever an engine decides on, its log writes, and the log then
verifies and replays every decision. The writer serves the whole application: one input it
cannot write would stop it, and with it every later decision.

The tests log all their examples to one log; the writer is checked alive with every call
written after each example, and the log verified and replayed whole at the end, and the
values it masked each found again with ``find_entries`` (examples per
run: ``RUNS``, ``MUTATION_RUNS``; ``-m slow`` runs the long variant).
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.domains.registry import domain
from tests.helpers.directory import DIRECTORY
from tests.security.fuzzing import bounded, json_values, mutated_inputs, typed_calls

pytest.importorskip("cryptography")
pytest.importorskip("orjson")

from finpolicy.audit import (
    AuditKeys,
    DecisionLog,
    find_entries,
    read_entries,
    replay_log,
    verify_log,
)
from finpolicy.audit.encode import exact_loads
from finpolicy.audit.search import _scalars

# the old names (`at`, `now`) are documented and warn; fuzzing reaches them
pytestmark = pytest.mark.filterwarnings("ignore:`.*` is deprecated, use:DeprecationWarning")
RUNS = 150
MUTATION_RUNS = 400
SLOW_RUNS = 3000
_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow,
                                                         HealthCheck.data_too_large,
                                                         HealthCheck.function_scoped_fixture]}


class _Logged:
    """An engine over the shipped pack that logs to a fresh SQLite log, and how many calls
    it logged."""

    def __init__(self, folder: Path) -> None:
        self.keys = AuditKeys.generate()
        self.where = str(folder / "fuzz.db")
        self.log = DecisionLog(self.where, keys=self.keys, batch_wait=0.0)
        self.engine = fp.PolicyEngine(fp.load_bundle(), log=self.log, directory=DIRECTORY)
        self.calls = 0

    def attempt(self, call: Any, what: Any) -> None:
        """Make one call: a decision, or one of finpolicy's errors (then nothing is logged)."""
        try:
            with bounded(what):
                call()
        except fp.FinpolicyError:
            return
        self.calls += 1

    def check(self) -> None:
        """The writer is alive and has written every call so far."""
        self.log.flush(timeout=60)  # raises when the writer failed

    def close_and_replay(self) -> None:
        self.log.close()
        report = verify_log(self.where, public_key=self.keys.public_key)
        assert report.ok, report.problem
        assert report.decisions == self.calls
        replay = replay_log(self.where, self.keys)
        assert replay.entries == self.calls
        assert replay.reproduced, replay.mismatches[:3]
        self.find_what_was_masked()
        self.find_what_was_shown()

    def find_what_was_masked(self, most: int = 150) -> None:
        """Every value the log masked finds its entry again (``audit find``), written as the
        entry's text of it is."""
        sought = 0
        for entry in read_entries(self.where):
            if entry.sealed is None or sought >= most:
                continue
            raw = self.keys.unseal(base64.b64decode(entry.sealed), f"{entry.log_id}:"
                                                                   f"{entry.seq}".encode())
            for _, value in exact_loads(raw)[:3]:
                text = value if isinstance(value, str) else \
                    str(value) if isinstance(value, int) else orjson.dumps(value).decode()
                if not text.strip():
                    continue  # (blank: nothing to search for)
                found = [f.entry.seq for f in find_entries(self.where, self.keys, [text])]
                assert entry.seq in found, (entry.seq, value)
                sought += 1

    def find_what_was_shown(self, most: int = 150) -> None:
        """Every value an entry shows in clear finds it again, as the entry's text of it."""
        sought = 0
        for entry in read_entries(self.where):
            clear = [text for path, text in _scalars(entry.input, "")
                     if path not in entry.masked and text.strip()]
            for text in clear[:3] if sought < most else ():
                found = [f.entry.seq for f in find_entries(self.where, self.keys, [text])]
                assert entry.seq in found, (entry.seq, text)
                sought += 1


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Logged]:
    found = _Logged(tmp_path_factory.mktemp("fuzz-log"))
    yield found
    found.close_and_replay()


def _arguments(method: str, data: Any, as_of: Any) -> list[dict[str, Any]]:
    """Ways to pass a mutated pack input to ``method``: as its arguments by name, or as its
    first argument (a request, a complaint); the time as ``as_of`` where the method takes
    one, else inside the input (a request carries its own)."""
    names = list(inspect.signature(getattr(fp.PolicyEngine, method)).parameters)[1:]
    timed = "as_of" in names and as_of is not None
    first = data
    if not timed and as_of is not None and isinstance(data, dict) and "as_of" not in data:
        first = {**data, "as_of": as_of}
    ways = [{names[0]: first}]
    if isinstance(data, dict):
        ways.append(dict(data))
        if "product" in data:  # a sale's inputs, as a shelf of one product
            ways.append({**data, "products": [data["product"]]})
        if "complaint" in data:
            ways.append({"complaints": [data["complaint"]]})
    for way in ways:
        if timed:
            way["as_of"] = as_of
    return ways


def _log_mutated(logged: _Logged, case: tuple[str, Any, Any]) -> None:
    name, data, as_of = case
    for method in domain(name).logged:
        if not hasattr(fp.PolicyEngine, method):
            continue
        for arguments in _arguments(method, data, as_of):
            logged.attempt(lambda m=method, a=arguments: logged.engine.call(m, a),
                           (method, arguments))
    logged.check()


@settings(max_examples=MUTATION_RUNS, **_SETTINGS)
@given(mutated_inputs())
def test_mutated_pack_inputs_are_logged_verified_and_replayed(
        logged: _Logged, case: tuple[str, Any, Any]) -> None:
    _log_mutated(logged, case)


@pytest.mark.slow
@settings(max_examples=SLOW_RUNS, **_SETTINGS)
@given(mutated_inputs())
def test_long_run_of_mutated_pack_inputs_logged(logged: _Logged,
                                                case: tuple[str, Any, Any]) -> None:
    _log_mutated(logged, case)


@settings(max_examples=RUNS, **_SETTINGS)
@given(st.builds(dict, customer=json_values, product=json_values),
       st.one_of(st.none(), st.floats(), st.integers()))
def test_arbitrary_values_given_to_the_typed_api_are_logged(
        logged: _Logged, pair: dict[str, Any], amount: Any) -> None:
    for name, call in typed_calls(logged.engine, pair, amount).items():
        if name != "mask":  # (it decides nothing: not logged)
            logged.attempt(call, pair)
    logged.check()
