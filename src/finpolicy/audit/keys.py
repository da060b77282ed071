"""Keys of a decision log: an Ed25519 pair that signs checkpoints, and a secret that seals inputs.

The bank holds two secrets and publishes one key:

- the **signing key** (Ed25519, PKCS#8 PEM) signs checkpoints; its public half goes to
  auditors, who verify with it alone;
- the **sealing secret** (32 random bytes, base64 in a file) derives, by HKDF-SHA256, the
  AES-256-GCM key that encrypts each logged input and the HMAC-SHA256 key of the masked
  values' keyed hashes. Only replay and a search by value need it.

``cryptography`` comes with the ``audit`` extra; importing this module without it raises an
``AuditError`` naming the extra.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import attrs

from finpolicy.audit.errors import AuditError

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
except ModuleNotFoundError as exc:  # pragma: no cover - the test extra installs it
    raise AuditError("decision logs and signed bundles need `cryptography`: "
                     "pip install 'finpolicy[audit]'") from exc

__all__ = [
    "AuditKeys",
    "InvalidSignature",
    "checked_keys",
    "generate_keys",
    "key_id",
    "load_private_key",
    "load_public_key",
    "public_key_bytes",
]

SIGNING_FILE = "signing-key.pem"
PUBLIC_FILE = "public-key.pem"
SEALING_FILE = "sealing-secret.b64"
_NONCE = 12


class _Nonces:
    """Random AES-GCM nonces drawn from the system in bulk (one call per 512: sealing runs
    once per logged decision). A forked child discards the pool it inherited, so no nonce is
    ever used twice."""

    def __init__(self, count: int = 512) -> None:
        self._size = _NONCE * count
        self._lock = threading.Lock()
        self._pool = b""
        self._at = 0

    def take(self) -> bytes:
        with self._lock:
            at = self._at
            if at >= len(self._pool):
                self._pool, at = os.urandom(self._size), 0
            self._at = at + _NONCE
            return self._pool[at:at + _NONCE]

    def discard(self) -> None:
        self._pool, self._at = b"", 0
        self._lock = threading.Lock()  # a lock held by another thread at fork stays held


_NONCES = _Nonces()
os.register_at_fork(after_in_child=_NONCES.discard)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def _read(source: str | Path | bytes, what: str) -> bytes:
    if isinstance(source, bytes):
        return source
    if not isinstance(source, str | os.PathLike):
        raise AuditError(f"the {what}: expected a PEM file's path, PEM bytes or a key, got "
                         f"{type(source).__name__} {source!r:.40}")
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise AuditError(f"{source}: cannot read the {what}: {exc.strerror}") from None


def load_public_key(source: str | Path | bytes | Ed25519PublicKey) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file, PEM bytes, or the key itself.

    Raises:
        AuditError: the source is unreadable or holds no Ed25519 public key.
    """
    if isinstance(source, Ed25519PublicKey):
        return source
    data = _read(source, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise AuditError(f"{_name(source)}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise AuditError(f"{_name(source)}: expected an Ed25519 public key, got "
                         f"{type(key).__name__}")
    return key


def load_private_key(source: str | Path | bytes | Ed25519PrivateKey) -> Ed25519PrivateKey:
    """An Ed25519 private key from an unencrypted PKCS#8 PEM file or bytes.

    Raises:
        AuditError: the source is unreadable or holds no Ed25519 private key.
    """
    if isinstance(source, Ed25519PrivateKey):
        return source
    data = _read(source, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise AuditError(f"{_name(source)}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{_name(source)}: expected an Ed25519 private key, got "
                         f"{type(key).__name__}")
    return key


def _name(source: object) -> str:
    return "key" if isinstance(source, bytes) else str(source)


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"finpolicy-audit/1 " + label).derive(secret)


@attrs.frozen(slots=True)
class AuditKeys:
    """The keys one party holds.

    Args:
        public_key: verifies checkpoints (everyone who verifies has it). ``None`` (given) for
            keys that hold the sealing secret alone, as a bank may hand an examiner who
            replays or searches a log: reading ``public_key`` (or ``key_id``) of those
            raises an ``AuditError`` saying verification needs ``public-key.pem``.
        signing_key: signs checkpoints (the writer); ``None`` for a verifier.
        sealing_secret: seals inputs and keys the hashes of masked values (the writer, and
            whoever replays); ``None`` for a verifier.
    """

    _public_key: Ed25519PublicKey | None
    signing_key: Ed25519PrivateKey | None = attrs.field(default=None, repr=False)
    sealing_secret: bytes | None = attrs.field(default=None, repr=False)
    _aead: AESGCM | None = attrs.field(init=False, default=None, repr=False, eq=False)
    _hmac_key: bytes | None = attrs.field(init=False, default=None, repr=False, eq=False)
    _secret_id: str | None = attrs.field(init=False, default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self._public_key is None:
            if self.signing_key is not None:  # the pair's public half is the signing key's
                object.__setattr__(self, "_public_key", self.signing_key.public_key())
            elif self.sealing_secret is None:
                raise AuditError("keys: no public key, signing key nor sealing secret")
        if self.signing_key is not None and \
                public_key_bytes(self.signing_key.public_key()) != \
                public_key_bytes(self.public_key):
            raise AuditError(f"the public key ({key_id(self.public_key)}) is not the signing "
                             f"key's ({key_id(self.signing_key.public_key())}): every "
                             "checkpoint signed would fail verification; keep the pair "
                             "together")
        if self.sealing_secret is not None:
            if len(self.sealing_secret) < 32:
                raise AuditError("the sealing secret must be at least 32 bytes")
            object.__setattr__(self, "_aead", AESGCM(_derive(self.sealing_secret, b"seal")))
            object.__setattr__(self, "_hmac_key", _derive(self.sealing_secret, b"hmac"))
            object.__setattr__(self, "_secret_id", _derive(self.sealing_secret, b"id")[:8].hex())

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public key that verifies checkpoints.

        Raises:
            AuditError: these keys hold the sealing secret alone (enough to replay and to
                search a log, not to verify its signatures).
        """
        if self._public_key is None:
            raise AuditError(f"no public key: these keys hold the sealing secret alone, "
                             f"which replays and searches a log; verifying its checkpoints "
                             f"needs the bank's public key (`{PUBLIC_FILE}`)")
        return self._public_key

    @property
    def has_public_key(self) -> bool:
        """Whether these keys can verify checkpoints (``public_key`` can be read)."""
        return self._public_key is not None

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def secret_id(self) -> str | None:
        """Names the sealing secret without revealing it (16 hex digits derived from it apart
        from the sealing and hashing keys); ``None`` for a verifier."""
        return self._secret_id

    @classmethod
    def generate(cls) -> AuditKeys:
        """Fresh keys (for tests and a first setup; see ``save``)."""
        signing = Ed25519PrivateKey.generate()
        return cls(signing.public_key(), signing, os.urandom(32))

    @classmethod
    def load(cls, folder: str | Path, *, need_signing: bool = False,
             need_sealing: bool = False, need_public: bool = False) -> AuditKeys:
        """Keys from a folder written by ``save`` (or ``finpolicy audit keygen``).

        Missing parts are left out unless asked for: a folder holding only
        ``sealing-secret.b64`` (what replay and a search need) gives keys without a public
        key; ``need_public`` (verification) refuses it.

        Raises:
            AuditError: a needed file is missing or malformed, or the folder holds no key.
        """
        root = Path(folder)
        if not root.is_dir():
            raise AuditError(f"{root}: no such key folder")
        signing = None
        if (root / SIGNING_FILE).is_file():
            signing = load_private_key(root / SIGNING_FILE)
        elif need_signing:
            raise AuditError(f"{root / SIGNING_FILE}: no signing key")
        public = None
        if (root / PUBLIC_FILE).is_file():
            public = load_public_key(root / PUBLIC_FILE)
        elif signing is not None:
            public = signing.public_key()
        elif need_public:
            raise AuditError(f"{root / PUBLIC_FILE}: no public key (verifying a log's "
                             "checkpoints needs the bank's public key)")
        sealing = None
        if (root / SEALING_FILE).is_file():
            sealing = load_sealing_secret(root / SEALING_FILE)
        elif need_sealing:
            raise AuditError(f"{root / SEALING_FILE}: no sealing secret")
        if public is None and sealing is None:
            raise AuditError(f"{root}: no key: expected {PUBLIC_FILE}, {SIGNING_FILE} or "
                             f"{SEALING_FILE}")
        return cls(public, signing, sealing)

    def save(self, folder: str | Path) -> Path:
        """Write the keys as PEM / base64 files (private files readable by the owner only).

        Raises:
            AuditError: the folder holds another key already (overwriting a sealing secret
                would make its logs' masked values unreadable for good, and auditors may
                have pinned the public key), or cannot be written.
        """
        root = Path(folder)
        files = {} if self._public_key is None else {PUBLIC_FILE: self._public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)}
        if self.signing_key is not None:
            files[SIGNING_FILE] = self.signing_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
        if self.sealing_secret is not None:
            files[SEALING_FILE] = base64.b64encode(self.sealing_secret) + b"\n"
        try:
            for name, data in files.items():
                if (root / name).exists() and (root / name).read_bytes() != data:
                    raise AuditError(f"{root / name} holds another key: refusing to overwrite "
                                     "it (its logs would lose it; save these keys elsewhere)")
            root.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                if name == PUBLIC_FILE:
                    (root / name).write_bytes(data)
                else:
                    _write_private(root / name, data)
        except OSError as exc:
            raise AuditError(f"{root}: cannot write keys there ({exc.strerror or exc})"
                             ) from None
        return root

    def verifier(self) -> AuditKeys:
        """The public part only."""
        return AuditKeys(self.public_key)

    # --- operations ---------------------------------------------------------------------

    def sign(self, message: bytes) -> bytes:
        if self.signing_key is None:
            raise AuditError("no signing key: checkpoints cannot be signed")
        return self.signing_key.sign(message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def seal(self, plaintext: bytes, associated: bytes) -> bytes:
        """AES-256-GCM: nonce + ciphertext + tag, bound to ``associated`` data."""
        if self._aead is None:
            raise AuditError("no sealing secret: inputs cannot be sealed")
        nonce = _NONCES.take()
        return nonce + self._aead.encrypt(nonce, plaintext, associated)

    def unseal(self, sealed: bytes, associated: bytes) -> bytes:
        """The plaintext of ``seal``.

        Raises:
            AuditError: no sealing secret, another secret, or altered ciphertext.
        """
        if self._aead is None:
            raise AuditError("no sealing secret: give the key folder that holds "
                             f"`{SEALING_FILE}` to read sealed inputs")
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], associated)
        except InvalidTag:
            raise AuditError("a sealed input does not open with this sealing secret "
                             "(another secret, or the ciphertext was altered)") from None

    def keyed_hash(self, value: str) -> str:
        """HMAC-SHA256 of a masked value, 32 hex digits: lets the key holder find a value
        without storing it."""
        if self._hmac_key is None:
            raise AuditError("no sealing secret: masked values cannot be hashed")
        import hmac

        return hmac.digest(self._hmac_key, value.encode(), "sha256").hex()[:32]


def load_sealing_secret(path: str | Path) -> bytes:
    data = _read(path, "sealing secret").strip()
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        raise AuditError(f"{path}: expected base64 text") from None


def generate_keys(folder: str | Path) -> AuditKeys:
    """Generate and save fresh keys in ``folder``; refuses to overwrite existing keys."""
    root = Path(folder)
    for name in (PUBLIC_FILE, SIGNING_FILE, SEALING_FILE):
        if (root / name).exists():
            raise AuditError(f"{root / name} exists: refusing to overwrite a key (auditors "
                             "may have pinned the public key)")
    keys = AuditKeys.generate()
    keys.save(root)
    return keys


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def checked_keys(keys: Any) -> AuditKeys:
    """``keys`` when they are ``AuditKeys``; an ``AuditError`` saying how to make them when they
    are not (a key folder's path given instead fails later as AttributeError)."""
    if not isinstance(keys, AuditKeys):
        raise AuditError(f"keys: expected AuditKeys (AuditKeys.load(folder)), got "
                         f"{type(keys).__name__} {keys!r:.40}")
    return keys
