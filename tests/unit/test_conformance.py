"""The conformance suite: data files of rules, facts and expected hits, run on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from finpolicy.engines import make_evaluator
from tests.helpers.rulesets import ruleset_from_data

CASES = Path(__file__).parents[1] / "cases" / "conformance"


def _load() -> list[tuple[str, dict, dict]]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        suite = yaml.safe_load(file.read_text(encoding="utf-8"))
        for i, case in enumerate(suite["cases"]):
            out.append((f"{file.stem}[{i}] {case['note']}", suite, case))
    return out


SUITES = {f.stem: yaml.safe_load(f.read_text(encoding="utf-8")) for f in CASES.glob("*.yaml")}
EVALUATORS: dict[tuple[str, str], object] = {}


def _evaluator(stem: str, engine: str):
    key = (stem, engine)
    if key not in EVALUATORS:
        EVALUATORS[key] = make_evaluator(ruleset_from_data(stem, SUITES[stem]["rules"]), engine)
    return EVALUATORS[key]


@pytest.mark.parametrize("engine", ["compiled", "durable"])
@pytest.mark.parametrize(("name", "suite", "case"), _load(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_engine_returns_the_expected_hits(engine: str, name: str, suite: dict, case: dict) -> None:
    evaluator = _evaluator(Path(name.split("[")[0]).stem, engine)
    rules = evaluator.ruleset.rules
    got = [rules[i].id for i in evaluator.matches(case["fact"])]
    assert got == case["want"], name


def test_every_operator_is_covered_by_the_suite() -> None:
    text = "\n".join(f.read_text(encoding="utf-8") for f in CASES.glob("*.yaml"))
    for op in ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "matches", "contains",
               "exists", "all", "any", "not"):
        assert f"{op}:" in text, op


def test_identical_facts_evaluate_again_and_again_on_durable() -> None:
    evaluator = _evaluator("operators", "durable")
    fact = {"customer": {"age": 70, "kind": "individual"}}
    first = evaluator.matches(fact)
    assert all(evaluator.matches(fact) == first for _ in range(200))
    assert first


def test_a_fact_matching_no_rule_gives_no_hits_on_durable() -> None:
    assert _evaluator("operators", "durable").matches({"unrelated": 1}) == ()
