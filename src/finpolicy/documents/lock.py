"""Lock files: the content digest of every released policy version.

``finpolicy bundle lock PACK`` writes ``PACK/bundle.lock``. From then on, loading the pack
refuses a locked version whose content changed — an in-place edit of ``2.0.0`` that decisions
would still call ``2.0.0`` — until the change gets a new version (or the lock is rewritten
on purpose, which shows in review). A locked version that left the folder is refused too,
because decisions it made could no longer be replayed (delete its entry from the lock to
retire it). The digest is the document's own
(sha256 over its canonical JSON), so comments and layout may change freely.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finpolicy.errors import PolicyError, Problem

__all__ = ["LOCK_FILE", "check_lock", "lock_data", "write_lock"]

LOCK_FILE = "bundle.lock"
FORMAT = "finpolicy-lock/1"


def lock_data(bundle: Any) -> dict[str, Any]:
    """The lock of ``bundle``: each policy version's file and digest."""
    return {"format": FORMAT, "bundle": bundle.name,
            "policies": {doc.key: {"file": Path(doc.file).name, "digest": doc.digest}
                         for doc in sorted(bundle.documents, key=lambda d: d.key)}}


def read_lock(root: Path) -> dict[str, Any] | None:
    """The lock in ``root`` (``None`` when there is none).

    Raises:
        PolicyError: the lock file is not a lock.
    """
    path = root / LOCK_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PolicyError([Problem(str(path), None, "", f"unreadable lock file: {exc}",
                                   "bad_lock")]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or \
            not isinstance(data.get("policies"), dict):
        raise PolicyError([Problem(str(path), None, "", f"not a {FORMAT} lock file",
                                   "bad_lock")])
    return data


def check_lock(root: Path, documents: Sequence[Any], problems: list[Problem]) -> None:
    """Add a problem for every locked version whose content changed or that is gone."""
    try:
        lock = read_lock(root)
    except PolicyError as exc:
        problems.extend(exc.problems)
        return
    if lock is None:
        return
    locked: dict[str, Any] = lock["policies"]
    present = {doc.key for doc in documents}
    for doc in documents:
        entry = locked.get(doc.key)
        if isinstance(entry, dict) and entry.get("digest") != doc.digest:
            line = doc.source.line_of(("metadata", "version")) if doc.source else None
            problems.append(Problem(
                doc.file, line, "metadata.version",
                f"`{doc.id}` {doc.version} was released with digest "
                f"{str(entry.get('digest'))[:12]} ({LOCK_FILE}) and its content has changed "
                "since: give the change a new version", "released_version_changed"))
    for key in sorted(set(locked) - present):
        problems.append(Problem(str(root / LOCK_FILE), None, "policies",
                                f"`{key}` is locked but no longer in the bundle (decisions it "
                                "made could not be replayed); restore it or re-lock",
                                "locked_version_missing"))


def write_lock(bundle: Any) -> tuple[Path, list[str]]:
    """Write ``bundle.lock`` for a loaded bundle; returns its path and the versions newly
    locked.

    Raises:
        PolicyError: a locked version's content changed (bump its version) or is gone.
    """
    root = Path(bundle.root)
    old = read_lock(root) or {"policies": {}}
    new = lock_data(bundle)
    problems: list[Problem] = []
    check_lock(root, bundle.documents, problems)
    if problems:
        raise PolicyError(problems)
    added = sorted(set(new["policies"]) - set(old["policies"]))
    (root / LOCK_FILE).write_text(json.dumps(new, indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    return root / LOCK_FILE, added
