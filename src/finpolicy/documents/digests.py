"""The digests of a bundle and of its parts, all over canonical JSON (sorted keys, no spaces),
so that comments and layout never change them.

- a document's digest: sha256 over its canonical JSON;
- a document's *content* digest, which the lock keeps: the same without its effective window
  (``metadata.effective_from`` and ``effective_until``): ending a released version, or moving
  the start of one not yet in force, is not a change of what it says;
- the manifest's digest, and the bundle's: sha256 over
  ``{"documents": {file name: document}, "manifest": manifest}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["WINDOW", "bundle_json", "canonical_json", "content_digest", "manifest_digest", "sha256"]


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


WINDOW = ("effective_from", "effective_until")


def content_digest(data: Any, without: tuple[str, ...] = WINDOW) -> str:
    """The digest of a document's content: its canonical JSON without these keys of its
    ``metadata`` (its effective window)."""
    meta = data.get("metadata") if isinstance(data, dict) else None
    if isinstance(meta, dict) and any(key in meta for key in without):
        data = {**data, "metadata": {k: v for k, v in meta.items() if k not in without}}
    return sha256(canonical_json(data))


def _manifest_head(manifest: Any) -> dict[str, Any]:
    head: dict[str, Any] = manifest.model_dump(mode="json")
    if head.get("language") is None:
        del head["language"]  # absent as before it existed: digests of older packs stay
    return head


def manifest_digest(manifest: Any) -> str:
    """The digest of a bundle's manifest (``bundle.yaml``) as the bundle digest reads it."""
    return sha256(canonical_json(_manifest_head(manifest)))


def bundle_json(manifest: Any, documents: Iterable[Any]) -> str:
    """``canonical_json({"documents": {file name: data}, "manifest": ...})``, reusing each
    document's canonical text (the same bytes, without encoding every document twice)."""
    texts = sorted((Path(d.file).name, d.canonical or canonical_json(d.data)) for d in documents)
    body = ",".join(f"{canonical_json(name)}:{text}" for name, text in texts)
    return ('{"documents":{' + body + '},"manifest":' + canonical_json(_manifest_head(manifest))
            + "}")
