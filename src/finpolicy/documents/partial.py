"""Check the rest of a document whose spec has schema errors.

So that one run reports every problem, a spec that fails its schema is pruned — each list item
holding an error (a rule, a permission …) and each unknown key is left out — and the remainder
is validated and built like any spec. The problems of that build are reported with the lines
and paths of the original file; the document itself stays invalid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from finpolicy.documents.yamlsource import Path, SourceDocument, format_path
from finpolicy.errors import Problem

__all__ = ["check_pruned"]

_ROUNDS = 5
T = TypeVar("T")


def check_pruned(source: SourceDocument, model: type[BaseModel], spec: Any,
                 errors: Sequence[Any],
                 build: Callable[[BaseModel, SourceDocument], tuple[T, list[Problem]]],
                 ) -> tuple[T | None, list[Problem]]:
    """What ``build`` makes of ``spec`` without the parts holding ``errors``, and the problems
    it finds.

    Args:
        source: the whole document as parsed.
        model: the kind's spec model.
        spec: the spec data (``source.data["spec"]``).
        errors: pydantic's errors for ``spec`` (``ValidationError.errors()``).
        build: builds a validated spec against a source document, returning what it built
            and its problems.

    Returns:
        What was built (``None`` when nothing is left to build: an error outside any list
        item, for instance a missing required key) and the problems, located in the original
        file.
    """
    removed: set[Path] = set()
    data = spec
    for _ in range(_ROUNDS):
        cuts = _cuts(data, errors)
        if cuts is None:
            return None, []
        removed |= {_original(c, removed) for c in cuts}
        data = _without(spec, removed)
        try:
            validated = model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            continue
        pruned = SourceDocument(source.file, {**source.data, "spec": data},
                                _pruned_lines(source, removed))
        try:
            built, found = build(validated, pruned)
        except Exception:  # a pruned spec may upset a build; the schema errors stand
            return None, []
        return built, [_relocated(p, removed, source) for p in found]
    return None, []


def _cuts(data: Any, errors: Iterable[Any]) -> set[Path] | None:
    """The part to leave out for each error: the unknown key, or the shallowest list item
    holding the error; ``None`` when an error lies outside every list item."""
    cuts: set[Path] = set()
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden" and _exists(data, loc):
            cuts.add(loc)
            continue
        node, cut = data, None
        for k, part in enumerate(loc):
            if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                cut = loc[:k + 1]
                break
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        if cut is None:
            return None
        cuts.add(cut)
    return cuts


def _exists(data: Any, loc: Path) -> bool:
    node = data
    for part in loc:
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not in_list and not (isinstance(node, dict) and part in node):
            return False
        node = node[part]
    return True


def _without(spec: Any, removed: set[Path]) -> Any:
    """A copy of ``spec`` without the ``removed`` paths (given in original indices)."""
    data = copy.deepcopy(spec)
    # deepest and highest index first, so earlier removals do not move later ones
    for path in sorted(removed, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1),
                       reverse=True):
        if any(path[:k] in removed for k in range(1, len(path))):
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        del parent[path[-1]]
    return data


def _original(path: Path, removed: set[Path]) -> Path:
    """``path`` in the pruned spec, in the indices of the original spec."""
    out: list[str | int] = []
    for part in path:
        if isinstance(part, int):
            gone = sorted(p[-1] for p in removed
                          if len(p) == len(out) + 1 and tuple(p[:-1]) == tuple(out)
                          and isinstance(p[-1], int))
            for index in gone:
                if index <= part:
                    part += 1
        out.append(part)
    return tuple(out)


def _pruned_path(path: Path, removed: set[Path]) -> Path | None:
    """An original path in the pruned spec's indices, ``None`` when it was left out."""
    out: list[str | int] = []
    for k, part in enumerate(path):
        if path[:k + 1] in removed:
            return None
        if isinstance(part, int):
            part -= sum(1 for p in removed if len(p) == k + 1 and p[:-1] == path[:k]
                        and isinstance(p[-1], int) and p[-1] < part)
        out.append(part)
    return tuple(out)


def _pruned_lines(source: SourceDocument, removed: set[Path]) -> dict[Path, int]:
    lines: dict[Path, int] = {(): source.lines.get((), 1)}
    for path, line in source.lines.items():
        if path[:1] != ("spec",):
            lines[path] = line
            continue
        moved = _pruned_path(path[1:], removed)
        if moved is not None:
            lines[("spec", *moved)] = line
    return lines


def _relocated(problem: Problem, removed: set[Path], source: SourceDocument) -> Problem:
    """``problem`` with its path in the original indices."""
    if not problem.path.startswith("spec"):
        return problem
    best = ""
    found: Path | None = None
    for path in source.lines:
        if path[:1] != ("spec",):
            continue
        moved = _pruned_path(path[1:], removed)
        if moved is None:
            continue
        text = format_path(("spec", *moved))
        if len(text) > len(best) and (problem.path == text or
                                      problem.path.startswith((text + ".", text + "["))):
            best, found = text, path
    if found is None or not removed:
        return problem
    return Problem(problem.file, problem.line, format_path(found) + problem.path[len(best):],
                   problem.message, problem.code)
