"""Lock files: the content and the effective window of every released policy version.

``finpolicy bundle lock PACK`` (``write_lock``) writes ``PACK/bundle.lock``: for each policy
version, its file, the digest of its content and its window (``effective_from``,
``effective_until``). The content digest is sha256 over the document's canonical JSON without
the window: comments and layout may change freely, and so may the window — ending a released
version when its successor starts, or moving the start of one not yet in force, is
lifecycle, not a change of what the version says. Once locked, loading the pack refuses

- a locked version whose content changed (``released_version_changed``): an in-place edit of
  ``2.0.0`` that decisions would still call ``2.0.0``; the change needs a new version;
- a locked version whose window is not the one locked (``released_window_changed``) until
  ``bundle lock`` records it, which it does only when every day that changes version comes
  after the day of locking (``retroactive_window``): decisions already made keep theirs;
- a locked version that left the folder (``locked_version_missing``): decisions it made could
  no longer be replayed.

A deliberate exception (a released version corrected in place, one retired, a window changed
in the past) is locked with ``amend`` (``bundle lock --amend ID@VERSION``), one version at a
time, and shows in review as a change of ``bundle.lock``.

The lock guards against mistakes, not against whoever can write to the pack: they can edit or
delete ``bundle.lock`` as easily as a policy. Only a signature covers the lock
(``finpolicy.documents.signing``); in an unsigned pack nothing protects it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from finpolicy import atomic
from finpolicy.documents.digests import canonical_json, content_digest, sha256
from finpolicy.errors import InputError, InputProblem, PolicyError, Problem
from finpolicy.limits import MAX_PIN_FILE_BYTES

__all__ = ["LOCK_CODES", "LOCK_FILE", "Difference", "Lock", "LockUpdate", "check_lock",
           "differences", "lock_data", "lock_digest", "read_lock", "read_pin_file",
           "replace_file", "write_lock"]

LOCK_FILE = "bundle.lock"
FORMAT = "finpolicy-lock/2"
_FORMAT_1 = "finpolicy-lock/1"  # digests of whole documents, windows not recorded (read)
LOCK_CODES = frozenset({"bad_lock", "released_version_changed", "released_window_changed",
                        "locked_version_missing"})


@attrs.frozen(slots=True)
class Lock:
    """A lock file as read: where it is, whether it is of the first format, its entries
    (``id@version`` → ``{"file", "digest", "effective_from", "effective_until"}``)."""

    path: Path
    legacy: bool
    entries: Mapping[str, Mapping[str, Any]]


Window = tuple[dt.date, dt.date | None]


@attrs.frozen(slots=True)
class Difference:
    """A locked version against its entry: its content changed (``kind="content"``), its
    window is not the locked one (``"window"``, with the window locked) or it is gone
    (``"missing"``)."""

    key: str
    kind: str
    entry: Mapping[str, Any]
    doc: Any = None
    locked: Window | None = None


@attrs.frozen(slots=True)
class LockUpdate:
    """What ``write_lock`` wrote: the lock file and the versions newly locked, whose new
    window it recorded, amended on purpose and retired."""

    path: Path
    added: tuple[str, ...] = ()
    windows: tuple[str, ...] = ()
    amended: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()


def lock_data(bundle: Any) -> dict[str, Any]:
    """The lock of ``bundle``: each policy version's file, content digest and window."""
    def entry(doc: Any) -> dict[str, Any]:
        until = doc.metadata.effective_until
        return {"file": Path(doc.file).name, "digest": content_digest(doc.data),
                "effective_from": doc.metadata.effective_from.isoformat(),
                "effective_until": None if until is None else until.isoformat()}

    return {"format": FORMAT, "bundle": bundle.name,
            "policies": {doc.key: entry(doc)
                         for doc in sorted(bundle.documents, key=lambda d: d.key)}}


def read_pin_file(path: Path) -> bytes:
    """The bytes of a pack's ``bundle.lock`` or ``bundle.sig``: a regular file of at most
    ``MAX_PIN_FILE_BYTES``, read no further (a FIFO, a device or a sparse file of gigabytes
    in a pack no one signed is refused, never waited on nor read whole).

    Raises:
        OSError: it cannot be opened or read.
        ValueError: it is no regular file, or is larger than the limit (said in words).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # (a FIFO: no waiting)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(MAX_PIN_FILE_BYTES + 1)
    if len(data) > MAX_PIN_FILE_BYTES:
        raise ValueError(f"larger than {MAX_PIN_FILE_BYTES // 2**20} MiB")
    return data


def read_lock(root: Path) -> Lock | None:
    """The lock in ``root`` (``None`` when there is none).

    Raises:
        PolicyError: the lock file is not a lock (``bad_lock``), or not a regular file of at
            most ``MAX_PIN_FILE_BYTES``.
    """
    path = root / LOCK_FILE
    if not os.path.lexists(path):
        return None
    try:
        data = json.loads(read_pin_file(path).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise PolicyError([Problem(str(path), None, "", f"unreadable lock file: {reason}",
                                   "bad_lock")]) from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, _FORMAT_1) or \
            not isinstance(data.get("policies"), dict):
        raise PolicyError([Problem(str(path), None, "", f"not a {FORMAT} lock file",
                                   "bad_lock")])
    legacy = data["format"] == _FORMAT_1
    bad = [Problem(str(path), None, f"policies.{key}", "expected `file`, `digest`, "
                   "`effective_from` (an ISO date) and `effective_until` (an ISO date, or null "
                   "while open-ended)", "bad_lock")
           for key, entry in data["policies"].items() if not _entry_ok(entry, legacy)]
    if bad:
        raise PolicyError(bad)
    return Lock(path, legacy, data["policies"])


def _entry_ok(entry: Any, legacy: bool) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
        return False
    if legacy:
        return True
    try:
        _window(entry)
    except (TypeError, ValueError):
        return False
    return True


def _window(entry: Mapping[str, Any]) -> Window:
    """The window an entry of the current format records (``ValueError`` when it is none)."""
    until = entry.get("effective_until", "")
    return (dt.date.fromisoformat(entry["effective_from"]),
            None if until is None else dt.date.fromisoformat(until))


def lock_digest(root: Path) -> str | None:
    """What a signature records of the lock file: sha256 over its canonical JSON (over its
    bytes when it is not JSON), ``None`` when there is none."""
    path = root / LOCK_FILE
    if not os.path.lexists(path):
        return None
    try:
        raw = read_pin_file(path)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    except ValueError as exc:
        return f"unreadable: {exc}"
    try:
        return sha256(canonical_json(json.loads(raw)))
    except (ValueError, RecursionError):
        return hashlib.sha256(raw).hexdigest()


def differences(lock: Lock, documents: Iterable[Any]) -> list[Difference]:
    """Every locked version whose content or end is not the locked one, or that is gone."""
    found = []
    present = set()
    for doc in documents:
        present.add(doc.key)
        entry = lock.entries.get(doc.key)
        if entry is None:
            continue
        same, window = _locked(entry, lock.legacy, doc)
        if not same:
            found.append(Difference(doc.key, "content", entry, doc))
        elif window != _window_of(doc):
            found.append(Difference(doc.key, "window", entry, doc, window))
    return found + [Difference(key, "missing", lock.entries[key])
                    for key in sorted(set(lock.entries) - present)]


def _window_of(doc: Any) -> Window:
    return doc.metadata.effective_from, doc.metadata.effective_until


def _locked(entry: Mapping[str, Any], legacy: bool, doc: Any) -> tuple[bool, Window]:
    """Whether ``doc``'s content is the locked one, and the window the lock records."""
    if not legacy:
        return entry["digest"] == content_digest(doc.data), _window(entry)
    # the digest of the whole document: an open-ended version may have been ended since
    if entry["digest"] == doc.digest:
        return True, _window_of(doc)
    return (entry["digest"] == content_digest(doc.data, ("effective_until",)),
            (doc.metadata.effective_from, None))


def check_lock(root: Path, documents: Iterable[Any], problems: list[Problem]) -> None:
    """Add a problem for every locked version whose content or end changed, or that is gone."""
    try:
        lock = read_lock(root)
    except PolicyError as exc:
        problems.extend(exc.problems)
        return
    if lock is not None:
        problems.extend(_problem(d, lock.path) for d in differences(lock, documents))


def _line(doc: Any, key: str) -> int | None:
    return doc.source.line_of(("metadata", key)) if doc.source is not None else None


def _words(window: Window) -> str:
    return f"{window[0]}..{window[1] or ''}"


def _problem(d: Difference, path: Path) -> Problem:
    """What loading says of a difference."""
    if d.kind == "missing":
        file = d.entry.get("file")
        where = f" (locked in {file})" if isinstance(file, str) else ""
        return Problem(str(path), None, f"policies.{d.key}", f"`{d.key}`{where} is locked but "
                       "no longer in the bundle, so decisions it made could not be replayed: "
                       "restore it, or retire it with `finpolicy bundle lock --amend "
                       f"{d.key}`", "locked_version_missing")
    doc = d.doc
    if d.kind == "window":
        assert d.locked is not None
        return Problem(doc.file, _line(doc, _changed_key(d)), f"metadata.{_changed_key(d)}",
                       f"`{doc.id}` {doc.version} is in force {doc.metadata.window()} but "
                       f"{LOCK_FILE} locked it for {_words(d.locked)}: record the change "
                       "with `finpolicy bundle lock`", "released_window_changed")
    file = d.entry.get("file")
    moved = f", locked as {file}" if isinstance(file, str) and file != Path(doc.file).name \
        else ""
    return Problem(doc.file, _line(doc, "version"), "metadata.version",
                   f"`{doc.id}` {doc.version} is not as {LOCK_FILE} recorded it at its "
                   f"release (content {content_digest(doc.data)[:12]}, locked "
                   f"{str(d.entry['digest'])[:12]}{moved}): if the document changed, give the "
                   "change a new version (or lock a deliberate correction with `finpolicy "
                   f"bundle lock --amend {d.key}`); if not, {LOCK_FILE} was edited",
                   "released_version_changed")


def _changed_key(d: Difference) -> str:
    """``effective_from`` when the start moved, else ``effective_until``."""
    assert d.locked is not None
    return "effective_from" if d.locked[0] != d.doc.metadata.effective_from \
        else "effective_until"


def _first_changed_day(old: Window, new: Window) -> dt.date:
    """The first day in one window and not the other (the windows differ)."""
    days = [min(old[0], new[0])] if old[0] != new[0] else []
    if old[1] != new[1]:
        days.append(min(d for d in (old[1], new[1]) if d is not None) + dt.timedelta(days=1))
    return min(days)


def _refusal(d: Difference, path: Path, today: dt.date) -> Problem | None:
    """Why ``write_lock`` refuses to lock a difference, or ``None`` when it may."""
    if d.kind != "window":
        return _problem(d, path)
    assert d.locked is not None
    doc = d.doc
    first = _first_changed_day(d.locked, _window_of(doc))
    if first > today:
        return None
    return Problem(doc.file, _line(doc, _changed_key(d)), f"metadata.{_changed_key(d)}",
                   f"`{doc.id}` {doc.version}: changing its window from {_words(d.locked)} to "
                   f"{doc.metadata.window()} changes the version in force from {first}, not "
                   f"after the day of locking ({today}), so decisions already made would no "
                   "longer replay: change only days after it, or lock the change "
                   f"deliberately with `finpolicy bundle lock --amend {d.key}`",
                   "retroactive_window")


def _shown(path: Path) -> Path:
    """``path`` as loading names a pack's files: from the current folder when under it (a
    bundle's root is absolute)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def write_lock(bundle: Any, *, amend: Iterable[str] = (),
               today: dt.date | None = None) -> LockUpdate:
    """Write ``bundle.lock`` for ``bundle`` (loaded whatever its old lock says:
    ``load_unpinned``).

    Args:
        bundle: the bundle to lock.
        amend: versions (``"id@version"``) to lock as they are whatever changed: content
            corrected in place, a window changed in the past, or (gone from the folder)
            retired.
        today: the day of locking (default: today by the local clock); a changed window is
            recorded only when every day that changes version comes after it.

    Raises:
        PolicyError: a locked version changed, changed its window in the past or left, and
            is not in ``amend``; or the old lock is not a lock file. Nothing is written.
        InputError: ``amend`` names a version the lock does not hold, or the bundle is one
            a git revision holds (``git:REV:PATH``, read-only).
    """
    from finpolicy.documents.git import read_only

    root = Path(bundle.root)
    read_only(root, "lock")
    lock = read_lock(root)
    amended = set(amend)
    unknown = sorted(amended - set(lock.entries if lock else ()))
    if unknown:
        raise InputError([InputProblem("amend", f"`{key}` is not in {LOCK_FILE}: only a "
                                       "locked version can be amended", "bad_option", key)
                          for key in unknown])
    found = differences(lock, bundle.documents) if lock else []
    today = today or dt.date.today()
    shown = _shown(root / LOCK_FILE)
    problems = [p for d in found if d.key not in amended
                for p in [_refusal(d, shown, today)] if p is not None]
    if problems:
        raise PolicyError(problems)
    data = lock_data(bundle)
    path = root / LOCK_FILE
    replace_file(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return LockUpdate(
        path, tuple(sorted(set(data["policies"]) - set(lock.entries if lock else ()))),
        tuple(d.key for d in found if d.kind == "window" and d.key not in amended),
        tuple(d.key for d in found if d.kind != "missing" and d.key in amended),
        tuple(d.key for d in found if d.kind == "missing"))


def replace_file(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (``finpolicy.atomic.replace_file``): never through
    a link someone put in the folder, as the name ``.bundle.lock.<pid>.tmp`` was (a link
    planted under it had the signer overwrite the file it led to)."""
    atomic.replace_file(path, text.encode("utf-8"))


