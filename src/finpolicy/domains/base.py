"""``Domain``: everything the rest of finpolicy asks of one domain, in one object.

A domain lives in one folder (a package) and declares one ``Domain`` object, registered under
the ``finpolicy.domains`` entry point group (``finpolicy.domains.registry``). The engine, the
CLI, the testing tools, ``diff`` and the docs iterate over registered domains and never name
one, so a new domain is one folder plus a pack.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs
from pydantic import BaseModel, ConfigDict

from finpolicy.decisions import Decision
from finpolicy.documents.registry import PolicyKind
from finpolicy.errorcodes import Kind
from finpolicy.errors import FinpolicyError, Problem
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from finpolicy.documents.bundle import Bundle, PolicyDocument

__all__ = ["Call", "Case", "ChangePicture", "Domain", "DomainError", "EvaluateInput",
           "InvariantAdapter", "LoggedCall", "Picture", "When"]

When = dt.date | dt.datetime
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
Case = dict[str, Any]


class EvaluateInput(Protocol):
    """``(runtime, data, as_of=...) → decisions``: a domain's inputs in mapping form."""

    def __call__(self, runtime: Runtime, data: Any, /, *,
                 as_of: When | None = None) -> Sequence[Decision]: ...


@attrs.frozen(slots=True, kw_only=True)
class InvariantAdapter:
    """How ``check_invariants`` draws inputs for one kind and evaluates them.

    Attributes:
        cases: ``(bundle, document) → strategy`` of input cases (mappings).
        evaluate: ``(runtime, case) → decision``.
        on: the evaluation date of a case (picks the version in force).
        extra: more ``decision.*`` facts invariants of the kind may read, from the decision
            and its case (the kind's ``decision_fields`` names them).
        decision_fields: the ``decision.*`` facts ``extra`` provides, with their types.
    """

    cases: Callable[[Bundle, PolicyDocument[Any]], SearchStrategy[Case]]
    evaluate: Callable[[Runtime, Case], Decision]
    on: Callable[[Case], dt.date]
    extra: Callable[[Any, Case], dict[str, Any]] | None = None
    decision_fields: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(slots=True)
class Picture:
    """A picture of a policy document for the docs: an HTML table or inline SVG."""

    name: str
    title: str
    render: Callable[[Runtime, PolicyDocument[Any]], str]


@attrs.frozen(slots=True)
class ChangePicture:
    """A picture of the decisions that differ between two versions of a policy."""

    title: str
    render: Callable[[Runtime, PolicyDocument[Any], PolicyDocument[Any]], str]


class DomainError(FinpolicyError, RuntimeError):
    """A registered domain cannot be loaded or is incomplete."""


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _one(result: Any) -> list[Any]:
    return [result]


def _no_levels(inputs: Mapping[str, Any], result: Any) -> tuple[str, ...]:
    return ()


def field_of(value: Any, name: str) -> Any:
    """``name`` of a model or of its mapping form (a logged call's input, either way)."""
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name)


@attrs.frozen(slots=True)
class LoggedCall:
    """How the decision log keeps the calls of one engine method: ``data(inputs, result)`` is
    the call in the form the domain's ``evaluate_input`` takes (so replay and change impact
    judge a logged call as they judge a written example), and ``decisions(result)`` the
    decisions that form returns.

    ``vocabulary`` names the places in that form (keys joined by dots, a list's items under
    the list's own place, ``*`` for any key) whose text the domain refuses unless it is one of
    a closed list, the schema's or the policy's (an action, a complaint channel, a risk
    level), or that hold the call's evaluation time (which the entry records in clear as its
    ``as_of`` anyway): such text cannot hold customer data, so the log shows it as it is
    unless a rule of the classification policy speaks of it, and policy text that uses the
    same words is not masked where they occur.

    ``levels(inputs, result)`` names the data levels the call is about (the level of the
    data an access request would reach): the entry is kept for the longest audit-log
    retention among them and the levels of the values the log masked."""

    data: Callable[[Mapping[str, Any], Any], Any]
    decisions: Callable[[Any], list[Any]] = _one
    vocabulary: frozenset[str] = frozenset()
    levels: Callable[[Mapping[str, Any], Any], Iterable[str]] = _no_levels


class Call(BaseModel):
    """The JSON form of one call of an operation: its arguments by name (the runtime left
    out). ``finpolicy serve`` takes it as a request body and documents it in its OpenAPI."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def arguments(self) -> dict[str, Any]:
        """The arguments the caller gave (absent ones take the operation's own defaults)."""
        return {name: getattr(self, name) for name in type(self).model_fields
                if name in self.model_fields_set}


@attrs.frozen(kw_only=True)
class Domain:
    """One domain, as the rest of finpolicy sees it.

    Attributes:
        name: the domain's name (``finpolicy eval NAME``, ``domain:`` of case files).
        title: a human title.
        package: the package that declares it (``__name__`` of its folder).
        order: where it is listed among domains (lower first).
        kinds: the policy kinds it declares.
        evaluate_input: ``(runtime, mapping, as_of) → decisions``: the mapping form of its
            inputs, used by ``finpolicy eval``, the demo, policy test cases, ``diff`` and replay.
        time: whether ``as_of`` is a ``date`` or an aware ``datetime`` for this domain (how
            the CLI parses ``--as-of``).
        operations: engine methods it adds (``name → function(runtime, ...)``); reachable as
            ``engine.<name>(...)``.
        exports: public names re-exported as ``finpolicy.<name>``.
        deprecated: old public names → their new names (they warn when used).
        input_models: its input models (their ``Literal`` values feed ``diff``).
        grid: input fields whose values span a finite grid (``diff`` evaluates every cell).
        invariants: one adapter per kind (required: a kind whose invariants cannot be checked
            is an error when the domain loads).
        pictures: per kind, the pictures the docs draw of a document.
        changes: per kind, the picture of decisions that differ between two versions.
        strategies: module with its hypothesis strategies (``STRATEGIES``: names exposed by
            ``finpolicy.testing.strategies``; ``TYPE_STRATEGIES``: type → strategy factory).
        cli: module with its CLI commands (``COMMANDS``).
        error_codes: the error codes it raises (code → summary), by kind of code.
        explain: module with its explainer (``EXPLAINER``, a ``finpolicy.explain.Explainer``):
            how its decisions are explained and which input changes it may suggest; ``None``
            when it explains nothing beyond ``Decision.explain()``.
        logged: the operations a decision log records, each with how it is kept; the others
            (pictures, reports over decisions already logged) are not logged.
        unlogged: operations returning decisions that a decision log leaves out on purpose
            (an operation annotated to return a ``Decision``, or a list of them, must be in
            ``logged`` or here: forgetting its ``LoggedCall`` is an error, not a silent gap in
            the log).
        calls: the JSON form of each operation's call (a ``Call`` model), for remote callers
            (``finpolicy serve``); an operation without one is not served (one that reads the
            server's own files, for example).
        pack_checks: checks across the policies of a pack (``documents → problems``), run
            by ``finpolicy validate`` (``finpolicy.validation.validate_pack``): how this
            domain's policies must agree with other domains' policies in force at the same
            time.
        outcomes: the outcomes its decisions have besides those its rules' effects name
            (an outcome no rule gives: a default, a level); ``diff --fail-on`` refuses an
            outcome no domain declares and no rule of the packs gives.
        refusals: the outcomes that refuse what was asked (``finpolicy eval`` exits 1 on
            one): a denied request, an unsuitable sale, a plug-in's ``block``.
    """

    name: str
    title: str
    package: str
    order: int = 100
    kinds: tuple[PolicyKind[Any, Any], ...]
    evaluate_input: EvaluateInput
    time: Literal["date", "datetime"] = "date"
    operations: Mapping[str, Callable[..., Any]] = attrs.field(factory=dict, converter=_frozen)
    exports: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    deprecated: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    input_models: tuple[type[BaseModel], ...] = ()
    grid: tuple[tuple[str, ...], ...] = ()
    invariants: Mapping[str, InvariantAdapter] = attrs.field(factory=dict, converter=_frozen)
    pictures: Mapping[str, tuple[Picture, ...]] = attrs.field(factory=dict, converter=_frozen)
    changes: Mapping[str, ChangePicture] = attrs.field(factory=dict, converter=_frozen)
    strategies: str | None = None
    cli: str | None = None
    error_codes: Mapping[Kind, Mapping[str, str]] = attrs.field(factory=dict,
                                                                 converter=_frozen)
    explain: str | None = None
    logged: Mapping[str, LoggedCall] = attrs.field(factory=dict, converter=_frozen)
    unlogged: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    calls: Mapping[str, type[Call]] = attrs.field(factory=dict, converter=_frozen)
    pack_checks: tuple[Callable[[Sequence[Any]], Iterable[Problem]], ...] = ()
    outcomes: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ("deny", "unsuitable")

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when it is complete)."""
        out = _shape_problems(self)
        out += [f"logs `{name}`, which is not one of its operations"
               for name in sorted(set(self.logged) - set(self.operations))]
        out += [f"gives a call model for `{name}`, which is not one of its operations"
                for name in sorted(set(self.calls) - set(self.operations))]
        out += [f"leaves `{name}` unlogged, which is not one of its operations"
                for name in sorted(self.unlogged - set(self.operations))]
        out += [f"operation `{name}` returns decisions, but no LoggedCall in `logged` keeps "
                "them: an engine with a decision log would decide it unlogged (name it in "
                "`unlogged` if that is meant)" for name, function in self.operations.items()
                if name not in self.logged and name not in self.unlogged and _decides(function)]
        kind_names = {k.name for k in self.kinds}
        if not self.kinds:
            out.append("declares no policy kind")
        for kind in sorted(kind_names - set(self.invariants)):
            out.append(f"kind `{kind}` has no invariant adapter")
        for kind, adapter in sorted(self.invariants.items()):
            if isinstance(adapter, InvariantAdapter) and adapter.decision_fields and \
                    adapter.extra is None:
                out.append(f"the invariant adapter of `{kind}` names decision_fields "
                           f"({', '.join(sorted(adapter.decision_fields))}) but no `extra` "
                           "giving them")
        for key in sorted((set(self.invariants) | set(self.pictures) | set(self.changes))
                          - kind_names):
            out.append(f"`{key}` is not one of its kinds")
        fields = _field_names(self.input_models)
        for axis in self.grid:
            if not axis or axis[-1] not in fields:
                out.append(f"grid axis `{'.'.join(axis)}` is no field of its input models "
                           f"({', '.join(sorted(fields)) or 'none declared'}), so `diff` "
                           "would never vary it")
        for name in self.deprecated.values():
            if name not in self.exports:
                out.append(f"deprecated name points at `{name}`, which it does not export")
        return out

    def strategies_module(self) -> ModuleType | None:
        """The module of its hypothesis strategies (imports hypothesis).

        Raises:
            DomainError: the module lists no strategies, names one it does not define, maps
                no type to a function, or names a strategy finpolicy's or another domain's
                has (``finpolicy.testing.strategies.<name>`` would silently be the other).
        """
        if self.strategies is None:
            return None
        module = self._module("strategies", self.strategies)
        names = _strategy_names(self, module)
        # testing sits above the domains (and imports hypothesis, whose start-up hook asks
        # for this module while finpolicy.testing.strategies is still being imported)
        shared = getattr(importlib.import_module("finpolicy.testing.strategies"), "__all__", ())
        others = {n: d.name for d in _registered() if d.name != self.name and d.strategies
                  for n in _strategy_names(d, d._module("strategies", d.strategies))}
        for name in names:
            owner = "finpolicy" if name in shared else others.get(name)
            if owner is not None:
                raise DomainError(f"domain `{self.name}`: its strategy `{name}` has the name "
                                  f"of {owner}'s, so finpolicy.testing.strategies.{name} "
                                  "could never be it; name it otherwise")
        return module

    def explainer_module(self) -> ModuleType | None:
        """The module of its explainer (``EXPLAINER``), ``None`` when it declares none."""
        return None if self.explain is None else self._module("explain", self.explain)

    def commands(self) -> list[Any]:
        """Its CLI commands (``click`` commands).

        Raises:
            DomainError: an entry of ``COMMANDS`` is no named click command, or a command has
                the name of one of finpolicy's own commands or of another domain's: the
                command line would silently run one of the two (``finpolicy validate`` the
                plug-in's).
        """
        found = self._own_commands()
        others = {c.name: d.name for d in _registered() if d.name != self.name
                  for c in d._own_commands()}
        builtin = _builtin_commands()
        for command in found:
            owner = others.get(command.name)
            if owner is not None:
                raise DomainError(f"domain `{self.name}`: its command `{command.name}` has the "
                                  f"name of domain `{owner}`'s command; name it otherwise")
            if command.name in builtin:
                raise DomainError(f"domain `{self.name}`: its command `{command.name}` has the "
                                  f"name of finpolicy's own `{command.name}` command, which "
                                  "it would replace; name it otherwise")
        return found

    def _own_commands(self) -> list[Any]:
        """``COMMANDS`` of its CLI module, each checked to be a named click command."""
        if self.cli is None:
            return []
        import click

        found = list(getattr(self._module("cli", self.cli), "COMMANDS", ()))
        for i, command in enumerate(found):
            if not isinstance(command, click.Command) or not command.name:
                raise DomainError(f"domain `{self.name}`: `{self.cli}.COMMANDS[{i}]` is a "
                                  f"`{type(command).__name__}`, expected a click command "
                                  "with a name")
        return found

    def _module(self, part: str, name: str) -> ModuleType:
        try:
            return importlib.import_module(name)
        except Exception as exc:  # a plug-in's broken module must name its domain
            raise DomainError(f"domain `{self.name}`: its {part} module `{name}` cannot be "
                              f"imported: {type(exc).__name__}: {exc}") from exc

    def kind(self, name: str) -> PolicyKind[Any, Any]:
        """One of its kinds by name."""
        for kind in self.kinds:
            if kind.name == name:
                return kind
        raise KeyError(name)


def _strategy_names(domain: Domain, module: ModuleType) -> tuple[str, ...]:
    """``STRATEGIES`` of ``domain``'s strategies module, checked with its ``TYPE_STRATEGIES``."""
    where = f"domain `{domain.name}`: its strategies module `{module.__name__}`"
    names = getattr(module, "STRATEGIES", ())
    types = getattr(module, "TYPE_STRATEGIES", {})
    if not isinstance(names, tuple | list) or not all(isinstance(n, str) for n in names):
        raise DomainError(f"{where} gives STRATEGIES as `{names!r}`, expected a tuple of the "
                          "names of its strategy functions")
    if not isinstance(types, Mapping) or not all(
            isinstance(t, type) and callable(f) for t, f in types.items()):
        raise DomainError(f"{where} gives TYPE_STRATEGIES as `{types!r}`, expected a mapping "
                          "of input types to strategy functions")
    missing = [n for n in names if not callable(getattr(module, n, None))]
    if missing:
        raise DomainError(f"{where} lists {', '.join(missing)} in STRATEGIES but defines no "
                          "such function")
    return tuple(names)


def _call_problems(domain: Domain) -> list[str]:
    """A call model must give its operation's arguments by their names: a field the function
    does not take, or an argument it needs that no field gives, would refuse every request
    to ``finpolicy serve`` as the caller's mistake."""
    out: list[str] = []
    for name, model in domain.calls.items():
        function = domain.operations.get(name)
        if not (isinstance(model, type) and issubclass(model, Call)) or not callable(function):
            continue  # reported as such
        try:
            parameters = list(inspect.signature(function).parameters.values())[1:]
        except (TypeError, ValueError):  # a callable without a signature: nothing to check
            continue
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            continue
        takes = [p.name for p in parameters if p.kind is not p.VAR_POSITIONAL]
        for field in sorted(set(model.model_fields) - set(takes)):
            out.append(f"call model `{name}` has field `{field}`, which `{name}` does not "
                       f"take (it takes {', '.join(takes) or 'nothing'})")
        for p in parameters:
            if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) \
                    and p.name not in model.model_fields:
                out.append(f"call model `{name}` gives no field `{p.name}`, which `{name}` "
                           "needs")
    return out


def _builtin_commands() -> frozenset[str]:
    """The names of finpolicy's own commands (those of ``finpolicy.cli``, not a domain's)."""
    from finpolicy.cli import main  # the command line sits above the domains

    from_domains = {id(c) for d in _registered() for c in d._own_commands()}
    return frozenset(name for name, command in main.commands.items()
                     if id(command) not in from_domains)


def _registered() -> tuple[Domain, ...]:
    from finpolicy.domains.registry import domains  # the registry sits above this module

    return domains()


def _field_names(models: Iterable[Any]) -> set[str]:
    """The field names of ``models`` and of the models their fields hold (``list[Item]``)."""
    seen: set[type] = set()
    names: set[str] = set()
    todo = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            names.add(name)
            todo += [t for t in _types_in(field.annotation)
                     if isinstance(t, type) and issubclass(t, BaseModel)]
    return names


def _decides(function: Any) -> bool:
    """Whether ``function`` is annotated to return decisions (one, or a collection)."""
    try:
        hint = typing.get_type_hints(function).get("return")
    except Exception:  # an annotation that does not resolve here: nothing to go by
        return False
    return any(isinstance(t, type) and issubclass(t, Decision) for t in _types_in(hint))


def _types_in(annotation: Any) -> list[Any]:
    found = [annotation]
    for arg in typing.get_args(annotation):
        found += _types_in(arg)
    return found


def _findable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # its parent package is missing, or a bad name
        return False


def _typed(what: str, values: Mapping[str, Any], expected: type, label: str) -> list[str]:
    return [f"{what} `{key}` is a `{type(value).__name__}`, expected a {label}"
            for key, value in values.items() if not isinstance(value, expected)]


def _shape_problems(domain: Domain) -> list[str]:
    """What attrs does not check: each part is of the type the rest of finpolicy calls,
    and every module it names can be found (a typo must not surface as a traceback of
    whichever tool first imports it: the CLI, ``import hypothesis``, the docs)."""
    out: list[str] = []
    if not isinstance(domain.name, str) or not _NAME.fullmatch(domain.name):
        out.append(f"name `{domain.name}` is not a word of letters, digits, `_` and `-` "
                   "starting with a letter (it is part of URLs, commands and case files)")
    out += [f"kind name `{k.name}` is not a Python name (it names files and schemas)"
            for k in domain.kinds if isinstance(k, PolicyKind) and not k.name.isidentifier()]
    if domain.time not in ("date", "datetime"):
        out.append(f"time is `{domain.time}`, expected `date` or `datetime`")
    if not callable(domain.evaluate_input):
        out.append("evaluate_input is not callable")
    if not isinstance(domain.refusals, tuple) or not all(
            isinstance(r, str) for r in domain.refusals):  # ("block") is one text, not a tuple
        out.append(f"refusals is `{domain.refusals!r}`, expected a tuple of outcomes")
    out += [f"kind #{i} is a `{type(k).__name__}`, expected a PolicyKind"
            for i, k in enumerate(domain.kinds) if not isinstance(k, PolicyKind)]
    for name, function in domain.operations.items():
        if not name.isidentifier() or name.startswith("_"):
            out.append(f"operation `{name}` is not a public Python name")
        if not callable(function):
            out.append(f"operation `{name}` is not callable (a `{type(function).__name__}`)")
    out += _typed("invariant adapter", domain.invariants, InvariantAdapter, "InvariantAdapter")
    out += _typed("logged call", domain.logged, LoggedCall, "LoggedCall")
    out += [f"call model `{key}` is not a subclass of finpolicy.domains.base.Call"
            for key, model in domain.calls.items()
            if not (isinstance(model, type) and issubclass(model, Call))]
    out += _call_problems(domain)
    modules = {"package": domain.package, "strategies": domain.strategies,
               "cli": domain.cli, "explain": domain.explain}
    out += [f"{part} module `{name}` cannot be found" for part, name in modules.items()
            if name is not None and not _findable(name)]
    return out
