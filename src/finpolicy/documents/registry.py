"""Policy kinds: how each kind's spec is validated and compiled.

A kind is declared by its domain (``finpolicy.domains``); ``kinds()`` lists every kind of every
registered domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
from pydantic import BaseModel

from finpolicy.rules.model import RuleSet
from finpolicy.rules.precedence import Authoring
from finpolicy.rules.render import FactLabel
from finpolicy.rules.vocabulary import Vocabularies

if TYPE_CHECKING:
    from finpolicy.documents.models import Metadata
    from finpolicy.documents.yamlsource import Path, SourceDocument
    from finpolicy.errors import Problem
    from finpolicy.rules.parse import ConditionParser, FieldTypes

__all__ = ["BuildContext", "CompiledPolicy", "PolicyKind", "kinds"]


class CompiledPolicy(Protocol):
    """What a kind compiles a document into: its rule sets, plus whatever the domain needs."""

    @property
    def rulesets(self) -> Mapping[str, RuleSet]: ...


S = TypeVar("S", bound=BaseModel)
P = TypeVar("P", bound=CompiledPolicy, covariant=True)
_P = TypeVar("_P", bound=CompiledPolicy)


@attrs.frozen(slots=True)
class BuildContext:
    """Handed to a kind's ``build``: the parsed document and a way to report problems."""

    source: SourceDocument
    metadata: Metadata
    parser_factory: Callable[[FieldTypes | None], ConditionParser]
    problems: list[Problem]
    vocabulary: Vocabularies = attrs.field(factory=Vocabularies)

    def problem(self, path: Path, message: str, code: str) -> None:
        """Report a problem at ``spec.<path>``."""
        self.problems.append(self.source.problem(("spec", *path), message, code))

    def no_repeats(self, path: Path, values: Sequence[object], code: str = "duplicate_value",
                   ) -> bool:
        """Report each value of the list at ``spec.<path>`` that an earlier one repeats, at
        its place and by name; whether there was none."""
        seen: set[object] = set()
        for i, value in enumerate(values):
            if value in seen:
                self.problem((*path, i), f"`{value}` is listed twice in `{path[-1]}`", code)
            seen.add(value)
        return len(seen) == len(values)

    def parser(self, fields: FieldTypes | None = None) -> ConditionParser:
        """A condition parser over ``fields`` (the domain's fact vocabulary)."""
        return self.parser_factory(fields)

    def check_term(self, field: str, value: str, path: Path) -> None:
        """Report ``value`` when a declared vocabulary covers the fact ``field`` and does not
        hold it (a setting the domain compares with that fact, e.g. a product kind)."""
        vocabulary = self.vocabulary.for_field(field)
        if vocabulary is not None and value not in vocabulary.terms:
            self.problem(path, vocabulary.unknown(value), "unknown_term")

    def check_cite(self, cite: str, path: Path) -> None:
        """A cite names a declared source, then an article or section:
        ``nfra-2025-7 Art. 12``."""
        sources = self.metadata.source_ids()
        parts = cite.split(maxsplit=1)
        if not parts or parts[0] not in sources:
            self.problem(path, f"cite `{cite}` does not start with a source id of the metadata "
                               f"({', '.join(sorted(sources)) or 'none declared'})",
                         "unknown_source")
        elif len(parts) == 1:
            self.problem(path, f"cite `{cite}` names no article or section", "bare_cite")


@attrs.frozen(slots=True)
class PolicyKind(Generic[S, P]):
    """A kind of policy document.

    Attributes:
        name: the ``kind`` value, e.g. ``"SuitabilityPolicy"``.
        spec_model: pydantic model of ``spec``.
        build: compiles a validated spec into the domain's policy object (reporting problems
            through the context, never raising for bad policy content).
        summary: one line for docs.
        fields: the facts the kind's main rule set reads (dotted path → ``text``, ``number``,
            ``boolean`` or ``list``), for docs and authoring tools.
        combining: how the matching rules combine into a decision, in one sentence.
        labels: how each fact reads in rule text (``finpolicy.rules.render.FactLabel``), for
            every fact of every rule set and every ``decision.*`` fact its invariants read.
        authoring: how rules compete and which values facts take, for ``finpolicy lint``
            (``None``: lint checks only that each rule can fire).
    """

    name: str
    spec_model: type[S]
    build: Callable[[S, BuildContext], P]
    summary: str = ""
    fields: Mapping[str, str] = attrs.field(factory=dict)
    combining: str = ""
    labels: Mapping[str, FactLabel] = attrs.field(factory=dict)
    authoring: Authoring | None = None

    def compile(self, spec: BaseModel, context: BuildContext) -> P:
        """Build ``spec`` (validated with ``spec_model``)."""
        if not isinstance(spec, self.spec_model):
            raise TypeError(f"{self.name} expects a {self.spec_model.__name__}")
        policy = self.build(spec, context)
        # invariants the build dropped would read "no invariants declared" in every tool
        if getattr(spec, "invariants", None) and \
                not isinstance(getattr(policy, "invariants", None), tuple):
            context.problem(("invariants",), f"policy kind `{self.name}` does not compile "
                            "invariants (its build returns no `invariants` tuple, see "
                            "parse_invariants), so these would never be checked",
                            "invariants_ignored")
        elif getattr(spec, "invariants", None):
            compiled: Any = policy  # (a domain's own class: its invariants are checked above)
            _check_decision_facts(self.name, spec, compiled.invariants, context)
        return policy


def _check_decision_facts(kind: str, spec: Any, invariants: tuple[Any, ...],
                          context: BuildContext) -> None:
    """An invariant reading a ``decision.*`` fact the kind's invariant adapter does not give
    (``InvariantAdapter.decision_fields``, with ``extra``) would be reported violated on every
    input, with a counter-example that is none."""
    from finpolicy.domains.registry import domains
    from finpolicy.rules.conditions import paths
    from finpolicy.rules.invariants import DECISION_FIELDS

    found = next(((d.name, d.invariants[kind]) for d in domains() if kind in d.invariants),
                 None)
    if found is None:
        return
    owner, adapter = found
    provided = {*DECISION_FIELDS, *(adapter.decision_fields if adapter.extra else ())}
    where = {item.name: i for i, item in enumerate(spec.invariants)}
    for invariant in invariants:
        for path in sorted(paths(invariant.given) | paths(invariant.expect)):
            name = ".".join(path)
            if path[0] == "decision" and name not in provided:
                context.problem(("invariants", where.get(invariant.name, 0)),
                                f"invariant `{invariant.name}` reads `{name}`, which domain "
                                f"`{owner}` does not give its invariants (the invariant "
                                f"adapter of `{kind}` names it in no `decision_fields` "
                                "with an `extra` giving it), so it could never be judged",
                                "invariant_fact_unprovided")


def kinds() -> Mapping[str, PolicyKind[Any, Any]]:
    """Every kind of every registered domain, by name."""
    from finpolicy.domains.registry import domains

    return {kind.name: kind for domain in domains() for kind in domain.kinds}
