"""The engine core: compile a bundle once, then evaluate many inputs with one engine.

``EngineCore`` knows no domain: it compiles every rule set of the bundle for the chosen engine
into a ``BundleRuntime`` and hands that runtime to the domains' functions. ``PolicyEngine``
(``finpolicy.facade``) adds the typed methods people call; a plug-in domain's methods are
reachable as ``engine.<method>(...)`` through its ``Domain.operations``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

import attrs

from finpolicy.decisions import PolicyRef
from finpolicy.documents.bundle import Bundle, PolicyDocument, load_bundle
from finpolicy.engines import ENGINES
from finpolicy.errors import InputError
from finpolicy.inputs import evaluation_date
from finpolicy.rules.model import Rule
from finpolicy.runtime import PINNED as _PINNED
from finpolicy.runtime import BundleRuntime, EngineAPI, Observer, Runtime, StateKey

if TYPE_CHECKING:
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind
    from finpolicy.explain.model import Explanation

__all__ = ["Answer", "EngineCore"]

Params = ParamSpec("Params")
R = TypeVar("R")
T = TypeVar("T")
P = TypeVar("P", bound="CompiledPolicy")

if TYPE_CHECKING:
    from finpolicy.audit.log import DecisionLog


@attrs.frozen(slots=True)
class Answer:
    """What ``EngineCore.call`` returns: the operation's result and the bundle that took it."""

    result: Any
    bundle: Bundle


class EngineCore(EngineAPI):
    """Compiles a bundle for one engine and runs domain functions on it.

    Args:
        bundle: a loaded ``Bundle``; ``None`` loads the shipped default pack.
        engine: ``"compiled"`` (generated Python, the default) or ``"durable"``
            (durable_rules rulesets). Both give identical decisions.
        log: a ``finpolicy.audit.DecisionLog`` that records every decision (inputs masked,
            see the "Audit and replay" docs); ``None`` logs nothing.

    Compiling happens here, once; evaluation methods are safe to call from many threads.
    ``swap`` replaces the bundle atomically.
    """

    def __init__(self, bundle: Bundle | None = None, *, engine: str = "compiled",
                 log: DecisionLog | None = None) -> None:
        if engine not in ENGINES:
            raise InputError.one("engine", f"unknown engine `{engine}`, expected one of "
                                           f"{', '.join(ENGINES)}", "unknown_engine", engine)
        self.engine_name = engine
        """``"compiled"`` or ``"durable"``."""
        self._observers: list[Observer] = []
        self._runtime = BundleRuntime(self._checked(bundle), engine, self._observers)
        self._swap_lock = threading.Lock()
        self._log: DecisionLog | None = None
        self._hot: BundleRuntime | None = None
        self.log = log

    @staticmethod
    def _checked(bundle: Bundle | None) -> Bundle:
        if bundle is None:
            return load_bundle()
        if not isinstance(bundle, Bundle):
            raise InputError.one("bundle", "expected a Bundle from fp.load_bundle(), got "
                                           f"{type(bundle).__name__}", "bad_bundle")
        return bundle

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError(
            f"a {type(self).__name__} does not pickle (it holds compiled rules, caches and "
            "perhaps a decision log): give each worker process its own, made in the pool's "
            "initializer (a Bundle pickles); see 'Process pools' in the batch guide")

    def __repr__(self) -> str:
        bundle = self.bundle
        return (f"{type(self).__name__}(bundle={bundle.name!r} {bundle.version}, "
                f"engine={self.engine_name!r})")

    @property
    def log(self) -> DecisionLog | None:
        """The decision log every decision is recorded in, or ``None``."""
        return self._log

    @log.setter
    def log(self, value: DecisionLog | None) -> None:
        with self._swap_lock:
            self._log = value
            self._settle()

    def _settle(self) -> None:
        """Keep ``_hot`` (under the swap lock): the current runtime while there is no log to
        record in and no observer to see rule-set runs, else ``None``. Typed methods decide
        on it straight away (the hot path) unless ``call`` pinned a runtime."""
        self._hot = self._runtime if self._log is None and not self._observers else None

    # --- the runtime ------------------------------------------------------------------------

    @property
    def bundle(self) -> Bundle:
        """The bundle decisions are taken on now."""
        return self._runtime.bundle

    @property
    def runtime(self) -> BundleRuntime:
        """The current bundle compiled for this engine (what domains evaluate with)."""
        return self._runtime

    @overload
    def policy(self, kind: PolicyKind[Any, P], on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[P]: ...

    @overload
    def policy(self, kind: str, on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[Any]: ...

    def policy(self, kind: PolicyKind[Any, Any] | str, on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[Any]:
        """The document of ``kind`` (a kind or its name) in force on ``on``: a date, its ISO
        text or an aware datetime (its own date), as an evaluation's ``as_of`` (``None``:
        today).

        Raises:
            InputError: ``kind`` is no kind or name, or ``on`` no date (a naive datetime).
            NotInForceError: no document of ``kind`` is in force on ``on``.
        """
        if not isinstance(kind, str) and not hasattr(kind, "name"):
            raise InputError.one("kind", "expected a policy kind or its name "
                                         f"(`SuitabilityPolicy`), got {type(kind).__name__}",
                                 "bad_input")
        day = on if type(on) is dt.date else evaluation_date(on, field="on")
        return self._runtime.policy(kind, day, policy_id)

    def run(self, doc: PolicyDocument[Any], ruleset: str,
            fact: Mapping[str, Any]) -> Sequence[Rule]:
        """The rules of ``doc``'s rule set ``ruleset`` whose conditions hold for ``fact``.

        Raises:
            InputError: ``doc`` is no document of this engine's bundle (one swapped out),
                has no rule set ``ruleset``, or ``fact`` is no mapping.
        """
        if not isinstance(fact, Mapping):
            raise InputError.one("fact", "expected a mapping of fact names to values, got "
                                         f"{type(fact).__name__}", "bad_input")
        return self._runtime.run(doc, ruleset, fact)

    def ref(self, doc: PolicyDocument[Any]) -> PolicyRef:
        """The policy reference decisions by ``doc`` carry.

        Raises:
            InputError: ``doc`` is no document of this engine's bundle.
        """
        return self._runtime.ref(doc)

    def state(self, key: StateKey[T]) -> T:
        """Per-engine state slot ``key`` (see ``finpolicy.runtime.StateKey``)."""
        return self._runtime.state(key)

    # --- lifecycle ---------------------------------------------------------------------------

    def swap(self, bundle: Bundle) -> Bundle:
        """Compile ``bundle`` completely, then make it the one decisions are taken on.

        The swap is atomic: a decision already running finishes on the bundle it started
        with, and every decision names the bundle that took it. Returns the bundle replaced
        (swap it back to roll back). Raises like the constructor, leaving the engine as it was;
        ``None`` is refused (the constructor's default pack is never swapped in by mistake).
        """
        if bundle is None:
            raise InputError.one("bundle", "expected a Bundle from fp.load_bundle(), got "
                                           "None", "bad_bundle")
        fresh = BundleRuntime(self._checked(bundle), self.engine_name, self._observers)
        with self._swap_lock:
            previous, self._runtime = self._runtime, fresh
            self._settle()
        return previous.bundle

    def reload(self, path: str | Path | None = None, *,
               trusted_keys: Iterable[Any] | None = None,
               expect_digest: str | None = None) -> Bundle | None:
        """Load the bundle at ``path`` (the current bundle's folder by default) again and swap
        to it when its content changed.

        The new bundle is loaded, validated (its signature verified when ``trusted_keys`` are
        given) and compiled completely before the one atomic swap; when anything fails the
        engine keeps the bundle it has and the error is raised. Returns the bundle replaced,
        or ``None`` when the content is unchanged (same digest).

        Raises:
            PolicyError: the bundle is invalid, unsigned or signed by no trusted key.
            InputError: ``path`` is ``git:REV:PATH`` that git cannot extract (no such
                revision, no such folder at it, or no git repository here).
        """
        fresh = load_bundle(self.bundle.root if path is None else path,
                            trusted_keys=trusted_keys, expect_digest=expect_digest)
        if fresh.digest == self.bundle.digest:
            return None
        return self.swap(fresh)

    @contextlib.contextmanager
    def observe(self, observer: Observer) -> Iterator[None]:
        """Call ``observer(doc, ruleset, fact, matched)`` after every rule-set run inside the
        block (rule coverage and invariant checks use this)."""
        with self._swap_lock:
            self._observers.append(observer)
            self._settle()
        try:
            yield
        finally:
            with self._swap_lock:
                self._observers.remove(observer)
                self._settle()

    # --- explanations --------------------------------------------------------------------------

    def explain(self, method: str, /, *args: Any, limit: int = 5,
                **kwargs: Any) -> Explanation:
        """Explain ``self.<method>(*args, **kwargs)``: the same decision with its clause
        traces, why it is not better, and verified changes that would make it better (see
        ``finpolicy.explain``). The decision is taken again, off the normal path.

        Raises:
            InputError: no domain explains ``method``, or the input is invalid.
        """
        from finpolicy.explain import explain_call

        return explain_call(self, method, *args, limit=limit, **kwargs)

    # --- calling domains ---------------------------------------------------------------------

    def call(self, method: str, arguments: Mapping[str, Any], /, *,
             on: BundleRuntime | None = None) -> Answer:
        """Call the engine method ``method`` (an operation of a registered domain) with
        ``arguments`` by name, as remote callers reach every operation: through the typed
        method where there is one (so the engine's own settings, such as its role directory,
        apply) and logged like any call.

        Args:
            method: an operation name (``"authorize"``, ``"check_suitability"``...).
            arguments: its arguments by name.
            on: the runtime to decide on (``engine.runtime`` taken once, so that a batch is
                decided on one bundle); the current one by default.

        Raises:
            InputError: ``method`` is no domain's operation, or an argument is missing or
                invalid.
        """
        from finpolicy.domains.registry import domains

        function = next((d.operations[method] for d in domains() if method in d.operations),
                        None)
        if function is None:
            raise InputError.one("method", f"unknown operation `{method}`",
                                 "unknown_operation", method)
        if hasattr(type(self), method):  # the typed method
            bound = getattr(self, method)
            signature = inspect.signature(bound)
        else:  # a plug-in's operation: its function's parameters after the runtime
            bound = functools.partial(self._invoke, function)
            parameters = list(_signature(function).parameters.values())[1:]
            signature = inspect.Signature(parameters)
        args, kwargs = _split(method, signature, arguments)
        runtime = self._runtime if on is None else on
        token = _PINNED.set((self, runtime))
        try:
            return Answer(bound(*args, **kwargs), runtime.bundle)
        finally:
            _PINNED.reset(token)

    def _direct(self) -> BundleRuntime | None:
        """The runtime a typed method may call its domain function on directly, when there is
        nothing for ``_invoke`` to do (no decision log, no runtime pinned by ``call``)."""
        if self._log is not None:
            return None
        pinned = _PINNED.get()
        return self._runtime if pinned is None or pinned[0] is not self else None

    def _invoke(self, function: Callable[Concatenate[Runtime, Params], R], /,
                *args: Params.args, **kwargs: Params.kwargs) -> R:
        """Run a domain function on the current runtime (one snapshot per decision, or the
        one ``call`` pinned); with a decision log, record the call — the one place the engine
        meets the log. A built-in operation's function bears the operation's name."""
        return self._invoke_as(function.__name__, function, *args, **kwargs)

    def _invoke_as(self, name: str, function: Callable[..., R], /, *args: Any,
                   **kwargs: Any) -> R:
        """``_invoke`` of the operation ``name`` (the decision log knows calls by it)."""
        pinned = _PINNED.get()
        runtime = pinned[1] if pinned is not None and pinned[0] is self else self._runtime
        log = self._log
        if log is None or not getattr(log, "records", _every)(name):
            return function(runtime, *args, **kwargs)
        # read an iterator of inputs once: evaluated, then logged
        values = tuple(list(a) if isinstance(a, Iterator) else a for a in args)
        result = function(runtime, *values, **kwargs)
        log.record(runtime, name, _arguments(function, values, kwargs), result)
        return result

    if not TYPE_CHECKING:  # a type checker would take every misspelt method for this one
        def __getattr__(self, name: str) -> Callable[..., Any]:
            # methods of plug-in domains (the built-in ones are typed mixins)
            if name.startswith("_"):
                raise AttributeError(name)
            from finpolicy.domains.registry import domains

            for domain in domains():
                function = domain.operations.get(name)
                if function is not None:  # (its function may bear another name)
                    return functools.partial(self._invoke_as, name, function)
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}")


def _every(method: str) -> bool:
    return True


def _split(method: str, signature: inspect.Signature, arguments: Mapping[str, Any]
           ) -> tuple[list[Any], dict[str, Any]]:
    """``arguments`` by name as a call of ``signature``: positional-only ones in order."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            if name in arguments:
                args.append(arguments[name])
            elif parameter.default is inspect.Parameter.empty:
                raise InputError.one(name, f"`{method}` needs `{name}`", "missing")
            else:
                break  # later positional ones cannot be given without this one
        elif name in arguments:
            kwargs[name] = arguments[name]
    unknown = sorted(set(arguments) - set(signature.parameters))
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()):
        kwargs |= {name: arguments[name] for name in unknown}
    elif unknown:
        raise InputError.one(unknown[0], f"`{method}` takes no argument `{unknown[0]}`",
                             "unknown_key")
    return args, kwargs


@functools.lru_cache(maxsize=256)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


_PLAIN_KINDS = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                inspect.Parameter.KEYWORD_ONLY)


@functools.lru_cache(maxsize=256)
def _parameter_names(function: Callable[..., Any]) -> tuple[str, ...] | None:
    """The names of ``function``'s parameters after the runtime, in order; ``None`` when it
    takes ``*args`` or ``**kwargs`` (then only ``Signature.bind`` names them right)."""
    parameters = list(_signature(function).parameters.values())[1:]
    if any(p.kind not in _PLAIN_KINDS for p in parameters):
        return None
    return tuple(p.name for p in parameters)


def _arguments(function: Callable[..., Any], args: tuple[Any, ...],
               kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name, in the parameters' order (the runtime left
    out), as ``Signature.bind`` gives them: on every logged call, so without ``bind``'s cost
    where the parameters are plain."""
    names = _parameter_names(function)
    if names is None:
        bound = _signature(function).bind(None, *args, **kwargs)
        return dict(list(bound.arguments.items())[1:])
    if not kwargs:
        return dict(zip(names, args, strict=False))  # trailing parameters at their defaults
    taken = len(args)
    return {name: args[i] if i < taken else kwargs[name]
            for i, name in enumerate(names) if i < taken or name in kwargs}


if TYPE_CHECKING:
    from finpolicy.facade import PolicyEngine as PolicyEngine
else:
    def __getattr__(name: str) -> Any:
        if name == "PolicyEngine":  # defined with the typed façade, which builds on this module
            from finpolicy.facade import PolicyEngine

            return PolicyEngine
        raise AttributeError(f"module 'finpolicy.engine' has no attribute {name!r}")
