"""Checking a bundle against what pins it: its lock file (``finpolicy.documents.lock``), an
expected digest and signatures (``finpolicy.documents.signing``).

``load_bundle(path, expect_digest=..., trusted_keys=...)`` raises for every problem these
checks find; ``verify_bundle`` (``finpolicy bundle verify``) reports them, with what was not
checked: without trusted keys, who signed; without a lock, released versions; without a
signature, the lock itself (whoever can write to the pack can edit or delete it).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from finpolicy.documents.lock import LOCK_FILE
from finpolicy.documents.signing import SignatureReport, verify_signatures
from finpolicy.errors import InputError, Problem

__all__ = ["BundleCheck", "check_pins", "expected_digest", "problem_dict", "verify_bundle"]

_HEX = frozenset("0123456789abcdef")


def expected_digest(value: str, name: str = "expect_digest") -> str:
    """``value`` as a bundle digest to compare with: 64 hexadecimal digits, in either case
    (returned in lower case, as digests are written).

    Raises:
        InputError: ``value`` is no sha256 digest, naming ``name``.
    """
    digest = value.lower() if isinstance(value, str) else ""
    if len(digest) != 64 or not set(digest) <= _HEX:
        got = f"`{str(value)[:80]}`" if value else "an empty value"
        raise InputError.one(name, "expected a bundle digest (sha256: 64 hexadecimal digits), "
                                   f"got {got}", "bad_option", value)
    return digest


def problem_dict(problem: Any) -> dict[str, Any]:
    """A ``Problem`` (or an ``InputProblem``) as JSON."""
    return {"file": problem.file, "line": problem.line, "path": problem.path,
            "code": problem.code, "message": problem.message}


@attrs.frozen(slots=True)
class BundleCheck:
    """What checking a bundle's lock, digest and signatures found.

    Attributes:
        bundle: the bundle's name.
        version: the bundle's version.
        digest: the bundle's digest.
        locked: whether the pack has a ``bundle.lock``.
        signatures: what ``bundle.sig`` holds, or ``None`` when it was not read
            (``load_bundle`` without ``trusted_keys``).
        problems: every failed check, sorted.
    """

    bundle: str
    version: str
    digest: str
    locked: bool
    signatures: SignatureReport | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def signer_checked(self) -> bool:
        """Whether a trusted key was required (otherwise anybody may have signed)."""
        return self.signatures is not None and self.signatures.signer_checked

    def notes(self) -> tuple[str, ...]:
        """What the checks did not cover, in words."""
        notes = []
        signed = self.signatures is not None and self.signatures.present
        if self.signatures is not None and not self.signer_checked:
            notes.append("signer not checked (no trusted key given): a signature shows that "
                         "the bundle did not change since it was signed, not who signed it"
                         if signed else "the bundle is not signed: nothing vouches for who "
                         "wrote it")
        if not self.locked:
            notes.append(f"no {LOCK_FILE}: released versions are not pinned")
        elif self.signatures is not None and not signed:
            notes.append(f"{LOCK_FILE} is covered by no signature: nothing would detect it "
                         "being edited or deleted")
        return tuple(notes)

    def to_dict(self) -> dict[str, Any]:
        statuses = () if self.signatures is None else self.signatures.signatures
        return {"bundle": self.bundle, "version": self.version, "digest": self.digest,
                "ok": self.ok, "locked": self.locked, "signer_checked": self.signer_checked,
                "signed_by": [] if self.signatures is None else
                list(self.signatures.signed_by),
                "signatures": [s.to_dict() for s in statuses],
                "problems": [problem_dict(p) for p in self.problems],
                "notes": list(self.notes())}


def check_pins(bundle: Any, lock_problems: Sequence[Problem], *,
               expect_digest: str | None = None, trusted_keys: Iterable[Any] | None = None,
               signatures: bool = True) -> BundleCheck:
    """Check ``bundle`` against an expected digest and (``signatures``) its ``bundle.sig``,
    adding what its lock check found (``lock_problems``).

    Raises:
        PolicyError: a trusted key cannot be read (``bad_key``).
        InputError: ``expect_digest`` is no sha256 digest (either case is the same digest).
    """
    problems = list(lock_problems)
    if expect_digest is not None:
        expect_digest = expected_digest(expect_digest)
    if expect_digest is not None and bundle.digest != expect_digest:
        problems.append(Problem(str(bundle.root), None, "", f"bundle digest {bundle.digest} "
                                f"is not the expected {expect_digest}", "digest_mismatch"))
    report = None
    if signatures:
        report = verify_signatures(bundle, trusted_keys)
        problems.extend(report.problems)
    return BundleCheck(bundle.name, bundle.version, bundle.digest,
                       (Path(bundle.root) / LOCK_FILE).exists(), report,
                       tuple(sorted(problems, key=Problem.sort_key)))


def verify_bundle(path: str | Path | None, *, expect_digest: str | None = None,
                  trusted_keys: Iterable[Any] | None = None) -> BundleCheck:
    """Check the bundle at ``path`` — its lock, its digest (``expect_digest``) and every
    signature in ``bundle.sig`` (by one of ``trusted_keys`` when given) — and report what
    fails instead of raising.

    Raises:
        PolicyError: the pack is invalid for another reason, or a trusted key cannot be read.
        InputError: ``expect_digest`` is no sha256 digest (checked first).
    """
    from finpolicy.documents.bundle import load_unpinned

    if expect_digest is not None:
        expect_digest = expected_digest(expect_digest)
    bundle, lock_problems = load_unpinned(path)
    return check_pins(bundle, lock_problems, expect_digest=expect_digest,
                      trusted_keys=trusted_keys)
