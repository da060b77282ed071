"""The conformance suite through the columnar backend: every suite's facts evaluated at once,
as columns, must give each case's expected hits (or the row engine's error)."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")

from finpolicy.columnar.engine import ColumnarEvaluator
from finpolicy.errors import InputError
from tests.helpers.rulesets import ruleset_from_data
from tests.unit.test_conformance import SUITES


@pytest.mark.parametrize("stem", sorted(SUITES))
def test_columnar_backend_passes_the_conformance_suite(stem: str) -> None:
    suite = SUITES[stem]
    evaluator = ColumnarEvaluator(ruleset_from_data(stem, suite["rules"]))
    rules = evaluator.ruleset.rules
    plain = [c for c in suite["cases"] if "want_error" not in c]
    got = evaluator.matches_many([c["fact"] for c in plain])
    for case, found in zip(plain, got, strict=True):
        assert [rules[i].id for i in found] == case["want"], case["note"]
    for case in suite["cases"]:
        if "want_error" not in case:
            continue
        with pytest.raises(InputError) as info:
            evaluator.matches_many([case["fact"]])
        (problem,) = info.value.problems
        assert (problem.code, problem.path) == (case["want_error"]["code"],
                                                case["want_error"]["field"]), case["note"]


@pytest.mark.parametrize("stem", sorted(SUITES))
def test_one_case_at_a_time_gives_the_same_hits_as_all_at_once(stem: str) -> None:
    suite = SUITES[stem]
    evaluator = ColumnarEvaluator(ruleset_from_data(stem, suite["rules"]))
    facts = [c["fact"] for c in suite["cases"] if "want_error" not in c]
    together = evaluator.matches_many(facts)
    assert together == [evaluator.matches_many([f])[0] for f in facts]
