"""Validate a whole pack in one pass: every problem of every kind, each with file:line.

``validate_pack`` collects, in one run:

- schema problems of the manifest and of every document (a spec with schema errors is still
  checked without the parts holding them, see ``finpolicy.documents.partial``);
- semantic problems of every document (unknown names, cites, conditions, declared
  vocabularies …), version windows and the lock file;
- compile problems: rule sets an engine cannot build;
- cross-policy problems: the pack checks of every registered domain (``Domain.pack_checks``).

The last two run over every document that built, even one with problems of its own (its
rules with bad conditions left out), so that a mistake in one policy hides none in another.

``finpolicy validate`` prints its report; ``load_bundle`` raises for the first three groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from finpolicy.documents.bundle import (
    Bundle,
    PolicyDocument,
    assemble_bundle,
    collect_documents,
    rule_lines,
)
from finpolicy.errors import PolicyError, Problem

__all__ = ["PackReport", "pack_problems", "validate_pack"]


@attrs.frozen(slots=True)
class PackReport:
    """What ``validate_pack`` found.

    Attributes:
        path: the pack as given.
        problems: every problem, sorted by file and line.
        documents: the documents that are valid on their own.
        bundle: the loaded bundle when there is no problem, else ``None``.
    """

    path: str
    problems: tuple[Problem, ...]
    documents: tuple[PolicyDocument[Any], ...]
    bundle: Bundle | None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rules(self) -> int:
        """Distinct rules of the valid documents, counted as ``finpolicy test --coverage``
        counts them (a rule id once per policy version)."""
        return sum(len(d.rule_ids) for d in self.documents)

    def error(self) -> PolicyError:
        """The problems as one ``PolicyError``."""
        return PolicyError(self.problems)


def validate_pack(path: str | Path | None) -> PackReport:
    """Check the pack at ``path`` (a folder, a shipped pack's name, or ``git:REV:PATH``, the
    folder as a git revision holds it) completely.

    Raises:
        PolicyError: only when ``path`` names no pack (or a revision's folder holds a link
            out of it).
        InputError: ``path`` is ``git:REV:PATH`` that git cannot extract (no such revision,
            no such folder at it, or no git repository here).
    """
    drafts: list[PolicyDocument[Any]] = []
    root, manifest, documents, problems = collect_documents(path, drafts)
    # invalid documents still take part in the checks across the pack, as far as they built
    problems = [*problems, *pack_problems([*documents, *drafts])]
    bundle = None
    if not problems and manifest is not None:
        try:
            bundle = assemble_bundle(root, manifest, documents)
        except PolicyError as exc:
            problems.extend(exc.problems)
    unique = list(dict.fromkeys(problems))
    return PackReport(str(path), tuple(sorted(unique, key=Problem.sort_key)), tuple(documents),
                      bundle)


def pack_problems(documents: Sequence[PolicyDocument[Any]]) -> list[Problem]:
    """Compile and cross-policy problems of ``documents`` (each valid on its own)."""
    from finpolicy.domains.registry import domains
    from finpolicy.engines import build_problems

    found = [_located(p, documents) for p in build_problems(documents)]
    for domain in domains():
        for check in domain.pack_checks:
            found.extend(_checked(domain, check, documents))
    return found


def _checked(domain: Any, check: Any, documents: Sequence[PolicyDocument[Any]],
             ) -> list[Problem]:
    """The problems one pack check of ``domain`` finds. A check that raises, or gives
    something other than problems, is itself a problem (``pack_check_failed``) naming the
    domain and the check, at the first of the domain's documents: the pack is not valid
    while a check of it cannot run, and ``finpolicy validate`` ends in no traceback."""
    name = getattr(check, "__qualname__", repr(check))
    try:
        problems = list(check(documents))
        wrong = next((p for p in problems if not isinstance(p, Problem)), None)
        if wrong is None:
            return problems
        failure = f"gave a `{type(wrong).__name__}`, expected a finpolicy.errors.Problem"
    except Exception as exc:  # a plug-in's check must name itself, not end in a traceback
        failure = f"raised {type(exc).__name__}: {exc}"
    kinds = {k.name for k in domain.kinds}
    ours = [d for d in documents if d.kind in kinds] or list(documents)
    return [Problem(ours[0].file if ours else "", None, "",
                    f"the pack check `{name}` of domain `{domain.name}` {failure}",
                    "pack_check_failed")]


def _located(problem: Problem, documents: Iterable[PolicyDocument[Any]]) -> Problem:
    """An engine's problem about ``rule `id``` given the line of that rule."""
    if problem.line is not None or not problem.path.startswith("rule `"):
        return problem
    rule = problem.path[len("rule `"):].rstrip("`")
    for doc in documents:
        if doc.file == problem.file:
            line = rule_lines(doc).get(rule)
            if line is not None:
                return attrs.evolve(problem, line=line)
    return problem
