"""Checking a bundle against what pins it: its lock file (``finpolicy.documents.lock``), an
expected digest, a minimum version and signatures (``finpolicy.documents.signing``).

``load_bundle(path, expect_digest=..., trusted_keys=...)`` raises for every problem these
checks find; ``verify_bundle`` (``finpolicy bundle verify``) reports them, with what was not
checked: without trusted keys, who signed; without a lock, released versions; without a
signature, the lock itself (whoever can write to the pack can edit or delete it).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from finpolicy.documents.bundle import MANIFEST
from finpolicy.documents.lock import LOCK_FILE
from finpolicy.documents.signing import SignatureReport, verify_signatures
from finpolicy.errorcodes import declare
from finpolicy.errors import InputError, Problem

__all__ = ["BundleCheck", "check_pins", "expected_digest", "expected_version", "is_version",
           "older_version", "problem_dict", "verify_bundle", "version_key", "version_problem"]

_HEX = frozenset("0123456789abcdef")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?", re.ASCII)

declare("policy", {"downgrade": "A bundle's version is below the one it must not go below: "
                                "the version serving (a hot reload refuses a rollback unless "
                                "allowed) or a stated minimum version."})


def version_key(version: str) -> tuple[Any, ...]:
    """A sort key of semantic-version precedence: a pre-release (``2.0.0-rc.1``) before its
    release, its numeric identifiers compared as numbers, before alphanumeric ones."""
    found = _SEMVER.fullmatch(version)
    if found is None:  # (a manifest's version is validated: never here)
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = found.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    parts = tuple((0, int(p), "") if p.isdecimal() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0, parts)


def is_version(value: object) -> bool:
    """Whether ``value`` is a semantic version as a manifest holds one (``2.3.0``,
    ``2.0.0-rc.1``)."""
    return isinstance(value, str) and _SEMVER.fullmatch(value) is not None


def older_version(version: str, than: str) -> bool:
    """Whether semantic version ``version`` comes before ``than`` (``1.9.0`` before
    ``1.10.0``, ``2.0.0-rc.1`` before ``2.0.0``)."""
    return version_key(version) < version_key(than)


def expected_version(value: str, name: str = "min_version") -> str:
    """``value`` as a bundle version to compare with: a semantic version (``2.3.0``).

    Raises:
        InputError: ``value`` is no semantic version, naming ``name``.
    """
    if not is_version(value):
        got = f"`{str(value)[:80]}`" if value else "an empty value"
        raise InputError.one(name, f"expected a semantic version like `2.3.0`, got {got}",
                             "bad_option", value)
    return value


def version_problem(bundle: Any, floor: str, what: str, hint: str = "") -> Problem | None:
    """The problem of ``bundle`` when its version is below ``floor`` (``what`` says what
    ``floor`` is: "the minimum version", "the version serving"; ``hint`` what to do about
    it), naming its manifest and version; ``None`` when it is not below."""
    if not older_version(bundle.version, floor):
        return None
    return Problem(str(Path(bundle.root) / MANIFEST), None, "version",
                   f"bundle {bundle.name} version {bundle.version} is older than {floor}, "
                   f"{what}: an older release is refused, though a trusted key may have "
                   f"signed it (a rollback to a rule since fixed){hint}", "downgrade")


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
               signatures: bool = True, min_version: str | None = None) -> BundleCheck:
    """Check ``bundle`` against an expected digest, a minimum version (``min_version``: an
    older one is a ``downgrade``) and (``signatures``) its ``bundle.sig``, adding what its
    lock check found (``lock_problems``).

    Raises:
        PolicyError: a trusted key cannot be read (``bad_key``).
        InputError: ``expect_digest`` is no sha256 digest (either case is the same digest),
            or ``min_version`` no semantic version.
    """
    problems = list(lock_problems)
    if expect_digest is not None:
        expect_digest = expected_digest(expect_digest)
    if min_version is not None:
        below = version_problem(bundle, expected_version(min_version), "the minimum version")
        problems.extend([below] if below is not None else [])
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
                  trusted_keys: Iterable[Any] | None = None,
                  min_version: str | None = None) -> BundleCheck:
    """Check the bundle at ``path`` — its lock, its digest (``expect_digest``), its version
    (not below ``min_version``) and every signature in ``bundle.sig`` (by one of
    ``trusted_keys`` when given) — and report what fails instead of raising.

    Raises:
        PolicyError: the pack is invalid for another reason, or a trusted key cannot be read.
        InputError: ``expect_digest`` is no sha256 digest or ``min_version`` no semantic
            version (checked first).
    """
    from finpolicy.documents.bundle import load_unpinned

    if expect_digest is not None:
        expect_digest = expected_digest(expect_digest)
    if min_version is not None:
        min_version = expected_version(min_version)
    bundle, lock_problems = load_unpinned(path)
    return check_pins(bundle, lock_problems, expect_digest=expect_digest,
                      trusted_keys=trusted_keys, min_version=min_version)
