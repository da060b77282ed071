"""Bearer tokens: which requests must carry one, and how a token is compared.

A token is compared as the SHA-256 digest of what the caller sent against the digest of each
token, with ``hmac.compare_digest``: both sides always 32 bytes, so the time of a comparison
says neither where the first wrong character is nor how long the token is (``compare_digest``
returns at once on values of different lengths).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["bearer_token", "known", "tokens"]


def tokens(token: str | Sequence[str]) -> tuple[bytes, ...]:
    """The digests of the service's tokens (one, or several while callers move to a new one).

    Raises:
        TypeError: ``token`` is no text nor a non-empty list of non-empty texts.
    """
    found = (token,) if isinstance(token, str) else tuple(token)
    if not found or not all(isinstance(t, str) and t for t in found):
        raise TypeError("token: expected a token (text) or a list of them")
    return tuple(hashlib.sha256(t.encode()).digest() for t in found)


def known(given: bytes, expected: tuple[bytes, ...]) -> bool:
    """Whether ``given`` is one of the tokens whose digests are ``expected``, each compared in
    constant time (every one compared, so the time tells nothing of which)."""
    digest = hashlib.sha256(given).digest()
    return sum(hmac.compare_digest(digest, token) for token in expected) > 0


def bearer_token(scope: Mapping[str, Any]) -> bytes | None:
    """The credentials of the request's ``Authorization: Bearer`` header, or ``None``."""
    given = dict(scope.get("headers", ())).get(b"authorization", b"").decode("latin-1")
    scheme, _, credentials = given.partition(" ")
    return credentials.strip().encode("latin-1") if scheme.lower() == "bearer" else None
