"""Bundles as they were at a git revision: ``git:REV:PATH`` (for ``diff`` and ``test``).

The revision comes from a command line, so it is untrusted: it must look like a revision, not
an option (no leading ``-``), and ``git rev-parse --verify`` must resolve it to a commit before
anything else runs; ``--end-of-options`` separates options from the tree argument. The tree
is extracted with tarfile's ``data`` filter, after refusing (``link_outside_pack``) every link
out of the folder and every path outside it, as loading refuses a link out of a pack.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from finpolicy.errors import InputError, PolicyError, Problem

__all__ = ["GIT_PREFIX", "bundle_folder", "check_revision", "extract_git", "parse_git_spec"]

GIT_PREFIX = "git:"


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise InputError.one("git", f"cannot run git: {exc.strerror}", "bad_option") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise InputError.one("git", f"`git {' '.join(args)}` failed: "
                                    f"{message[0] if message else done.returncode}",
                             "bad_option")
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


def extract_git(rev: str, path: str, into: Path, *, cwd: Path | None = None) -> Path:
    """Write the folder ``path`` as it was at git revision ``rev`` into ``into``.

    ``path`` is relative to the current directory (or absolute) inside the repository.
    """
    cwd = Path.cwd() if cwd is None else cwd
    check_revision(rev)
    if "\x00" in path:
        raise InputError.one("path", "a path cannot hold a NUL character", "bad_option", path)
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).decode().strip())
    commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
                  top).decode().strip()
    target = (cwd / path).resolve()
    try:
        relative = target.relative_to(top.resolve())
    except ValueError:
        raise InputError.one("path", f"`{path}` is outside the git repository {top}",
                             "bad_option", path) from None
    tree = f"{commit}:{relative.as_posix()}" if relative.parts else f"{commit}:"
    data = _git(["archive", "--format=tar", "--end-of-options", tree], top)
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        _refuse_links_out(archive, into, f"{rev}:{path}")
        archive.extractall(into, filter="data")  # refuses links and paths outside `into`
    return into


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
    """A bundle folder for ``spec``: a path, a shipped pack name, or ``git:REV:PATH``
    (extracted to a temporary folder for the duration of the block)."""
    if not spec.startswith(GIT_PREFIX):
        yield spec
        return
    rev, path = parse_git_spec(spec)
    with tempfile.TemporaryDirectory(prefix="finpolicy-git-") as tmp:
        folder = extract_git(rev, path, Path(tmp) / Path(path).name)
        try:
            yield str(folder)
        except PolicyError as exc:
            # name the files as `REV:PATH/file`, not by a temporary folder that is gone
            raise PolicyError(attrs.evolve(p, file=p.file.replace(str(folder), f"{rev}:{path}"))
                              for p in exc.problems) from None
