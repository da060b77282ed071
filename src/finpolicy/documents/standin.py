"""A stand-in envelope for a document whose metadata has errors, so that its spec is still
checked in the same run (``finpolicy validate`` reports every problem at once): a wrong
``version``, ``effective_from`` (``2026/03/01``), title, owner or jurisdiction, or an unknown
metadata key, is replaced by a neutral value or left out. The document stays invalid; the
stand-in only ever serves to check its spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from finpolicy.documents.models import Envelope

__all__ = ["stand_in_envelope"]

# a neutral value for each metadata key that no check of a spec reads (None: left out)
_NEUTRAL: dict[str, Any] = {"version": "0.0.0", "effective_from": "2000-01-01",
                            "effective_until": None, "title": "-", "owner": "-",
                            "jurisdiction": "-", "description": None}


def stand_in_envelope(data: dict[str, Any], errors: Sequence[Any]) -> Envelope | None:
    """The envelope of ``data`` with the metadata keys holding ``errors`` (pydantic's)
    replaced; ``None`` when an error lies elsewhere (``kind``, ``metadata.id``, a source …)."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return None
    fixed = dict(metadata)
    for err in errors:
        loc = tuple(err["loc"])
        if len(loc) != 2 or loc[0] != "metadata":
            return None
        key = loc[1]
        if err["type"] == "extra_forbidden":
            fixed.pop(key, None)
        elif key in _NEUTRAL:
            if _NEUTRAL[key] is None:
                fixed.pop(key, None)
            else:
                fixed[key] = _NEUTRAL[key]
        else:
            return None
    try:
        return Envelope.model_validate({**data, "metadata": fixed})
    except ValidationError:
        return None
