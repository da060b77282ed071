"""Signed bundles: Ed25519 signatures of a bundle as it is, kept in ``bundle.sig``.

A signature says "this key vouches for exactly this pack". It signs the bundle's name,
version and digest (the digest every decision names), the digest of its lock file (or that
there is none), each file's own digest, the signer's name and the time. It covers the lock
because the lock is what refuses an edited release and nothing else protects it: a signed
pack whose ``bundle.lock`` was edited or deleted fails. The file digests let a failure name
what changed. Several keys may sign one bundle (an author and an approver).

Checking ``bundle.sig`` (``verify_signatures``):

- every signature in it must be well formed and verify with the public key it carries, or
  the file was edited or damaged (``bad_signature``);
- every signature must be of the bundle as it is now, or the bundle changed since it was
  signed (``stale_signature``, naming each file changed, renamed, added or removed);
- with trusted keys, a signature must be by one of them (``unsigned_bundle`` when there is
  none at all, ``bad_signature`` when no signer is trusted).

Without trusted keys the first two checks show that the signatures are intact and of this
bundle, never who made them: anybody can sign with a key of their own. ``load_bundle`` reads
``bundle.sig`` only when it is given ``trusted_keys``. Needs the ``audit`` extra
(``cryptography``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from finpolicy.documents.bundle import MANIFEST
from finpolicy.documents.digests import canonical_json, manifest_digest
from finpolicy.documents.lock import LOCK_FILE, lock_digest, read_pin_file, replace_file
from finpolicy.errors import InputError, PolicyError, Problem
from finpolicy.limits import MAX_SIGNATURES

__all__ = ["SIGNATURE_FILE", "BundleState", "SignatureReport", "SignatureStatus",
           "bundle_state", "check_signatures", "check_signed_before_loading",
           "describe_changes", "sign_bundle", "signatures", "verify_signatures"]

SIGNATURE_FILE = "bundle.sig"
FORMAT = "finpolicy-bundle-signature/2"
_FORMAT_1 = "finpolicy-bundle-signature/1"  # signed the digest alone, not the lock
_SIGNED = ("bundle", "version", "digest", "lock", "files", "key", "signer", "signed_at")


@attrs.frozen(slots=True)
class BundleState:
    """What a signature covers: the bundle digest, the lock's digest (``None``: no lock) and
    each file's digest (policies by their canonical content, ``bundle.yaml`` too)."""

    digest: str
    lock: str | None
    files: Mapping[str, str]


@attrs.frozen(slots=True)
class SignatureStatus:
    """One signature in ``bundle.sig``: whose, whether it is intact (well formed, verifying
    with its own public key), current (of the bundle as it is) and by a trusted key
    (``None`` when no trusted keys were given)."""

    key: str
    signer: str | None
    signed_at: str | None
    intact: bool
    current: bool
    trusted: bool | None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen(slots=True)
class SignatureReport:
    """What checking ``bundle.sig`` found: each signature, every problem, whether trusted keys
    were given (``signer_checked``: otherwise who signed was not checked) and whether
    ``bundle.sig`` holds anything (``present``; an unreadable file does)."""

    signatures: tuple[SignatureStatus, ...]
    problems: tuple[Problem, ...]
    signer_checked: bool
    present: bool = True

    @property
    def signed_by(self) -> tuple[str, ...]:
        """The trusted keys whose signature of the bundle as it is verifies."""
        return tuple(s.key for s in self.signatures if s.intact and s.current and s.trusted)


@attrs.frozen(slots=True)
class _Entry:
    data: Mapping[str, Any]
    public_key: Any
    raw_key: bytes
    sig: bytes


def bundle_state(bundle: Any) -> BundleState:
    """What a signature of ``bundle`` covers, as the bundle is now."""
    files = {Path(d.file).name: d.digest for d in bundle.documents}
    files[MANIFEST] = manifest_digest(bundle.manifest)
    return BundleState(bundle.digest, lock_digest(Path(bundle.root)), files)


def _message(data: Mapping[str, Any]) -> bytes:
    return canonical_json({"format": FORMAT, **{k: data.get(k) for k in _SIGNED}}).encode()


def _problem(root: Path, message: str, code: str, path: str = "") -> Problem:
    return Problem(str(root / SIGNATURE_FILE), None, path, message, code)


def signatures(root: Path) -> list[Any]:
    """The signatures in ``root/bundle.sig``, as written (empty when unsigned).

    Raises:
        PolicyError: the file is not a signature file of this format (``bad_signature``).
    """
    path = root / SIGNATURE_FILE
    if not os.path.lexists(path):
        return []
    try:
        data = json.loads(read_pin_file(path).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise PolicyError([_problem(root, f"unreadable signature file: {reason}",
                                    "bad_signature")]) from None
    if isinstance(data, dict) and data.get("format") == _FORMAT_1:
        raise PolicyError([_problem(root, f"a {_FORMAT_1} file, whose signatures do not cover "
                                    f"{LOCK_FILE}: sign the bundle again (`finpolicy bundle "
                                    "sign`)", "bad_signature")])
    if not isinstance(data, dict) or data.get("format") != FORMAT or \
            not isinstance(data.get("signatures"), list):
        raise PolicyError([_problem(root, f"not a {FORMAT} file", "bad_signature")])
    if len(data["signatures"]) > MAX_SIGNATURES:
        raise PolicyError([_problem(root, f"{len(data['signatures']):,} signatures: a "
                                    f"{SIGNATURE_FILE} holds at most {MAX_SIGNATURES} (one "
                                    "per key that signs)", "bad_signature", "signatures")])
    return list(data["signatures"])


def _parse(raw: Any) -> _Entry | str:
    """The signature, or what is wrong with it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from finpolicy.audit.keys import key_id

    if not isinstance(raw, dict):
        return "expected a mapping"
    for name in ("key", "public_key", "sig", "digest", "signed_at", "bundle", "version"):
        if not isinstance(raw.get(name), str):
            return f"`{name}` is missing or not text"
    if any(raw.get(name) is not None and not isinstance(raw[name], str)
           for name in ("signer", "lock")):
        return "`signer` or `lock` is not text"
    files = raw.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return "`files` is missing or not a mapping of file names to digests"
    try:
        raw_key = base64.b64decode(raw["public_key"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw_key)
        sig = base64.b64decode(raw["sig"], validate=True)
    except (ValueError, binascii.Error):
        return "`public_key` or `sig` is not a base64 Ed25519 key or signature"
    if key_id(public) != raw["key"]:
        return f"key id `{raw['key']}` is not the id of its public key"
    return _Entry(raw, public, raw_key, sig)


def _verifies(entry: _Entry) -> bool:
    from finpolicy.audit.keys import InvalidSignature

    try:
        entry.public_key.verify(entry.sig, _message(entry.data))
    except InvalidSignature:
        return False
    return True


def describe_changes(files: Mapping[str, str], lock: str | None, now: BundleState) -> str:
    """What changed between a signed state (``files``, ``lock``) and ``now``, file by file:
    ``"access.yaml changed, a.yaml renamed to b.yaml, bundle.lock removed"``."""
    gone = sorted(set(files) - set(now.files))
    new = sorted(set(now.files) - set(files))
    parts = [f"{name} changed" for name in sorted(set(files) & set(now.files))
             if files[name] != now.files[name]]
    for old in list(gone):
        same = [name for name in new if now.files[name] == files[old]]
        if same:
            parts.append(f"{old} renamed to {same[0]}")
            gone.remove(old)
            new.remove(same[0])
    parts += [f"{name} added" for name in new] + [f"{name} removed" for name in gone]
    if lock != now.lock:
        what = "added" if lock is None else "deleted" if now.lock is None else "changed"
        parts.append(f"{LOCK_FILE} {what}" + ("" if parts else " (every other file is as "
                                                                "signed)"))
    return ", ".join(parts) or "its digest differs"


def _check(root: Path, index: int, raw: Any, now: BundleState,
           trusted: Mapping[bytes, str] | None) -> tuple[SignatureStatus, Problem | None]:
    """The status of one signature and, when it fails, why."""
    where = f"signatures[{index}]"
    entry = _parse(raw)
    if isinstance(entry, str):
        key = raw.get("key") if isinstance(raw, dict) else None
        return (SignatureStatus("?" if key is None else str(key), None, None, False, False,
                                None),
                _problem(root, f"malformed signature: {entry}", "bad_signature", where))
    data = entry.data
    by = f"`{data['key']}`" + (f" ({data['signer']})" if data.get("signer") else "")
    is_trusted = None if trusted is None else entry.raw_key in trusted
    if not _verifies(entry):
        return (SignatureStatus(data["key"], data.get("signer"), data["signed_at"], False,
                                False, is_trusted),
                _problem(root, f"the signature by {by} does not verify with its own public "
                         f"key: {SIGNATURE_FILE} was edited or damaged after signing",
                         "bad_signature", where))
    current = data["digest"] == now.digest and data.get("lock") == now.lock
    status = SignatureStatus(data["key"], data.get("signer"), data["signed_at"], True,
                             current, is_trusted)
    if current:
        return status, None
    changes = describe_changes(data["files"], data.get("lock"), now)
    return status, _problem(root, f"the bundle changed since it was signed by {by} at "
                            f"{data['signed_at']}: {changes}; sign it again once the change "
                            "is approved", "stale_signature", where)


def _trusted(root: Path, trusted_keys: Iterable[Any]) -> dict[bytes, str]:
    """The trusted keys' raw bytes and ids.

    Raises:
        PolicyError: a key cannot be read, or there is none (``bad_key``).
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from finpolicy.audit.errors import AuditError
    from finpolicy.audit.keys import key_id, load_public_key, public_key_bytes

    if isinstance(trusted_keys, str | bytes | os.PathLike | Ed25519PublicKey):
        trusted_keys = [trusted_keys]  # one key, not its path's characters or bytes
    if not isinstance(trusted_keys, Iterable):
        raise PolicyError([_problem(root, "trusted_keys: expected public keys (PEM paths, PEM "
                                    f"bytes or keys), got {type(trusted_keys).__name__}",
                                    "bad_key")])
    try:
        keys = [load_public_key(k) for k in trusted_keys]
    except AuditError as exc:
        raise PolicyError([_problem(root, str(exc), "bad_key")]) from None
    if not keys:
        raise PolicyError([_problem(root, "trusted_keys is empty: name at least one key",
                                    "bad_key")])
    return {public_key_bytes(k): key_id(k) for k in keys}


def verify_signatures(bundle: Any, trusted_keys: Iterable[Any] | None = None,
                      ) -> SignatureReport:
    """Check every signature in the bundle's ``bundle.sig`` (see the module's docstring).

    Raises:
        PolicyError: a trusted key cannot be read (``bad_key``).
    """
    root = Path(bundle.root)
    trusted = None if trusted_keys is None else _trusted(root, trusted_keys)
    try:
        found = signatures(root)
    except PolicyError as exc:
        return SignatureReport((), exc.problems, trusted is not None)
    now = bundle_state(bundle)
    checked = [_check(root, i, raw, now, trusted) for i, raw in enumerate(found)]
    statuses = tuple(status for status, _ in checked)
    problems = [problem for _, problem in checked if problem is not None]
    if trusted is not None and not statuses:
        problems.append(_problem(root, "the bundle is not signed, and a signature by a "
                                 "trusted key is required", "unsigned_bundle"))
    elif trusted is not None and not any(s.trusted for s in statuses):
        signed = ", ".join(sorted({s.key for s in statuses}))
        problems.append(_problem(root, "no signature by a trusted key "
                                 f"({', '.join(sorted(trusted.values()))}); signed by: "
                                 f"{signed}", "bad_signature"))
    return SignatureReport(statuses, tuple(problems), trusted is not None, bool(found))


def check_signatures(bundle: Any, trusted_keys: Iterable[Any]) -> tuple[str, ...]:
    """The trusted keys whose signature of ``bundle`` verifies.

    Raises:
        PolicyError: any problem ``verify_signatures`` finds.
    """
    report = verify_signatures(bundle, trusted_keys)
    if report.problems:
        raise PolicyError(report.problems)
    return report.signed_by


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: a terminal's byte that is not UTF-8
        return False
    return True


def sign_bundle(bundle: Any, private_key: Any, *, signer: str | None = None) -> Path:
    """Add (or renew) this key's signature of ``bundle`` as it is, lock file included.

    Other keys' signatures of the same state are kept; those of another state (an older
    text or lock), those that do not verify and an unreadable or older-format file are
    dropped.

    Raises:
        InputError: ``signer`` is not text (it holds bytes that are not UTF-8); nothing is
            written then, and ``bundle.sig`` is only ever replaced whole; or the bundle is
            one a git revision holds (``git:REV:PATH``, read-only).
    """
    from finpolicy.audit.keys import key_id, load_private_key, public_key_bytes
    from finpolicy.documents.git import read_only

    read_only(bundle.root, "sign")

    if signer is not None and (not isinstance(signer, str) or not _is_text(signer)):
        raise InputError.one("signer", "expected text (UTF-8), got "
                             f"{signer!r}"[:120], "bad_option", signer)
    key = load_private_key(private_key)
    root = Path(bundle.root)
    kid = key_id(key.public_key())
    now = bundle_state(bundle)
    try:
        found = signatures(root)
    except PolicyError:
        found = []
    kept = []
    for raw in found:
        entry = _parse(raw)
        if isinstance(entry, _Entry) and entry.data["key"] != kid and _verifies(entry) and \
                entry.data["digest"] == now.digest and entry.data.get("lock") == now.lock:
            kept.append(raw)
    new: dict[str, Any] = {
        "key": kid, "public_key": base64.b64encode(public_key_bytes(key.public_key())).decode(),
        "signer": signer, "signed_at": dt.datetime.now(dt.UTC).isoformat(),
        "bundle": bundle.name, "version": bundle.version, "digest": now.digest,
        "lock": now.lock, "files": dict(sorted(now.files.items()))}
    new["sig"] = base64.b64encode(key.sign(_message(new))).decode()
    path = root / SIGNATURE_FILE
    replace_file(path, json.dumps({"format": FORMAT, "bundle": bundle.name,
                                   "version": bundle.version, "signatures": [*kept, new]},
                                  indent=2, ensure_ascii=False) + "\n")
    return path


def check_signed_before_loading(root: str | Path, trusted_keys: Iterable[Any],
                                ) -> tuple[Mapping[str, Any], ...]:
    """Refuse a pack that no trusted key signed, or whose policy files are not the ones a
    trusted key signed, from ``bundle.sig`` and the file names alone: before any policy file
    is parsed. Returns what each trusted signature of the pack as named says (its ``bundle``,
    ``version``, ``signed_at`` …): a hot reload refuses an older release from them, before
    loading it (empty when the folder cannot be listed). ``load_bundle`` checks the
    signatures after loading the pack (they are of its parsed content), so a pack no one
    signed, of many 16 MiB files, cost seconds of CPU at each reload before being refused;
    this check costs a few milliseconds. It is no substitute for the check after loading (a
    file's content is not looked at here).

    Raises:
        PolicyError: ``unsigned_bundle``, ``bad_signature`` (none by a trusted key verifies)
            or ``stale_signature`` (policy files added, removed or renamed, or the lock
            changed, since a trusted key signed), or a trusted key cannot be read (``bad_key``).
    """
    root = Path(root)
    trusted = _trusted(root, trusted_keys)
    try:
        found = signatures(root)
    except PolicyError as exc:
        raise PolicyError(exc.problems) from None
    if not found:
        raise PolicyError([_problem(root, "the bundle is not signed, and a signature by a "
                                    "trusted key is required", "unsigned_bundle")])
    entries = [entry for entry in map(_parse, found) if isinstance(entry, _Entry)
               and entry.raw_key in trusted and _verifies(entry)]
    if not entries:
        raise PolicyError([_problem(root, "no intact signature by a trusted key "
                                    f"({', '.join(sorted(trusted.values()))})",
                                    "bad_signature")])
    try:
        names = {p.name for p in root.iterdir()
                 if p.suffix in (".yaml", ".yml") and p.is_file()} | {MANIFEST}
    except OSError:  # (loading names what it cannot read)
        return ()
    lock = lock_digest(root)
    matching = tuple(e.data for e in entries
                     if set(e.data["files"]) == names and e.data.get("lock") == lock)
    if matching:
        return matching
    signed = entries[0].data
    added, gone = sorted(names - set(signed["files"])), sorted(set(signed["files"]) - names)
    changes = [f"{name} added" for name in added] + [f"{name} removed" for name in gone]
    if signed.get("lock") != lock:
        changes.append(f"{LOCK_FILE} changed")
    raise PolicyError([_problem(root, f"the bundle changed since a trusted key signed it: "
                                f"{', '.join(changes)}; sign it again once the change is "
                                "approved", "stale_signature")])
