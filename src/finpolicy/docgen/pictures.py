"""Pictures where people would rather look than read, as each domain declares them
(``Domain.pictures``: a suitability matrix, an access matrix, an SLA timeline …).

Every picture is computed through the engine where a decision is shown, so it shows what the
engine decides, not a second reading of the YAML.
"""

from __future__ import annotations

from typing import Any

from finpolicy.documents.bundle import PolicyDocument
from finpolicy.domains.base import ChangePicture, Picture
from finpolicy.runtime import Runtime

__all__ = ["change_picture", "decision_changes", "picture", "pictures",
           "registered_pictures"]


def registered_pictures() -> dict[str, tuple[str, Picture]]:
    """Picture name → (policy kind, picture), for every registered domain."""
    from finpolicy.domains.registry import domains

    return {p.name: (kind, p) for domain in domains()
            for kind, found in domain.pictures.items() for p in found}


def change_picture(kind: str) -> ChangePicture | None:
    """The picture of decisions that differ between two versions of ``kind``, if any."""
    from finpolicy.domains.registry import domains

    for domain in domains():
        if kind in domain.changes:
            return domain.changes[kind]
    return None


def picture(name: str, engine: Runtime, doc: PolicyDocument[Any]) -> str:
    """The HTML of picture ``name`` for ``doc``."""
    return registered_pictures()[name][1].render(engine, doc)


def pictures(engine: Runtime, doc: PolicyDocument[Any]) -> list[tuple[str, str]]:
    """``(title, html)`` of every picture that applies to ``doc``'s kind."""
    return [(p.title, p.render(engine, doc)) for kind, p in registered_pictures().values()
            if kind == doc.kind]


def decision_changes(engine: Runtime, old: PolicyDocument[Any],
                     new: PolicyDocument[Any]) -> list[tuple[str, str]]:
    """``(title, html)`` pictures of decisions that differ between two versions."""
    found = change_picture(new.kind)
    return [] if found is None else [(found.title, found.render(engine, old, new))]


def __getattr__(name: str) -> Any:
    if name == "PICTURES":  # name → (kind, render), as before pictures were per domain
        return {n: (kind, p.render) for n, (kind, p) in registered_pictures().items()}
    raise AttributeError(f"module 'finpolicy.docgen.pictures' has no attribute {name!r}")
