"""Lint findings and their codes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

__all__ = ["CODES", "SEVERITIES", "Finding", "LintCode", "Severity"]

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
"""From most to least severe (``--fail-on`` fails at that severity or above)."""


@attrs.frozen(slots=True)
class LintCode:
    """A lint code: a stable name, a severity and what it means."""

    code: str
    name: str
    severity: Severity
    summary: str


CODES: Mapping[str, LintCode] = MappingProxyType({c.code: c for c in (
    LintCode("FPL001", "never_fires", "error",
             "the rule's condition can never hold (its comparisons contradict one another or "
             "the values its facts can take)"),
    LintCode("FPL002", "shadowed", "warning",
             "another rule of the same rank, deciding the same and adding at least the same "
             "obligations, holds whenever this one does: removing it changes no decision"),
    LintCode("FPL003", "overridden", "warning",
             "stronger rules (by the kind's combining) hold whenever this one does: what it "
             "decides never takes effect"),
    LintCode("FPL004", "cite_without_article", "warning",
             "the rule's cite names no article, section or paragraph (no number and no `§`)"),
    LintCode("FPL005", "impossible_comparison", "warning",
             "a comparison can never hold: the field never takes that value under this "
             "policy (a level, role or enum value it does not declare)"),
    LintCode("FPL006", "unreachable_field", "warning",
             "the condition reads a fact no input can carry under this policy"),
    LintCode("FPL008", "stated_number_mismatch", "warning",
             "a description or reason states a number (an age, a duration, a share, an "
             "amount) that no number of the same kind in the policy's rules or settings "
             "matches: the text and the rules disagree"),
    LintCode("FPL009", "unused_obligation", "info",
             "the policy declares an obligation in its `spec.vocabulary` that none of its "
             "rules carries"),
    LintCode("FPL010", "version_order", "warning",
             "a version of a policy comes into force after another whose version number is "
             "not lower: a later version takes a higher number"),
    LintCode("FPL011", "several_in_force", "warning",
             "two policies of one kind are in force on the same days (a draft left beside "
             "the released one): a call that names neither is refused then"),
    LintCode("FPL012", "always_true_comparison", "warning",
             "a comparison holds for every value the fact takes under this policy (a level "
             "or rank bound every level meets): it narrows nothing"),
    LintCode("FPL007", "undecided", "info",
             "a question was too large to decide (more than the solver's bound); the rule "
             "was not checked for shadowing or overriding"),
)})


@attrs.frozen(slots=True)
class Finding:
    """One lint finding.

    Attributes:
        code: the lint code (``FPL001`` …, see ``CODES``).
        severity: ``error``, ``warning`` or ``info``.
        file: the policy file.
        line: 1-based line of the rule (or of the part of it concerned).
        policy: ``id@version`` of the document.
        rule: the rule's id.
        message: lower-case, one line.
        related: ids of the other rules concerned (the shadowing or overriding rules).
    """

    code: str
    severity: Severity
    file: str
    line: int | None
    policy: str
    rule: str
    message: str
    related: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity} {self.code}: rule `{self.rule}`: {self.message}"

    def as_json(self) -> dict[str, Any]:
        """The finding as plain data (``finpolicy lint --format json``)."""
        return {"code": self.code, "name": CODES[self.code].name, "severity": self.severity,
                "file": self.file, "line": self.line, "policy": self.policy, "rule": self.rule,
                "message": self.message, "related": list(self.related)}

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.code)
