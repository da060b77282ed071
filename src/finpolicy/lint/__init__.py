"""``finpolicy lint``: rules that cannot matter, found by deciding their conditions.

Validation says a pack is well formed; lint says whether every rule in it can change a
decision. ``lint_bundle`` checks each document of a bundle with the closed condition language
(``finpolicy.lint.solver``) and the combining its kind declares
(``finpolicy.rules.precedence``), and returns findings, each with a code, a severity and
``file:line``.
"""

from __future__ import annotations

from finpolicy.lint.checks import lint_bundle, lint_document
from finpolicy.lint.findings import CODES, SEVERITIES, Finding, LintCode

__all__ = ["CODES", "SEVERITIES", "Finding", "LintCode", "lint_bundle", "lint_document"]
