"""One writing log per store. A log holds an exclusive advisory lock on its store while it is
open — a lock file beside a JSON-lines folder's segments or an SQLite file, PostgreSQL's
advisory lock for a table — so a second log opened on the same store, in another process or
in this one, fails at once instead of interleaving two hash chains (which ``verify`` would
then report as tampering). Readers (``verify_log``, ``replay_log``) take no lock."""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Callable
from pathlib import Path

from finpolicy.audit.errors import AuditError

__all__ = ["busy", "claim_file"]

# lock descriptors held in this process -> their release (run by ``close`` or collection)
_CLAIMS: dict[int, weakref.finalize[[int], object]] = {}


def _drop_inherited() -> None:
    # a forked child closes its copies: the lock stays the opener's, and ends with it
    for fd, release in list(_CLAIMS.items()):
        release.detach()
        os.close(fd)
    _CLAIMS.clear()


os.register_at_fork(after_in_child=_drop_inherited)


def busy(store: str, holder: str = "") -> str:
    """The message for a store another log is writing to."""
    return (f"{store} is already open for writing by another decision log"
            f"{f' ({holder})' if holder else ''}: a store holds one log's hash chain, so "
            "give each process (and each log) its own folder, SQLite file or PostgreSQL table")


def _release(fd: int) -> None:
    _CLAIMS.pop(fd, None)
    os.close(fd)


def claim_file(path: Path, store: str, owner: object) -> Callable[[], None]:
    """Lock ``path`` (the lock file of ``store``) for as long as ``owner`` lives; call what
    it returns to release it sooner. Claims nothing where the platform has no ``flock``
    (Windows)."""
    if sys.platform == "win32":
        return lambda: None
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:  # a file where the folder should be, no such place, no right
        raise AuditError(f"{store}: cannot write there ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 100, 0).decode("utf-8", "replace").strip()
        os.close(fd)
        raise AuditError(busy(store, holder)) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"process {os.getpid()}".encode(), 0)
    release = _CLAIMS[fd] = weakref.finalize(owner, _release, fd)
    return release
