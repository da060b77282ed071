"""The conformance suite: data files of rules, facts and expected hits, run on every engine
configuration (compiled with and without the rule index; durable as one rule set and split
into many small ones, asserting facts only where the index points)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from finpolicy.engines import Evaluator, make_evaluator
from finpolicy.engines.compiled import CompiledEvaluator
from finpolicy.engines.durable import DurableEvaluator
from finpolicy.errors import InputError
from tests.helpers.rulesets import ruleset_from_data

CASES = Path(__file__).parents[1] / "cases" / "conformance"
CONFIGURATIONS = ["compiled", "compiled-indexed", "compiled-unindexed", "durable",
                  "durable-split"]


def _load() -> list[tuple[str, dict, dict]]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        suite = yaml.safe_load(file.read_text(encoding="utf-8"))
        for i, case in enumerate(suite["cases"]):
            out.append((f"{file.stem}[{i}] {case['note']}", suite, case))
    return out


SUITES = {f.stem: yaml.safe_load(f.read_text(encoding="utf-8")) for f in CASES.glob("*.yaml")}
EVALUATORS: dict[tuple[str, str], Any] = {}


def _build(stem: str, configuration: str) -> Evaluator:
    ruleset = ruleset_from_data(stem, SUITES[stem]["rules"])
    if configuration in ("compiled", "durable"):
        return make_evaluator(ruleset, configuration)
    if configuration == "durable-split":
        return DurableEvaluator(ruleset, chunk_rules=2, index=True)
    return CompiledEvaluator(ruleset, index=configuration == "compiled-indexed")


def _evaluator(stem: str, configuration: str) -> Any:
    key = (stem, configuration)
    if key not in EVALUATORS:
        EVALUATORS[key] = _build(stem, configuration)
    return EVALUATORS[key]


@pytest.mark.parametrize("engine", CONFIGURATIONS)
@pytest.mark.parametrize(("name", "suite", "case"), _load(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_engine_returns_the_expected_hits(engine: str, name: str, suite: dict, case: dict) -> None:
    evaluator = _evaluator(Path(name.split("[")[0]).stem, engine)
    rules = evaluator.ruleset.rules
    if "want_error" in case:
        with pytest.raises(InputError) as info:
            evaluator.matches(case["fact"])
        (problem,) = info.value.problems
        assert (problem.code, problem.path) == (case["want_error"]["code"],
                                                case["want_error"]["field"]), name
        return
    got = [rules[i].id for i in evaluator.matches(case["fact"])]
    assert got == case["want"], name


def test_every_operator_is_covered_by_the_suite() -> None:
    text = "\n".join(f.read_text(encoding="utf-8") for f in CASES.glob("*.yaml"))
    for op in ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "matches", "contains",
               "exists", "all", "any", "not"):
        assert f"{op}:" in text, op


def test_the_split_durable_engine_really_uses_several_rule_sets() -> None:
    evaluator = _evaluator("indexing", "durable-split")
    assert len(evaluator._chunks) > 5 and evaluator._index is not None


def test_identical_facts_evaluate_again_and_again_on_durable() -> None:
    evaluator = _evaluator("operators", "durable")
    fact = {"customer": {"age": 70, "kind": "individual"}}
    first = evaluator.matches(fact)
    assert all(evaluator.matches(fact) == first for _ in range(200))
    assert first


def test_a_fact_matching_no_rule_gives_no_hits_on_durable() -> None:
    assert _evaluator("operators", "durable").matches({"unrelated": 1}) == ()
