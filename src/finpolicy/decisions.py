"""Decisions: immutable, explainable, serialisable results of every evaluation."""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from finpolicy.rules.model import Rule


@attrs.frozen(slots=True)
class Hit:
    """A rule that contributed to a decision, with its reason and source."""

    rule_id: str
    reason: str
    cite: str

    @classmethod
    def of(cls, rule: Rule) -> Hit:
        return cls(rule.id, rule.reason, rule.cite)


@attrs.frozen(slots=True)
class PolicyRef:
    """Exactly which policy text produced a decision."""

    id: str
    version: str
    kind: str
    bundle: str
    bundle_version: str
    bundle_digest: str


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name.lower() if isinstance(value.value, int) else value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


@attrs.frozen(slots=True, kw_only=True)
class Decision:
    """The result of one evaluation.

    Attributes:
        outcome: the domain's outcome word (``allow``/``deny``, ``suitable``…, a level, a status).
        hits: the rules that decided, in policy order.
        obligations: duties that come with the outcome, sorted, without repeats.
        policy: the policy id, version and bundle digest.
        engine: ``"compiled"`` or ``"durable"``.
        input_digest: sha256 of the canonical input, for audit replay. A domain may give a
            function of no arguments, a tuple of a function and its arguments, or the
            ``InputModel`` itself instead of the text: the digest is then computed when it is
            first read (by the decision log, ``to_dict``, equality), not on every call.
        as_of: the date or time the decision was evaluated for.
        evaluated_at: when it was computed (ignored by equality).
    """

    outcome: str
    hits: tuple[Hit, ...] = ()
    obligations: tuple[str, ...] = ()
    policy: PolicyRef
    engine: str
    input_digest: str
    as_of: dt.date | dt.datetime
    evaluated_at: dt.datetime = attrs.field(
        factory=time.time, eq=False)  # type: ignore[assignment]  # a stamp, read as a datetime (below)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(h.rule_id for h in self.hits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for audit logs."""
        return _plain(self)  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and ``copy``) by field values, so that decisions cross process
        boundaries (process pools, caches) whole: a read-only mapping (``MappingProxyType``,
        which cannot be pickled) travels as a dict and comes back read-only."""
        cls = type(self)
        values = tuple(_Portable(value) if type(value) is MappingProxyType else value
                       for value in (getattr(self, f.name) for f in attrs.fields(cls)))
        return (_unpickled, (cls, values))

    def _details(self) -> list[str]:
        return []

    def explain(self) -> str:
        """A readable account: outcome, why, duties and which policy decided."""
        p = self.policy
        lines = [f"{self.outcome} — {p.kind} `{p.id}` {p.version} as of {self.as_of} "
                 f"(bundle {p.bundle} {p.bundle_version}, {p.bundle_digest[:12]}; "
                 f"{self.engine} engine)"]
        lines += self._details()
        if self.hits:
            lines.append("because:")
            lines += [f"  - {h.rule_id}: {h.reason} [{h.cite}]" for h in self.hits]
        else:
            lines.append("no rule matched")
        if self.obligations:
            lines.append("obligations: " + ", ".join(self.obligations))
        return "\n".join(lines)



class _Portable(dict):  # type: ignore[type-arg]
    """A read-only mapping of a decision as pickled: a dict, read-only again when
    unpickled."""

    __slots__ = ()


def _unpickled(cls: type[Decision], values: tuple[Any, ...]) -> Decision:
    made = object.__new__(cls)
    for f, value in zip(attrs.fields(cls), values, strict=True):
        if type(value) is _Portable:
            value = MappingProxyType(dict(value))
        object.__setattr__(made, f.name, value)  # (past the frozen class's guard)
    return made


# --- cheap decisions ---------------------------------------------------------------------------
# ``input_digest`` may hold a function computing the digest (or a tuple: the function and its
# arguments; or the input model, whose ``digest()`` it is) until first read, and
# ``evaluated_at`` a ``time.time()`` stamp until first read: the slots attrs made stay the
# storage (so ``attrs.fields``, ``evolve``, the decision log's encoder and equality all see the
# fields), and a property in front of each turns the stored value into the documented type once.

_SLOTS: dict[str, Any] = {name: Decision.__dict__[name]
                          for name in ("input_digest", "evaluated_at")}


def _digest_property() -> property:
    slot = _SLOTS["input_digest"]

    def read(self: Decision) -> str:
        value = slot.__get__(self, Decision)
        if value.__class__ is not str:
            if value.__class__ is tuple:  # (function, *arguments): cheaper than a partial
                value = value[0](*value[1:])
            elif callable(value):
                value = value()
            else:  # the input model itself (which keeps nothing for the collector to scan)
                value = value.digest()
            slot.__set__(self, value)
        return value  # type: ignore[no-any-return]

    # (stores go straight to the slot: no Python call per decision)
    return property(read, slot.__set__, doc="sha256 of the canonical input, for audit replay.")


def _stamp_property() -> property:
    slot = _SLOTS["evaluated_at"]
    utc = dt.UTC

    def read(self: Decision) -> dt.datetime:
        value = slot.__get__(self, Decision)
        if value.__class__ is float:
            value = dt.datetime.fromtimestamp(value, utc)
            slot.__set__(self, value)
        return value  # type: ignore[no-any-return]

    return property(read, slot.__set__,
                    doc="When the decision was computed (ignored by equality).")


setattr(Decision, "input_digest", _digest_property())  # noqa: B010 - past attrs' slots
setattr(Decision, "evaluated_at", _stamp_property())  # noqa: B010


def decision_maker(cls: type[Any], *names: str,
                   converted: tuple[str, ...] = ()) -> Callable[..., Any]:
    """A constructor of the slotted attrs class ``cls`` taking ``names`` positionally (every
    other field at its default, a decision's ``evaluated_at`` now): the object
    ``cls(**dict(zip(names, values)))`` builds, several times cheaper, for domains' hot paths.
    ``cls`` must have no validators or ``__attrs_post_init__``, and converters only on the
    fields named in ``converted``, whose values the caller gives converted (checked).

    The object is filled in as an instance of a mutable twin of ``cls`` (a subclass adding no
    slots, so the same layout), where plain attribute stores hit the slots directly, then
    becomes a ``cls`` by ``__class__`` assignment: what it is and holds is what attrs builds.
    """
    fields = attrs.fields(cls)
    if hasattr(cls, "__attrs_post_init__") or any(
            f.validator or (f.converter and f.name not in converted) for f in fields):
        raise TypeError(f"{cls.__name__} needs its attrs __init__")
    unknown = set(names) - {f.name for f in fields}
    if unknown or "evaluated_at" in names:
        raise TypeError(f"{cls.__name__}: cannot take {sorted(unknown) or ['evaluated_at']}")
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_time": time.time,
                             "_twin": _twin(cls, [f.name for f in fields])}
    lines = [f"def make({', '.join(names)}):", "    d = _new(_twin)"]
    for i, f in enumerate(fields):
        if f.name in names:
            value = f.name
        elif f.name == "evaluated_at":
            value = "_time()"
        elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            scope[f"_f{i}"] = f.default.factory
            value = f"_f{i}()"
        elif f.default is attrs.NOTHING:
            raise TypeError(f"{cls.__name__}.{f.name} has no default: name it")
        else:
            scope[f"_d{i}"] = f.default
            value = f"_d{i}"
        lines.append(f"    d.{f.name} = {value}")
    lines += ["    d.__class__ = _cls", "    return d"]
    exec("\n".join(lines), scope)  # the source is built from field names only
    return scope["make"]  # type: ignore[no-any-return]


def _twin(cls: type[Any], names: list[str]) -> type[Any]:
    """A subclass of ``cls`` with its layout and plain ``object`` attribute setting, whose
    fields are the slots themselves (not the properties in front of some: see above)."""
    body: dict[str, Any] = {"__slots__": (), "__setattr__": object.__setattr__,
                            "__delattr__": object.__delattr__}
    for name in names:
        body[name] = _SLOTS.get(name) if issubclass(cls, Decision) and name in _SLOTS else \
            next(c.__dict__[name] for c in cls.__mro__ if name in c.__dict__)
    return type(f"_Building{cls.__name__}", (cls,), body)
