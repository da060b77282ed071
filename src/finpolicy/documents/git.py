"""Bundles as they were at a git revision: ``git:REV:PATH``, which ``load_bundle`` and the
command line take wherever they take a bundle.

The revision may come from a command line, so it is untrusted: it must look like a revision,
not an option (no leading ``-``), and ``git rev-parse --verify`` must resolve it to a commit
before anything else runs; ``--end-of-options`` separates options from the tree argument. The
tree is extracted with tarfile's ``data`` filter, after refusing (``link_outside_pack``) every
link out of the folder and every path outside it, as loading refuses a link out of a pack.

A revision's folder is extracted once per process into a temporary folder kept until the
process ends: a bundle loaded from it reads its lock, signatures, examples and test cases
there later, and is pickled from there. Files in it are named ``REV:PATH/file``, never by the
temporary folder, and it is read-only: lock and sign refuse it.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import attrs

from finpolicy.errors import InputError, PolicyError, Problem

__all__ = ["GIT_PREFIX", "bundle_folder", "check_revision", "checkout", "extract_git",
           "is_git_spec", "parse_git_spec", "read_only", "shown_as", "shown_problems",
           "shown_text", "source_of"]

GIT_PREFIX = "git:"

_lock = threading.Lock()
_checkouts: dict[tuple[str, str, str], Path] = {}  # (repository, commit:tree, REV:PATH) → folder
_shown: dict[str, str] = {}  # a checkout's folder → the `REV:PATH` it was asked for as
_sources: dict[str, str] = {}  # a checkout's folder → `git:COMMIT:ABSOLUTE-PATH`, found anywhere


def _git(args: list[str], cwd: Path) -> bytes:
    found = _git_output(args, cwd)
    if isinstance(found, bytes):
        return found
    raise InputError.one("git", f"`git {' '.join(args)}` failed: {found}", "bad_option")


def _git_output(args: list[str], cwd: Path) -> bytes | str:
    """What git printed, or (a text) why it failed."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise InputError.one("git", f"cannot run git: {exc.strerror}", "bad_option") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        return message[0] if message else str(done.returncode)
    return done.stdout


def parse_git_spec(spec: str) -> tuple[str, str]:
    """``(REV, PATH)`` of ``git:REV:PATH``; a revision that could be read as an option is
    refused."""
    rev, sep, path = spec[len(GIT_PREFIX):].partition(":")
    if not spec.startswith(GIT_PREFIX) or not sep or not rev or not path:
        raise InputError.one("bundle", "expected `git:REV:PATH`, e.g. "
                                       f"`git:HEAD~1:policies/cn-banking`, got `{spec}`",
                             "bad_option", spec)
    check_revision(rev)
    return rev, path


def check_revision(rev: str) -> None:
    """Refuse a revision git could read as an option or that holds whitespace or control
    characters (``InputError``)."""
    if not rev or rev.startswith("-") or any(c.isspace() or ord(c) < 32 or c == "\x7f"
                                             for c in rev):
        raise InputError.one("bundle", f"`{rev.encode('unicode_escape').decode()}` is not a git "
                                       "revision", "bad_option", rev)


def is_git_spec(path: object) -> bool:
    """Whether ``path`` is a ``git:REV:PATH`` text (a ``Path`` never is)."""
    return isinstance(path, str) and path.startswith(GIT_PREFIX)


def _tree(rev: str, path: str, cwd: Path) -> tuple[Path, str]:
    """The repository's top folder and ``COMMIT:RELATIVE`` of ``path`` at ``rev``."""
    check_revision(rev)
    if "\x00" in path:
        raise InputError.one("path", "a path cannot hold a NUL character", "bad_option", path)
    top = _git_output(["rev-parse", "--show-toplevel"], cwd)
    if not isinstance(top, bytes):
        raise InputError.one("bundle", f"the current folder {cwd} is in no git repository "
                                       "(`git:REV:PATH` reads the repository it is in)",
                             "bad_option", str(cwd))
    root = Path(top.decode().strip())
    commit = _git_output(["rev-parse", "--verify", "--quiet", "--end-of-options",
                           f"{rev}^{{commit}}"], root)
    if not isinstance(commit, bytes):  # (git says nothing with --quiet)
        raise InputError.one("bundle", f"`{rev}` is no commit of the git repository {root}",
                             "bad_option", rev)
    target = (cwd / path).resolve()
    try:
        relative = target.relative_to(root.resolve())
    except ValueError:
        raise InputError.one("path", f"`{path}` is outside the git repository {root}",
                             "bad_option", path) from None
    sha = commit.decode().strip()
    tree = f"{sha}:{relative.as_posix()}" if relative.parts else f"{sha}:"
    what = _git_output(["cat-file", "-t", tree], root)
    if what != b"tree\n":  # checked here: git archive's own words name the commit, not REV
        found = "is a file" if isinstance(what, bytes) else "does not exist"
        raise InputError.one("path", f"`{path}` {found} at git revision `{rev}` "
                                     f"({sha[:12]}): expected a pack folder", "bad_option",
                             path)
    return root, tree


def _extract_tree(top: Path, tree: str, into: Path, where: str) -> Path:
    data = _git(["archive", "--format=tar", "--end-of-options", tree], top)
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        _refuse_links_out(archive, into, where)
        archive.extractall(into, filter="data")  # refuses links and paths outside `into`
    return into


def extract_git(rev: str, path: str, into: Path, *, cwd: Path | None = None) -> Path:
    """Write the folder ``path`` as it was at git revision ``rev`` into ``into``.

    ``path`` is relative to the current directory (or absolute) inside the repository.
    """
    top, tree = _tree(rev, path, Path.cwd() if cwd is None else cwd)
    return _extract_tree(top, tree, into, f"{rev}:{path}")


def checkout(spec: str) -> Path:
    """The folder ``git:REV:PATH`` names, as it was at the revision: extracted once per
    process (per commit and spec) and kept until the process ends.

    Raises:
        InputError: ``spec`` is not ``git:REV:PATH``, git cannot run, the revision or the
            path at it does not exist, or the path is outside the repository.
        PolicyError: the tree holds a link out of the folder (``link_outside_pack``).
    """
    rev, path = parse_git_spec(spec)
    top, tree = _tree(rev, path, _looked_up_from(path))
    shown = f"{rev}:{path.rstrip('/') or path}"  # files are named `{shown}/name`
    key = (str(top), tree, shown)
    with _lock:
        found = _checkouts.get(key)
        if found is not None and found.is_dir() and any(found.iterdir()):
            return found  # (else extracted again: a temporary-file cleaner may have been by)
        base = Path(tempfile.mkdtemp(prefix="finpolicy-git-"))
        try:
            # the folder's own name (`..` named the temporary folder's parent)
            name = (Path.cwd() / path).resolve().name or "pack"
            folder = _extract_tree(top, tree, base / name, shown)
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        _checkouts[key] = folder
        _shown[str(folder.absolute())] = shown
        sha, _, relative = tree.partition(":")
        _sources[str(folder.absolute())] = f"{GIT_PREFIX}{sha}:{top / relative}"
        return folder


def _looked_up_from(path: str) -> Path:
    """Where the repository of ``path`` is looked for: the current folder, or for an absolute
    path (``source_of`` writes them) the nearest folder of it that exists."""
    if not Path(path).is_absolute():
        return Path.cwd()
    for folder in (Path(path), *Path(path).parents):
        if folder.is_dir():
            return folder
    return Path.cwd()


def source_of(root: str | Path) -> str | None:
    """``git:COMMIT:ABSOLUTE-PATH`` of a checkout's folder — what it holds, named so that it
    can be extracted again from anywhere in the repository's clone — or ``None`` for any
    other folder."""
    return _sources.get(str(Path(root).absolute())) if _sources else None


def shown_as(root: str | Path) -> str | None:
    """The ``REV:PATH`` a checkout's folder was asked for as; ``None`` for any other
    folder."""
    return _shown.get(str(Path(root).absolute())) if _shown else None


def shown_problems(root: str | Path, problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` with the files of the checkout ``root`` named ``REV:PATH/…`` (as they
    are when the folder is no checkout)."""
    shown = shown_as(root)
    found = list(problems)
    if shown is None:
        return found
    folder = str(Path(root).absolute())
    return [attrs.evolve(p, file=shown + p.file[len(folder):])
            if p.file == folder or p.file.startswith(folder + "/") else p for p in found]


def shown_text(text: str) -> str:
    """``text`` (a message, a file name) with every checkout's folder named ``REV:PATH``."""
    for folder, shown in _shown.items():
        text = text.replace(folder, shown)
    return text


def read_only(root: str | Path, what: str) -> None:
    """Refuse to write into a checkout (``InputError``): ``what`` would be lost with it."""
    shown = shown_as(root)
    if shown is not None:
        raise InputError.one("bundle", f"`{GIT_PREFIX}{shown}` is a pack as a git revision "
                                       f"holds it, read-only: {what} the folder itself and "
                                       "commit it", "bad_option", shown)


def _refuse_links_out(archive: tarfile.TarFile, into: Path, where: str) -> None:
    """Raise ``PolicyError`` (``link_outside_pack``) naming every member of ``archive`` that
    the ``data`` filter refuses — a link out of the folder, an absolute path — as loading
    refuses a link out of a pack (the filter's own error escaped as a traceback)."""
    problems = []
    for member in archive.getmembers():
        try:
            tarfile.data_filter(member, str(into))
        except tarfile.FilterError as exc:
            problems.append(Problem(f"{where.rstrip('/')}/{member.name}", None, "",
                                    f"{_refusal(exc)}; a pack must hold its own files",
                                    "link_outside_pack"))
    if problems:
        raise PolicyError(problems)


def _refusal(exc: tarfile.FilterError) -> str:
    """What the ``data`` filter refused, in words."""
    if isinstance(exc, tarfile.AbsoluteLinkError | tarfile.LinkOutsideDestinationError):
        return f"a link to a file outside the pack (`{exc.tarinfo.linkname}`)"
    if isinstance(exc, tarfile.AbsolutePathError | tarfile.OutsideDestinationError):
        return "a path outside the pack"
    return f"not a plain file or folder ({type(exc).__name__})"


@contextlib.contextmanager
def bundle_folder(spec: str) -> Iterator[str]:
    """A bundle folder for ``spec``: a path, a shipped pack name, or ``git:REV:PATH`` (its
    ``checkout``, whose files are named ``REV:PATH/file``)."""
    yield str(checkout(spec)) if is_git_spec(spec) else spec
