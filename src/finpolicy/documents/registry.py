"""The registry of policy kinds. Each domain registers how to validate and compile its spec."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs
from pydantic import BaseModel

from finpolicy.rules.model import RuleSet


class CompiledPolicy(Protocol):
    """What a kind compiles a document into: its rule sets, plus whatever the domain needs."""

    @property
    def rulesets(self) -> Mapping[str, RuleSet]: ...


@attrs.frozen(slots=True)
class BuildContext:
    """Handed to a kind's ``build``: the parsed document and a way to report problems."""

    source: Any  # SourceDocument
    metadata: Any  # Metadata
    parser_factory: Callable[..., Any]  # (fields) -> ConditionParser
    problems: list[Any]

    def problem(self, path: tuple[str | int, ...], message: str, code: str) -> None:
        self.problems.append(self.source.problem(("spec", *path), message, code))


@attrs.frozen(slots=True)
class PolicyKind:
    """A kind of policy document.

    Attributes:
        name: the ``kind`` value, e.g. ``"SuitabilityPolicy"``.
        spec_model: pydantic model of ``spec``.
        build: compiles a validated spec into the domain's policy object (reporting problems
            through the context, never raising for bad policy content).
        summary: one line for docs.
    """

    name: str
    spec_model: type[BaseModel]
    build: Callable[[BaseModel, BuildContext], CompiledPolicy]
    summary: str = ""


_KINDS: dict[str, PolicyKind] = {}
_LOADED = False


def register_kind(kind: PolicyKind) -> None:
    """Add a policy kind (domains call this at import)."""
    _KINDS[kind.name] = kind


def kinds() -> Mapping[str, PolicyKind]:
    """Every registered kind, importing the built-in domains on first use."""
    global _LOADED
    if not _LOADED:
        _LOADED = True
        import importlib

        for module in ("classification", "access", "suitability", "complaints"):
            try:
                importlib.import_module(f"finpolicy.domains.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"finpolicy.domains.{module}":
                    raise
    return dict(_KINDS)
