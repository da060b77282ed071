"""Writing generated files (a site, a picture) without harming what is there.

``finpolicy docs -o DIR`` may be pointed at any path, by a person or by a script; it must never
overwrite files it did not write, nor write through a symbolic link planted in the way. So the
site is built in a fresh private folder next to ``DIR`` and moved into place only when the build
succeeds, and ``DIR`` is replaced only if it does not exist, is empty, or holds a site an earlier
run wrote (it carries the ``MARKER`` file).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from finpolicy.errors import InputError
from finpolicy.outputs import write_output

__all__ = ["MARKER", "StagedSite", "check_target", "file_name", "staged_folder", "write_file"]

MARKER = ".finpolicy-site"
"""The file that marks a folder as a site finpolicy wrote (and may replace)."""

_MARKER_TEXT = ("This folder was written by `finpolicy docs`; the next build replaces it "
                "whole.\n")


def _unsafe(path: Path, why: str) -> InputError:
    return InputError.one("--output", f"`{path}` {why}", "unsafe_path", str(path))


def check_target(out: Path) -> None:
    """Raise ``InputError`` unless ``out`` may receive a site: absent, an empty folder, or a
    folder holding a site finpolicy wrote; never a link or a file."""
    if out.is_symlink():
        raise _unsafe(out, "is a symbolic link; give the folder it points to, or a new one")
    if not out.exists():
        return
    if not out.is_dir():
        raise _unsafe(out, "is a file, expected a folder")
    marker = out / MARKER
    if marker.is_file() and not marker.is_symlink():
        return
    if any(out.iterdir()):
        raise InputError.one("--output", f"`{out}` holds files finpolicy did not write; give a "
                                         "new or empty folder", "not_empty", str(out))


class StagedSite:
    """A fresh private folder to build into (``folder``); ``publish()`` makes it ``out``."""

    def __init__(self, out: Path, folder: Path) -> None:
        self.out = out
        self.folder = folder

    def publish(self) -> None:
        """Replace ``out`` with the built folder (marked as finpolicy's)."""
        (self.folder / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        check_target(self.out)  # again: the folder may have changed while the site was built
        if self.out.exists():
            shutil.rmtree(self.out)  # removes links inside without following them
        self.folder.chmod(0o755)
        os.replace(self.folder, self.out)


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[StagedSite]:
    """A ``StagedSite`` next to ``out``; whatever is not published is removed on exit.

    Raises:
        InputError: ``out`` may not be replaced (see ``check_target``), or its parent cannot
            be written.
    """
    check_target(out)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".finpolicy-site-", dir=parent))
    except OSError as exc:
        raise _unsafe(out, f"cannot be written: {exc.strerror or exc}") from None
    try:
        yield StagedSite(out, folder)
    finally:
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)


def file_name(text: str, suffix: str, *, default: str = "output") -> str:
    """A single, harmless file name made from ``text`` (an id from an input file, say):
    letters, digits, ``-``, ``_`` and inner dots kept, anything else ``_``, at most 100
    characters, then ``suffix``. It never names a folder, a parent or a hidden file."""
    kept = "".join(c if c.isalnum() or c in "-_." else "_" for c in text[:100]).strip(".")
    return (kept or default) + suffix


def write_file(path: Path, text: str, option: str = "--output") -> None:
    """Write ``text`` (UTF-8) to ``path`` whole, replacing a regular file but never writing
    through a symbolic link at ``path`` (``finpolicy.outputs.write_output``).

    Raises:
        InputError: ``path`` is a link, a folder, or cannot be written, naming ``option``.
    """
    write_output(path, text, option)
