"""Build rule sets straight from YAML-shaped data, without a bundle (for engine tests)."""

from __future__ import annotations

from typing import Any

from finpolicy.documents.yamlsource import SourceDocument
from finpolicy.errors import PolicyError
from finpolicy.rules.model import Rule, RuleSet
from finpolicy.rules.parse import ConditionParser


def ruleset_from_data(name: str, rules: list[dict[str, Any]]) -> RuleSet:
    """Parse ``[{id, when}, ...]`` into a rule set; raise ``PolicyError`` on bad conditions."""
    source = SourceDocument(name, {"rules": rules}, {})
    parser = ConditionParser(source)
    parsed = []
    for i, rule in enumerate(rules):
        when = parser.parse(rule["when"], ("rules", i, "when"))
        if when is not None:
            parsed.append(Rule(rule["id"], when))
    if parser.problems:
        raise PolicyError(parser.problems)
    return RuleSet(name, tuple(parsed))
