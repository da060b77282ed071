"""The registered domains: every ``Domain`` object under the ``finpolicy.domains`` entry point
group, loaded once, checked as a whole.

finpolicy's own domains are registered the same way as a third party's (in its
``pyproject.toml``). A domain that cannot be loaded or is incomplete is an error naming the
entry point, never a silent skip: a bank must not run with half its policy kinds missing.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Iterable
from importlib import metadata
from typing import Any

from finpolicy.domains.base import Domain, DomainError
from finpolicy.errorcodes import declare
from finpolicy.errors import InputError

__all__ = ["GROUP", "DomainError", "domain", "domains", "names", "reload"]

GROUP = "finpolicy.domains"

_LOCK = threading.RLock()
_LOADED: tuple[Domain, ...] | None = None
_ABSENT = object()
_NOT_A_DOMAIN = object()  # a package of finpolicy's source tree declaring no DOMAIN


def _entry_points() -> list[tuple[str, Any]]:
    """``(name, loader)`` of every entry point in the group; when finpolicy itself runs from a
    source tree without installed metadata, its own domain packages are found by scanning."""
    found = [(f"{ep.name} = {ep.value}", ep.load if metadata.EntryPoint.pattern.match(ep.value)
              else _malformed(ep.value)) for ep in metadata.entry_points(group=GROUP)]
    if not any(ep.value.startswith("finpolicy.") for ep in metadata.entry_points(group=GROUP)):
        package = importlib.import_module("finpolicy.domains")
        for info in pkgutil.iter_modules(package.__path__, "finpolicy.domains."):
            if info.ispkg:
                def load(module: str = info.name) -> Any:
                    return getattr(importlib.import_module(module), "DOMAIN", _NOT_A_DOMAIN)
                found.append((info.name.rsplit(".", 1)[1], load))
    return found


def _malformed(value: str) -> Any:
    def load() -> Any:
        raise ValueError(f"`{value}` is not `module:attribute`")
    return load


def _load(candidates: Iterable[tuple[str, Any]]) -> tuple[Domain, ...]:
    loaded: dict[str, Domain] = {}
    kinds: dict[str, str] = {}
    operations: dict[str, str] = {}
    for name, load in candidates:
        try:
            value = load()
        except Exception as exc:  # a broken plug-in must name itself, not crash obscurely
            raise DomainError(f"domain entry point `{name}` cannot be loaded: "
                              f"{type(exc).__name__}: {exc}") from exc
        if value is _NOT_A_DOMAIN:
            continue  # a package of the source tree that is not a domain
        if not isinstance(value, Domain):
            raise DomainError(f"domain entry point `{name}` is a {type(value).__name__}, "
                              "expected a finpolicy.domains.Domain")
        problems = value.problems()
        if problems:
            raise DomainError(f"domain `{value.name}` is incomplete: {'; '.join(problems)}")
        if value.name in loaded:
            if loaded[value.name] is value:
                continue
            raise DomainError(f"two domains are named `{value.name}`: one declared in "
                              f"`{loaded[value.name].package}`, one in `{value.package}` "
                              f"(entry point `{name}`); rename the plug-in's")
        for kind in value.kinds:
            if kind.name in kinds:
                raise DomainError(f"kind `{kind.name}` is declared by domains "
                                  f"`{kinds[kind.name]}` and `{value.name}`")
            kinds[kind.name] = value.name
        for op in value.operations:
            if op in operations:
                raise DomainError(f"engine method `{op}` is declared by domains "
                                  f"`{operations[op]}` and `{value.name}`")
            operations[op] = value.name
        for code_kind, codes in value.error_codes.items():
            try:
                declare(code_kind, codes, origin=value.name)
            except ValueError as exc:  # a code finpolicy or another domain means otherwise
                raise DomainError(f"domain `{value.name}` declares error codes "
                                  f"({code_kind}) it cannot: {exc}; use that code as it "
                                  "is meant, or name a code of its own") from exc
        loaded[value.name] = value
    _check_shadowed(operations, loaded)
    _check_exports(loaded)
    return tuple(sorted(loaded.values(), key=lambda d: (d.order, d.name)))


def _check_shadowed(operations: dict[str, str], loaded: dict[str, Domain]) -> None:
    """A plug-in's method named like one of the engine's own (``swap``, ``explain``) would
    never be reached: ``engine.swap(...)`` would swap bundles. Only the domain's own typed
    façade (its ``api.py``) may define the name on the engine."""
    from finpolicy.facade import PolicyEngine  # the façade sits above the registry

    for op, owner in sorted(operations.items()):
        definer = next((c for c in PolicyEngine.__mro__ if op in vars(c)), None)
        if definer is not None and \
                not definer.__module__.startswith(loaded[owner].package + "."):
            raise DomainError(f"engine method `{op}` of domain `{owner}` is the name of "
                              f"PolicyEngine's own `{op}`, so it could never be called; "
                              "name it otherwise")


def _check_exports(loaded: dict[str, Domain]) -> None:
    """A domain's public name (``finpolicy.<name>``) that is one of finpolicy's own names or
    another domain's would silently be the other object: ``fp.Decision`` stays finpolicy's."""
    import finpolicy

    exported = {id(v) for d in loaded.values() for v in d.exports.values()}
    present = vars(finpolicy)
    own = set(getattr(finpolicy, "__all__", ())) | {
        info.name for info in pkgutil.iter_modules(finpolicy.__path__)} | {
        k for k, v in present.items() if id(v) not in exported}
    taken: dict[str, tuple[str, Any]] = {}
    for domain in loaded.values():
        names = [*((k, v) for k, v in domain.exports.items()),
                 *((k, None) for k in domain.deprecated)]
        for name, value in names:
            what = "exports" if value is not None else "keeps the deprecated name"
            if not name.isidentifier() or name.startswith("_"):
                raise DomainError(f"domain `{domain.name}` {what} `{name}`, which is not a "
                                  "public Python name")
            if name in own and (value is None or present.get(name, _ABSENT) is not value):
                raise DomainError(f"domain `{domain.name}` {what} `{name}`, a name of "
                                  f"finpolicy's own, so `finpolicy.{name}` could never be "
                                  "it; name it otherwise")
            other = taken.get(name)
            if other is not None and (value is None or other[1] is not value):
                raise DomainError(f"`finpolicy.{name}` is claimed by domains `{other[0]}` "
                                  f"and `{domain.name}`; name one of them otherwise")
            taken[name] = (domain.name, value)


def domains() -> tuple[Domain, ...]:
    """Every registered domain, in their declared order."""
    global _LOADED
    found = _LOADED
    if found is None:
        with _LOCK:
            if _LOADED is None:
                _LOADED = _load(_entry_points())
            found = _LOADED
    return found


def names() -> tuple[str, ...]:
    """The names of the registered domains."""
    return tuple(d.name for d in domains())


def domain(name: str) -> Domain:
    """The domain called ``name`` (``InputError`` naming the known ones otherwise)."""
    for found in domains():
        if found.name == name:
            return found
    raise InputError.one("domain", f"unknown domain `{name}`, expected one of "
                                   f"{', '.join(names())}", "unknown_domain", name)


def _forget_exports(previous: Iterable[Domain]) -> None:
    """Drop the public names of ``previous`` that ``finpolicy.__getattr__`` kept as module
    attributes, so the domains found again give ``finpolicy.<name>`` afresh."""
    import finpolicy

    present = vars(finpolicy)
    own = set(getattr(finpolicy, "__all__", ()))
    for domain in previous:
        for name, value in domain.exports.items():
            if name not in own and present.get(name) is value:
                del present[name]


def reload() -> tuple[Domain, ...]:
    """Discover the domains again (after installing a plug-in in a running process)."""
    global _LOADED
    with _LOCK:
        _forget_exports(_LOADED or ())
        _LOADED = None
        metadata_cache = getattr(importlib, "invalidate_caches", None)
        if metadata_cache is not None:
            metadata_cache()
    return domains()
