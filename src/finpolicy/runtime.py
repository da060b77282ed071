"""The runtime a domain evaluates with: one bundle compiled for one engine.

Domains never see the ``PolicyEngine``; they get a ``Runtime``: the policy in force on a date,
running one of its rule sets on a fact, the reference decisions name, and per-engine state
(caches a domain keeps for this bundle and engine). ``BundleRuntime`` is the implementation;
an engine swaps one for another atomically, so a decision in flight finishes on the bundle it
started with.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    TypeVar,
    cast,
    overload,
)

from finpolicy.decisions import PolicyRef
from finpolicy.engines import Evaluator, make_evaluator
from finpolicy.errors import EvaluationError, FinpolicyError, InputError
from finpolicy.rules.model import Rule
from finpolicy.rules.vocabulary import check_fact

if TYPE_CHECKING:
    from finpolicy.documents.bundle import Bundle, PolicyDocument
    from finpolicy.documents.registry import CompiledPolicy, PolicyKind

__all__ = ["PINNED", "BundleRuntime", "EngineAPI", "Observer", "Runtime", "StateKey"]

T = TypeVar("T")
P = TypeVar("P", bound="CompiledPolicy")

Observer = Callable[["PolicyDocument[Any]", str, Mapping[str, Any], Sequence[Rule]], None]
"""Called after every rule-set run with the document, rule set, fact and matching rules."""

_MAX_IN_FORCE = 4096  # cached (kind, day, policy id) look-ups; dates are unbounded in replays


class StateKey(Generic[T]):
    """A named slot of per-engine state, created by ``factory`` on first use.

    Declare one at module level (``SELECTIONS = StateKey("complaints.selections", dict)``) and
    ask the runtime for it: every engine (and every bundle it swaps to) has its own.
    """

    __slots__ = ("factory", "name")

    def __init__(self, name: str, factory: Callable[[], T]) -> None:
        self.name = name
        self.factory = factory

    def __repr__(self) -> str:
        return f"StateKey({self.name!r})"


class Runtime(Protocol):
    """What a domain may ask of the engine evaluating it."""

    @property
    def bundle(self) -> Bundle: ...

    @property
    def engine_name(self) -> str: ...

    def policy(self, kind: PolicyKind[Any, P], on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[P]: ...

    def run(self, doc: PolicyDocument[Any], ruleset: str,
            fact: Mapping[str, Any]) -> Sequence[Rule]: ...

    def ref(self, doc: PolicyDocument[Any]) -> PolicyRef: ...

    def state(self, key: StateKey[T]) -> T: ...


class BundleRuntime:
    """A bundle compiled for one engine: immutable rule sets, per-engine state, observers.

    Thread-safe: evaluators are shared read-only (the durable engine serialises its own
    calls) and state slots are created under a lock.
    """

    __slots__ = ("_bound", "_evaluators", "_in_force", "_lock", "_observers", "_refs",
                 "_state", "bundle", "engine_name")

    def __init__(self, bundle: Bundle, engine_name: str,
                 observers: list[Observer] | None = None) -> None:
        self.bundle = bundle
        self.engine_name = engine_name
        self._evaluators: dict[tuple[str, str, str], Evaluator] = {}
        for doc in bundle.documents:
            for name, ruleset in doc.policy.rulesets.items():
                self._evaluators[(doc.id, doc.version, name)] = make_evaluator(
                    ruleset, engine_name, source=doc.file)
        # facts a declared vocabulary covers: their input values are checked before any rule
        self._bound = {(doc.id, doc.version): doc.vocabulary.bound_fields()
                       for doc in bundle.documents}
        self._refs = {doc.key: PolicyRef(doc.id, doc.version, doc.kind, bundle.name,
                                         bundle.version, bundle.digest)
                      for doc in bundle.documents}
        self._state: dict[StateKey[Any], Any] = {}
        self._in_force: dict[tuple[str, dt.date, str | None], PolicyDocument[Any]] = {}
        self._lock = threading.Lock()
        self._observers = observers if observers is not None else []

    def __repr__(self) -> str:
        return (f"BundleRuntime({self.bundle.name!r} {self.bundle.version}, "
                f"{self.engine_name!r})")

    @overload
    def policy(self, kind: PolicyKind[Any, P], on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[P]: ...

    @overload
    def policy(self, kind: str, on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[Any]: ...

    def policy(self, kind: PolicyKind[Any, Any] | str, on: dt.date,
               policy_id: str | None = None) -> PolicyDocument[Any]:
        """The document of ``kind`` in force on ``on`` (raises ``NotInForceError``)."""
        name = kind if isinstance(kind, str) else kind.name
        key = (name, on, policy_id)
        found = self._in_force.get(key)
        if found is None:
            found = self.bundle.in_force(name, on, policy_id)
            if len(self._in_force) >= _MAX_IN_FORCE:
                self._in_force.clear()
            self._in_force[key] = found
        return found

    def run(self, doc: PolicyDocument[Any], ruleset: str,
            fact: Mapping[str, Any]) -> list[Rule]:
        """The rules of ``doc``'s rule set ``ruleset`` whose conditions hold for ``fact``.

        Raises:
            InputError: a fact a declared vocabulary covers holds a name outside it, or
                ``doc`` has no rule set ``ruleset`` here (a document of another bundle).
        """
        try:
            evaluator = self._evaluators[(doc.id, doc.version, ruleset)]
        except (KeyError, AttributeError):
            raise self._no_ruleset(doc, ruleset) from None
        bound = self._bound[(doc.id, doc.version)]
        if bound:
            check_fact(bound, fact)
        try:
            indices = evaluator.matches(fact)
        except FinpolicyError:
            raise
        except Exception as exc:  # an engine bug must surface as ours, never as theirs
            raise EvaluationError(f"{self.engine_name} engine failed on `{doc.id}` "
                                  f"{doc.version} rule set `{ruleset}`: {exc}") from exc
        rules = evaluator.ruleset.rules
        matched = [rules[i] for i in indices]
        if self._observers:
            for observer in self._observers:
                observer(doc, ruleset, fact, matched)
        return matched

    def _no_ruleset(self, doc: Any, ruleset: str) -> InputError:
        """The error for a rule set this runtime does not hold: one of a document of another
        bundle (one swapped out), or a name its document does not compile."""
        key = (getattr(doc, "id", None), getattr(doc, "version", None))
        names = sorted(name for (i, v, name) in self._evaluators if (i, v) == key)
        if not names:
            return self._foreign(doc)
        return InputError.one("ruleset", f"`{key[0]}` {key[1]} has no rule set `{ruleset}` "
                                         f"(its rule sets: {', '.join(names)})",
                              "bad_input", ruleset)

    def _foreign(self, doc: Any) -> InputError:
        """The error for a document this runtime's bundle does not hold."""
        bundle = f"{self.bundle.name} {self.bundle.version} ({self.bundle.digest[:12]})"
        what = f"`{doc.id}` {doc.version}" if hasattr(doc, "version") and hasattr(doc, "id") \
            else type(doc).__name__
        return InputError.one("doc", f"{what} is no document of bundle {bundle}: take it "
                                     "from this engine's policy()", "bad_input")

    def ref(self, doc: PolicyDocument[Any]) -> PolicyRef:
        """The reference a decision by ``doc`` names (ids, versions, bundle digest)."""
        try:
            return self._refs[doc.key]
        except (KeyError, AttributeError):
            raise self._foreign(doc) from None

    @property
    def observed(self) -> bool:
        """Whether observers watch rule-set runs: domains then run every rule set they
        would, instead of reusing a decision they already took on the same facts."""
        return bool(self._observers)

    def state(self, key: StateKey[T]) -> T:
        """This runtime's slot ``key``, created on first use."""
        try:
            return self._state[key]  # type: ignore[no-any-return]
        except KeyError:
            with self._lock:
                if key not in self._state:
                    self._state[key] = key.factory()
                return cast(T, self._state[key])


# the runtime ``EngineCore.call`` decides on, for the engine that pinned it (per thread and
# task); typed methods read it on their hot path, so it lives here, beside ``EngineAPI``
PINNED: contextvars.ContextVar[tuple[Any, BundleRuntime] | None] = \
    contextvars.ContextVar("finpolicy_pinned_runtime", default=None)

Params = ParamSpec("Params")
R = TypeVar("R")


class EngineAPI:
    """Base of the typed façade mixins a domain declares (its ``api.py``): each method passes
    its arguments to a domain function through ``_invoke``, which ``PolicyEngine`` implements
    (one runtime snapshot per decision)."""

    __slots__ = ()

    log: Any
    """The engine's decision log, or ``None`` (``EngineCore``): a method may skip ``_invoke``
    and call its domain function on ``runtime`` directly when there is nothing to record."""

    _hot: BundleRuntime | None
    """The current runtime while the engine has no decision log and no observers, else
    ``None`` (``EngineCore``): with ``PINNED`` unset, a method may decide on it straight away
    and take decisions it kept instead of running rule sets again."""

    @property
    def runtime(self) -> BundleRuntime:
        raise NotImplementedError

    def _direct(self) -> Runtime | None:
        raise NotImplementedError

    def _invoke(self, function: Callable[Concatenate[Runtime, Params], R], /,
                *args: Params.args, **kwargs: Params.kwargs) -> R:
        raise NotImplementedError
