"""Where a bundle is: a folder or a shipped pack's name, and a folder that holds only its own
files (no link out of it, no loop of links)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from finpolicy.documents.git import checkout, is_git_spec
from finpolicy.errorcodes import declare
from finpolicy.errors import InputError, PolicyError, Problem

__all__ = ["DEFAULT_PACK", "link_target", "misplaced_documents", "resolve_bundle_path",
           "shipped_packs"]

DEFAULT_PACK = "cn-banking"
declare("policy", {"misplaced_document": "A policy document sits in a folder of the pack "
                                         "(`policies/access.yaml`), where loading would skip "
                                         "it."})
# the envelope's first key, as a policy document (not a test case nor an example) starts
_ENVELOPE = re.compile(r"^apiVersion:[ \t]*[\"']?finpolicy/", re.MULTILINE)


def shipped_packs() -> Path:
    """The folder holding the packs shipped with finpolicy."""
    installed = Path(str(resources.files("finpolicy"))) / "packs"
    if installed.is_dir():
        return installed
    # a source checkout (editable install): the packs live at the top of the repository
    return Path(__file__).resolve().parents[3] / "policies"


def resolve_bundle_path(path: str | Path | None) -> Path:
    """The folder of ``path``: a folder, the name of a shipped pack, or ``git:REV:PATH`` (the
    folder as the revision holds it, extracted: see ``finpolicy.documents.git``).

    A bare name that is both a shipped pack and a folder here is refused rather than guessed
    (``./NAME`` names the folder). A link in the pack, or in its first-level folders, that
    leads outside it is refused: loading reads only what the pack holds.

    Raises:
        PolicyError: ``ambiguous_bundle``, ``link_outside_pack`` or ``link_loop``.
        InputError: ``git:REV:PATH`` that git cannot extract (see ``checkout``), or a
            ``path`` that is no text or path (``bad_bundle``, naming ``path``).
    """
    if path is None:
        return _contained(shipped_packs() / DEFAULT_PACK)
    if not isinstance(path, str | os.PathLike):
        raise InputError.one("path", "expected a bundle folder, a shipped pack's name or "
                             f"git:REV:PATH, got {type(path).__name__}", "bad_bundle", path)
    if is_git_spec(path):
        return _contained(checkout(str(path)))
    name = str(path)
    if not name.strip():  # Path("") is the current folder, which no one meant
        raise PolicyError([Problem(name, None, "", "an empty path names no bundle (give a "
                                   "folder or a pack's name, or none for the default pack)",
                                   "no_bundle")])
    candidate = Path(path)
    shipped = shipped_packs() / name
    if ("/" not in name and "\\" not in name and name not in ("", ".", "..")
            and shipped.is_dir()):
        if candidate.exists():
            raise PolicyError([Problem(name, None, "", f"`{name}` is both a shipped pack and "
                                       f"a folder here; write `./{name}` for the folder",
                                       "ambiguous_bundle")])
        return _contained(shipped)
    return _contained(candidate)


def _contained(root: Path) -> Path:
    """``root``, once no link in it (or in its first-level folders) leads outside it."""
    if not root.is_dir():
        return root
    top = root.resolve()
    problems = []
    for entry in _entries(root, depth=2):
        if not entry.is_symlink():
            continue
        target = link_target(entry)
        if target is None:
            problems.append(Problem(str(entry), None, "", "a symbolic link that leads back to "
                                    "itself (a loop of links); a pack must hold its own files",
                                    "link_loop"))
        elif not target.is_relative_to(top):
            problems.append(Problem(str(entry), None, "", "a link to a file outside the pack "
                                    f"(`{target}`); a pack must hold its own files",
                                    "link_outside_pack"))
    if problems:
        raise PolicyError(problems)
    return root


def link_target(path: Path) -> Path | None:
    """Where ``path`` leads, its links followed; ``None`` for a loop of links."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop: RuntimeError before Python 3.13, then OSError
        return None


def _entries(folder: Path, depth: int) -> Iterator[Path]:
    """What ``folder`` holds, ``depth`` levels down, without entering links (an unreadable
    folder is skipped: loading reports the files it cannot read)."""
    try:
        found = sorted(folder.iterdir())
    except OSError:
        return
    for entry in found:
        yield entry
        if depth > 1 and entry.is_dir() and not entry.is_symlink():
            yield from _entries(entry, depth - 1)


def misplaced_documents(root: Path) -> list[tuple[Path, int]]:
    """The policy documents in a folder of the pack at ``root`` (``policies/access.yaml``),
    which loading, reading only the pack's top folder, would skip; each with the line of its
    ``apiVersion``. Hidden folders and links are not entered, and a file that a policy file
    beside the manifest links to is read through that link."""
    found = []
    linked = {p.resolve() for p in root.iterdir() if p.is_symlink()}
    for entry in _entries(root, depth=4):
        if entry.parent == root or entry.suffix.lower() not in (".yaml", ".yml") \
                or entry.is_symlink() or not entry.is_file() or entry.resolve() in linked \
                or any(part.startswith(".") for part in entry.relative_to(root).parts):
            continue
        try:
            with entry.open(encoding="utf-8-sig", errors="replace") as stream:
                head = stream.read(65536)
        except OSError:
            continue
        match = _ENVELOPE.search(head)
        if match is not None:
            found.append((entry, head.count("\n", 0, match.start()) + 1))
    return found
