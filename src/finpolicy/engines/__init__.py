"""Engines: the compiled (closures) and durable (durable_rules) evaluators of rule sets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from finpolicy.errors import EvaluationError, PolicyError, Problem
from finpolicy.rules.model import RuleSet

if TYPE_CHECKING:
    from finpolicy.documents.bundle import Bundle, PolicyDocument

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


def check_bundle(bundle: Bundle) -> None:
    """Build every rule set of ``bundle`` on every engine, so that a bundle that validates is
    known to run on both.

    Raises:
        PolicyError: listing each rule set an engine cannot build, with the file and the reason
            (for example ``durable_too_complex``).
    """
    problems = build_problems(bundle.documents)
    if problems:
        raise PolicyError(problems)


def build_problems(documents: Iterable[PolicyDocument[Any]]) -> list[Problem]:
    """What stops an engine from building a rule set of ``documents`` (see ``check_bundle``)."""
    problems: list[Problem] = []
    for doc in documents:
        for name, ruleset in doc.policy.rulesets.items():
            for engine in ENGINES:
                try:
                    make_evaluator(ruleset, engine, source=doc.file)
                except PolicyError as exc:
                    problems.extend(exc.problems)
                except EvaluationError as exc:
                    problems.append(Problem(doc.file, None, f"rule set `{name}`",
                                            f"the {engine} engine cannot build it: {exc}",
                                            "engine_build"))
    return problems
