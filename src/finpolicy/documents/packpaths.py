"""Where a bundle is: a folder or a shipped pack's name, and a folder that holds only its own
files (no link out of it, no loop of links)."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import attrs

from finpolicy.documents.git import checkout, is_git_spec
from finpolicy.errorcodes import declare
from finpolicy.errors import InputError, PolicyError, Problem

__all__ = ["DEFAULT_PACK", "SCAN_LIMITS", "ScanLimitWarning", "link_target",
           "misplaced_documents", "resolve_bundle_path", "shipped_packs"]

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
    for entry in _links(root, depth=2):
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


def _links(folder: Path, depth: int) -> Iterator[Path]:
    """The links ``folder`` holds, ``depth`` levels down, without entering links (an unreadable
    folder is skipped: loading reports the files it cannot read). Every entry is looked at, as
    its listing tells its type (no call to the file system for each)."""
    try:
        with os.scandir(folder) as listing:
            found = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    for entry in found:
        if entry.is_symlink():
            yield Path(entry.path)
        elif depth > 1 and entry.is_dir(follow_symlinks=False):
            yield from _links(Path(entry.path), depth - 1)


def misplaced_documents(root: Path) -> list[tuple[Path, int]]:
    """The policy documents in a folder of the pack at ``root`` (``policies/access.yaml``),
    which loading, reading only the pack's top folder, would skip; each with the line of its
    ``apiVersion``. Hidden folders, folders of other tools (``node_modules``, ...) and links
    are not entered, and a file that a policy file beside the manifest links to is read
    through that link.

    What this costs does not grow with unrelated files kept under the pack (a pack in a large
    repository): the folders are looked at level by level, the shallowest first, and of each
    YAML file only the head, up to its first top-level key that no policy document starts
    with; at most ``SCAN_LIMITS`` files and folder entries are looked at, and when a limit
    stops the search a ``ScanLimitWarning`` says so (what was found is still returned).
    """
    top = root.resolve()
    linked = {p.resolve() for p in root.iterdir() if p.is_symlink()}
    scan = _Scan()
    found = []
    level = [entry for entry in _listed(root, scan) if entry.is_dir(follow_symlinks=False)]
    for _ in range(_DEPTH - 1):
        below: list[os.DirEntry[str]] = []
        for folder in level:
            if scan.over():
                break
            entries = _listed(Path(folder.path), scan)
            below += (e for e in entries if e.is_dir(follow_symlinks=False))
            for entry in _candidates(entries, scan):
                path = Path(entry.path)
                if linked and top / path.relative_to(root) in linked:
                    continue
                line = _envelope_line(path)
                if line is not None:
                    found.append((path, line))
        level = below
    if scan.stopped:
        warnings.warn(ScanLimitWarning(_stopped_notice(root, scan)), stacklevel=2)
    return found


class ScanLimitWarning(UserWarning):
    """The search for policy documents misplaced in a pack's folders stopped at a limit."""


# how deep the folders are searched (``root/a/b/c/file.yaml`` is 4 levels down), folders a
# pack never uses, and the limits of the search: files read, of them from one folder, and
# folder entries listed
_DEPTH = 4
_NOT_THE_PACKS = frozenset({"node_modules", "__pycache__", "site-packages", "bower_components"})
SCAN_LIMITS = {"files": 1000, "files_per_folder": 50, "entries": 20000}
# a policy document's first top-level key is one of the envelope's (fmt writes apiVersion
# first); a file is read only so far, and never past _HEAD_CHARS characters
_ENVELOPE_KEYS = ("apiVersion", "kind", "metadata", "spec")
_HEAD_CHARS = 65536


@attrs.define
class _Scan:
    files: int = 0
    entries: int = 0
    stopped: list[str] = attrs.Factory(list)  # why, once for each limit reached

    def stop(self, why: str) -> None:
        if why not in self.stopped:
            self.stopped.append(why)

    def over(self) -> bool:
        """Whether the search has read or listed all it may."""
        return "files" in self.stopped or "entries" in self.stopped


def _listed(folder: Path, scan: _Scan) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` that may be the pack's (no hidden ones, no other tool's), in
    order of name, counted in ``scan`` (an unreadable folder is skipped: loading reports the
    files it cannot read)."""
    entries = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if scan.entries >= SCAN_LIMITS["entries"]:
                    scan.stop("entries")
                    break
                scan.entries += 1
                if not entry.name.startswith(".") and entry.name not in _NOT_THE_PACKS:
                    entries.append(entry)
    except OSError:
        return []
    return sorted(entries, key=lambda e: e.name)


def _candidates(entries: list[os.DirEntry[str]], scan: _Scan) -> Iterator[os.DirEntry[str]]:
    """The YAML files of one folder's ``entries`` to read, within ``scan``'s limits."""
    taken = 0
    for entry in entries:
        if os.path.splitext(entry.name)[1].lower() not in (".yaml", ".yml") \
                or not entry.is_file(follow_symlinks=False):
            continue
        if scan.files >= SCAN_LIMITS["files"]:
            scan.stop("files")
            return
        if taken >= SCAN_LIMITS["files_per_folder"]:
            scan.stop("files_per_folder")
            return
        taken += 1
        scan.files += 1
        yield entry


def _envelope_line(path: Path) -> int | None:
    """The line of the policy envelope's ``apiVersion: finpolicy/...`` in the file at ``path``,
    read up to its first top-level key that no policy document starts with; ``None`` when it
    is no policy document (or cannot be read)."""
    number = used = 0
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as stream:
            while used < _HEAD_CHARS:
                line = stream.readline(_HEAD_CHARS - used)
                if not line:
                    return None
                used += len(line)
                number += 1
                if line[0].isspace() or line.startswith(("#", "%", "---")):
                    continue  # a comment, a directive, the document's start, a nested line
                if _ENVELOPE.match(line):
                    return number
                if line.startswith("apiVersion") or not line.startswith(_ENVELOPE_KEYS):
                    return None
    except OSError:
        return None
    return None


def _stopped_notice(root: Path, scan: _Scan) -> str:
    """What the search of ``root`` for misplaced policy documents did not look at, and why."""
    why = {"files": f"it reads at most {SCAN_LIMITS['files']:,} YAML files",
           "files_per_folder": f"at most {SCAN_LIMITS['files_per_folder']:,} of one folder",
           "entries": f"it lists at most {SCAN_LIMITS['entries']:,} folder entries"}
    return (f"{root}: not every YAML file in the folders of the pack was looked at for a policy "
            f"document that loading would skip ({'; '.join(why[w] for w in scan.stopped)}): "
            "such a document among the files not looked at goes unreported. Keep unrelated "
            "files out of the pack's folder (hidden folders and node_modules are not searched)")
