"""The bundles that decided a log's entries, for replay: found by digest at the folder each
entry recorded or among those given, approved when trusted keys are given (a current
signature by one of them), and what else an entry was decided with (calendar data,
finpolicy) that the bundle digest does not pin."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from finpolicy.audit.errors import AuditError
from finpolicy.documents.bundle import Bundle, load_bundle
from finpolicy.documents.git import is_git_spec
from finpolicy.errors import FinpolicyError, PolicyError

if TYPE_CHECKING:
    from finpolicy.audit.replay import Entry

__all__ = ["Deciders", "Elsewhere", "at_root"]


class Deciders:
    """The bundle (and an engine for it) that decided each entry, found by digest."""

    def __init__(self, given: Iterable[Bundle], trusted_keys: Iterable[Any] | None = None
                 ) -> None:
        self.bundles = {b.digest: b for b in given}
        self.given = tuple(self.bundles.values())
        self.engines: dict[tuple[str, str], Any] = {}
        self.missing: dict[str, str] = {}  # digests not found, and why
        self.used: set[str] = set()  # digests that decided an entry
        self.trusted = None if trusted_keys is None else _trusted(trusted_keys)
        self.signed_by: dict[str, tuple[str, ...]] = {}  # digest: the trusted keys that signed

    def bundle(self, entry: Entry) -> Bundle:
        digest = entry.bundle_digest
        found = self.bundles.get(digest)
        if found is None and digest not in self.missing:
            root = entry.env.get("bundle", {}).get("root")
            found, self.missing[digest] = at_root(root, digest)
            if found is not None:
                self.bundles[digest] = found
        if found is None:
            info = entry.env.get("bundle", {})
            given = "" if not self.given else " (the bundles given are " + ", ".join(
                f"{b.name} {b.version}, {b.digest[:12]}" for b in self.given) + ")"
            raise AuditError(f"entry {entry.seq}: the bundle that decided it "
                             f"({info.get('name')} {info.get('version')}, {digest[:12]}) is "
                             f"not at its recorded folder any more: {self.missing[digest]}; "
                             f"pass it with --with{given}")
        if self.trusted is not None and digest not in self.signed_by:
            self.signed_by[digest] = self._approved(entry, found)
        self.used.add(digest)
        return found

    def _approved(self, entry: Entry, bundle: Bundle) -> tuple[str, ...]:
        """The trusted keys whose current signature ``bundle`` carries (its ``bundle.sig``
        signs this very digest); an ``AuditError`` naming the entry when there is none."""
        from finpolicy.documents.signing import check_signatures

        try:
            return check_signatures(bundle, self.trusted or ())
        except PolicyError as exc:
            raise AuditError(f"entry {entry.seq}: the bundle that decided it ({bundle.name} "
                             f"{bundle.version}, {bundle.digest[:12]}) at {bundle.root} is not "
                             f"approved: {exc.problems[0].message}") from None

    def approved_by(self) -> tuple[str, ...] | None:
        """The trusted keys that signed the deciding bundles (``None``: none were required)."""
        if self.trusted is None:
            return None
        return tuple(sorted({k for d in self.used for k in self.signed_by.get(d, ())}))

    def engine(self, bundle: Bundle, name: str) -> Any:
        from finpolicy.engine import PolicyEngine

        key = (bundle.digest, name)
        if key not in self.engines:
            self.engines[key] = PolicyEngine(bundle, engine=name)
        return self.engines[key]


def _trusted(trusted_keys: Iterable[Any]) -> list[Any]:
    """The approvers' public keys, each read before any entry is: a key that cannot be read
    is refused by name, even in a log with no decision to approve.

    Raises:
        AuditError: a key is unreadable or no Ed25519 public key, or none is given.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from finpolicy.audit.keys import load_public_key

    if isinstance(trusted_keys, str | bytes | os.PathLike | Ed25519PublicKey):
        trusted_keys = [trusted_keys]  # one key, not its path's characters
    if not isinstance(trusted_keys, Iterable):
        raise AuditError("trusted_keys: expected approvers' public keys (PEM paths, PEM "
                         f"bytes or keys), got {type(trusted_keys).__name__}")
    keys = list(trusted_keys)
    if not keys:
        raise AuditError("trusted_keys is empty: name at least one approver's public key")
    try:
        return [load_public_key(k) for k in keys]
    except AuditError as exc:
        raise AuditError(f"a trusted key: {exc} (expected an approver's Ed25519 public key, "
                         "PEM: the public-key.pem beside the key that signed the bundle)"
                         ) from None


def at_root(root: Any, digest: str) -> tuple[Bundle | None, str]:
    """The bundle of ``digest`` at the folder an entry recorded, or why it is not there (the
    folder gone, no longer loading, or holding another bundle: an edit in place)."""
    if not root:
        return None, "the entry names no folder"
    if not is_git_spec(root) and not os.path.isdir(root):
        where = "" if os.path.isabs(root) else " here (recorded relative to the folder the " \
            "application ran in)"
        return None, f"{root} does not exist{where}"
    try:
        candidate = load_bundle(root)
    except FinpolicyError as exc:
        problems = getattr(exc, "problems", ())
        return None, f"{root} does not load ({problems[0] if problems else exc})"
    if candidate.digest != digest:
        return None, (f"{root} holds {candidate.name} {candidate.version} "
                      f"({candidate.digest[:12]}) now: its content changed since")
    return candidate, ""


class Elsewhere:
    """Entries decided with another calendar data version or finpolicy than this one: the
    bundle pins the policies, not these, so a difference may come from them."""

    def __init__(self) -> None:
        from finpolicy import __version__
        from finpolicy.calendars import calendar_data_version

        self.now = {"calendar": calendar_data_version(), "finpolicy": f"finpolicy {__version__}"}
        self.seen: dict[tuple[str, str], list[int]] = {}  # first, last, entries, differing

    def add(self, entry: Entry, differs: bool) -> None:
        for what, now in self.now.items():
            logged = entry.env.get(what)
            logged = logged if what == "calendar" or logged is None else f"finpolicy {logged}"
            if logged is not None and logged != now:
                found = self.seen.setdefault((what, str(logged)), [entry.seq, entry.seq, 0, 0])
                found[1], found[2], found[3] = entry.seq, found[2] + 1, found[3] + differs

    def warnings(self) -> tuple[str, ...]:
        why = {"calendar": "working days, and so deadlines, may differ",
               "finpolicy": "a decision may differ by finpolicy itself"}
        return tuple(
            f"{count:,} entr{'y' if count == 1 else 'ies'} ({first}–{last}) were decided with "
            f"{logged}, replayed with {self.now[what]}: {why[what]} ({differing:,} of them "
            "did not reproduce)" for (what, logged), (first, last, count, differing)
            in self.seen.items())
