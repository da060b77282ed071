"""Engines: the compiled (closures) and durable (durable_rules) evaluators of rule sets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from finpolicy.rules.model import RuleSet

ENGINES = ("compiled", "durable")


class Evaluator(Protocol):
    """Finds the rules of one rule set whose conditions hold for a fact."""

    engine_name: str
    ruleset: RuleSet

    def matches(self, fact: Mapping[str, Any]) -> tuple[int, ...]: ...


def make_evaluator(ruleset: RuleSet, engine: str, *, source: str = "") -> Evaluator:
    """Build the evaluator of ``ruleset`` for the engine named ``engine``."""
    if engine == "compiled":
        from finpolicy.engines.compiled import CompiledEvaluator

        return CompiledEvaluator(ruleset, source=source)
    if engine == "durable":
        from finpolicy.engines.durable import DurableEvaluator

        return DurableEvaluator(ruleset, source=source)
    raise ValueError(f"unknown engine `{engine}`")
