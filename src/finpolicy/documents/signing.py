"""Signed bundles: Ed25519 signatures over a bundle's digest, kept in ``bundle.sig``.

A signature says "this key vouches for exactly this policy text": it signs the bundle's name,
version and content digest (the digest every decision names). Several keys may sign one
bundle (an author and an approver); ``load_bundle(path, trusted_keys=[...])`` accepts the
bundle when any trusted key's signature verifies, and refuses it otherwise. Needs the
``audit`` extra (``cryptography``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from finpolicy.errors import PolicyError, Problem

__all__ = ["SIGNATURE_FILE", "check_signatures", "sign_bundle", "signatures"]

SIGNATURE_FILE = "bundle.sig"
FORMAT = "finpolicy-bundle-signature/1"


def _message(name: str, version: str, digest: str, signed_at: str) -> bytes:
    return f"{FORMAT}\n{name}\n{version}\n{digest}\n{signed_at}".encode()


def _problem(root: Path, message: str, code: str) -> PolicyError:
    return PolicyError([Problem(str(root / SIGNATURE_FILE), None, "", message, code)])


def signatures(root: Path) -> list[dict[str, Any]]:
    """The signatures in ``root/bundle.sig`` (empty when unsigned)."""
    path = root / SIGNATURE_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _problem(root, f"unreadable signature file: {exc}", "bad_signature") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or \
            not isinstance(data.get("signatures"), list):
        raise _problem(root, f"not a {FORMAT} file", "bad_signature")
    return [s for s in data["signatures"] if isinstance(s, dict)]


def sign_bundle(bundle: Any, private_key: Any, *, signer: str | None = None) -> Path:
    """Add (or renew) this key's signature of ``bundle``; signatures of another digest (an
    older text) are dropped."""
    from finpolicy.audit.keys import key_id, load_private_key, public_key_bytes
    from finpolicy.audit.records import b64

    key = load_private_key(private_key)
    root = Path(bundle.root)
    kid = key_id(key.public_key())
    kept = [s for s in signatures(root) if s.get("digest") == bundle.digest and s.get("key") != kid]
    signed_at = dt.datetime.now(dt.UTC).isoformat()
    kept.append({"key": kid, "public_key": b64(public_key_bytes(key.public_key())),
                 "signer": signer, "signed_at": signed_at, "digest": bundle.digest,
                 "sig": b64(key.sign(_message(bundle.name, bundle.version, bundle.digest,
                                              signed_at)))})
    path = root / SIGNATURE_FILE
    path.write_text(json.dumps({"format": FORMAT, "bundle": bundle.name,
                                "version": bundle.version, "signatures": kept},
                               indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def check_signatures(root: Path, name: str, version: str, digest: str,
                     trusted_keys: Iterable[Any]) -> list[str]:
    """The ids of the trusted keys whose signature of this exact bundle verifies.

    Raises:
        PolicyError: no trusted key signed this content (``unsigned_bundle``,
            ``bad_signature``).
    """
    from finpolicy.audit.errors import AuditError
    from finpolicy.audit.keys import InvalidSignature, key_id, load_public_key
    from finpolicy.audit.records import unb64

    try:
        trusted = {key_id(k): k for k in (load_public_key(t) for t in trusted_keys)}
    except AuditError as exc:
        raise _problem(root, str(exc), "bad_key") from None
    if not trusted:
        raise _problem(root, "trusted_keys is empty: name at least one key", "bad_key")
    found = signatures(root)
    if not found:
        raise _problem(root, "the bundle is not signed, and a signature by a trusted key is "
                             "required", "unsigned_bundle")
    good = []
    for s in found:
        key = trusted.get(str(s.get("key")))
        if key is None or s.get("digest") != digest:
            continue
        try:
            key.verify(unb64(s.get("sig"), "sig"),
                       _message(name, version, digest, str(s.get("signed_at"))))
        except (InvalidSignature, AuditError):
            continue
        good.append(str(s.get("key")))
    if not good:
        signed = ", ".join(sorted({str(s.get("key")) for s in found}))
        stale = any(s.get("digest") != digest for s in found)
        why = " (the content changed since it was signed)" if stale else ""
        raise _problem(root, f"no valid signature of digest {digest[:12]} by a trusted key "
                             f"({', '.join(sorted(trusted))}); signed by: {signed}{why}",
                       "bad_signature")
    return good
