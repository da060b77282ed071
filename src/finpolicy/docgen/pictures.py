"""Pictures where people would rather look than read, as each domain declares them
(``Domain.pictures``: a suitability matrix, an access matrix, an SLA timeline …).

Every picture is computed through the engine where a decision is shown, so it shows what the
engine decides, not a second reading of the YAML. A picture is a domain's own code (a plug-in's,
often): one that raises, or returns no HTML text, is a ``DomainError`` naming the domain, the
picture and the policy, never a crash of the docs build.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import ChangePicture, DomainError, Picture
from finpolicy.errors import one_line
from finpolicy.runtime import Runtime

__all__ = ["change_picture", "decision_changes", "picture", "pictures",
           "registered_pictures"]


def registered_pictures() -> dict[str, tuple[str, Picture]]:
    """Picture name → (policy kind, picture), for every registered domain."""
    return {name: (kind, p) for name, (_, kind, p) in _owned().items()}


def _owned() -> dict[str, tuple[str, str, Picture]]:
    """Picture name → (domain, policy kind, picture)."""
    from finpolicy.domains.registry import domains

    return {p.name: (domain.name, kind, p) for domain in domains()
            for kind, found in domain.pictures.items() for p in found}


def _changes(kind: str) -> tuple[str, ChangePicture] | None:
    from finpolicy.domains.registry import domains

    for domain in domains():
        if kind in domain.changes:
            return domain.name, domain.changes[kind]
    return None


def change_picture(kind: str) -> ChangePicture | None:
    """The picture of decisions that differ between two versions of ``kind``, if any."""
    found = _changes(kind)
    return None if found is None else found[1]


def _drawn(domain: str, what: str, doc: PolicyDocument[Any], draw: Callable[[], Any]) -> str:
    """``draw()``, the HTML of a domain's picture; anything else is a ``DomainError`` naming
    the domain, the picture (``what``) and the policy."""
    where = f"policy `{doc.id}` {doc.version} ({Path(doc.file).name})"
    try:
        markup = draw()
    except Exception as exc:  # the domain's own code: name it, whatever it raised
        raise DomainError(f"domain `{domain}`: its {what} raised {type(exc).__name__} on "
                          f"{where}: {one_line(str(exc))}") from exc
    if not isinstance(markup, str):
        raise DomainError(f"domain `{domain}`: its {what} returned a "
                          f"{type(markup).__name__} for {where}, expected its HTML as text")
    return markup


def picture(name: str, engine: Runtime, doc: PolicyDocument[Any]) -> str:
    """The HTML of picture ``name`` for ``doc``.

    Raises:
        DomainError: the picture raised, or returned no text.
    """
    domain, _, found = _owned()[name]
    return _drawn(domain, f"picture `{name}`", doc, partial(found.render, engine, doc))


def pictures(engine: Runtime, doc: PolicyDocument[Any]) -> list[tuple[str, str]]:
    """``(title, html)`` of every picture that applies to ``doc``'s kind.

    Raises:
        DomainError: a picture raised, or returned no text.
    """
    return [(p.title, _drawn(domain, f"picture `{name}`", doc, partial(p.render, engine, doc)))
            for name, (domain, kind, p) in _owned().items() if kind == doc.kind]


def decision_changes(engine: Runtime, old: PolicyDocument[Any],
                     new: PolicyDocument[Any]) -> list[tuple[str, str]]:
    """``(title, html)`` pictures of decisions that differ between two versions.

    Raises:
        DomainError: the picture raised, or returned no text.
    """
    found = _changes(new.kind)
    if found is None:
        return []
    domain, drawn = found
    return [(drawn.title, _drawn(domain, f"picture of changed decisions `{drawn.title}` "
                                 f"(from {old.version})", new,
                                 partial(drawn.render, engine, old, new)))]


def __getattr__(name: str) -> Any:
    if name == "PICTURES":  # name → (kind, render), as before pictures were per domain
        return {n: (kind, p.render) for n, (kind, p) in registered_pictures().items()}
    raise AttributeError(f"module 'finpolicy.docgen.pictures' has no attribute {name!r}")
