"""Writing the files a command is pointed at (``-o FILE``, ``-o DIR``, a file it rewrites):
one place that checks an output path and writes it, whatever the command.

A path is checked before any work (``output_file``, ``output_folder``), so a slow build does not
end in a traceback about where it was to go, and each problem names the option: an empty
path, a folder where a file is wanted (or a file where a folder is), a path under a file, a
symbolic link (finpolicy never writes through one), a device or other special file, a folder
that cannot be written (``/proc``), or the command's own input file. A file is then written
whole or not at all (``writing``): into a new file beside it, moved over it only when complete,
so a failure leaves what was there, never half a file.

Problems are ``InputError`` (``bad_output``; ``unsafe_path`` for a link), exit 3 in the CLI.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from finpolicy.errors import InputError

__all__ = ["output_file", "output_folder", "write_output", "writing"]


def _refused(option: str, path: str | Path, why: str, code: str = "bad_output") -> InputError:
    return InputError.one(option, f"`{path}` {why}", code, str(path))


def _nearest(path: Path) -> Path:
    """``path``'s nearest ancestor that exists (``.`` for a relative path with none)."""
    for folder in path.parents:
        if os.path.lexists(folder):
            return folder
    return Path(".")


def _writable_folder(folder: Path, shown: str | Path, option: str) -> None:
    """Refuse unless ``folder`` exists (or can be made inside an existing folder) and a file
    can be created in it, found by creating and removing one."""
    probe = folder if folder.exists() else _nearest(folder)
    if not probe.is_dir():
        raise _refused(option, shown, f"cannot be written: `{probe}` is not a folder")
    try:
        handle, name = tempfile.mkstemp(prefix=".finpolicy-", dir=probe)
    except OSError as exc:
        raise _refused(option, shown, f"cannot be written: no file can be made in `{probe}` "
                       f"({exc.strerror or exc})") from None
    os.close(handle)
    os.unlink(name)


def output_file(path: str | Path, option: str = "--output", *,
                inputs: Iterable[str | Path | None] = ()) -> Path:
    """``path`` as a file to write, once it is one that can be (see the module docstring);
    ``inputs`` are the command's input files, which it must not be.

    Raises:
        InputError: naming ``option``.
    """
    if str(path) == "":
        raise InputError.one(option, "expected a file name, got an empty one", "bad_output")
    out = Path(path)
    if out.is_symlink():
        raise _refused(option, out, "is a symbolic link; finpolicy does not write through "
                       "links", "unsafe_path")
    if out.exists() or str(path).endswith(os.sep):
        mode = out.stat().st_mode if out.exists() else stat.S_IFDIR
        if stat.S_ISDIR(mode):
            raise _refused(option, out, "is a folder; expected a file")
        if not stat.S_ISREG(mode):
            raise _refused(option, out, "is not a regular file (a device, a pipe or a "
                           "socket); expected a file")
        for given in inputs:
            if given is not None and os.path.exists(given) and os.path.samefile(out, given):
                raise _refused(option, out, f"is the input file `{given}`; give another file "
                               "to write to")
    _writable_folder(out.parent, out, option)
    return out


def output_folder(path: str | Path, option: str = "--output") -> Path:
    """``path`` as a folder to write files into (made if missing), once it can be.

    Raises:
        InputError: naming ``option``.
    """
    if str(path) == "":
        raise InputError.one(option, "expected a folder, got an empty name", "bad_output")
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise _refused(option, out, "is a file; expected a folder")
    _writable_folder(out, out, option)
    return out


class _Guarded:
    """A file object whose failures to write are ``InputError`` naming the option (a full
    disk, a device that refuses), not an ``OSError`` from wherever the writing happened."""

    def __init__(self, stream: IO[Any], refuse: Callable[[OSError], InputError]) -> None:
        self._stream = stream
        self._refuse = refuse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def write(self, data: Any) -> int:
        try:
            return self._stream.write(data)
        except OSError as exc:
            raise self._refuse(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._refuse(exc) from None


@contextlib.contextmanager
def writing(path: str | Path, option: str = "--output", *, binary: bool = False,
            inputs: Iterable[str | Path | None] = ()) -> Iterator[IO[Any]]:
    """A new file beside ``path`` to write (UTF-8 text, or bytes with ``binary``), moved over
    ``path`` when the block ends without an error and removed when it does not; an existing
    file keeps its permissions.

    Raises:
        InputError: ``path`` cannot be written (see ``output_file``), naming ``option``.
    """
    out = output_file(path, option, inputs=inputs)

    def refuse(exc: OSError) -> InputError:
        return _refused(option, out, f"cannot be written: {exc.strerror or exc}")

    mode = stat.S_IMODE(out.stat().st_mode) if out.exists() else 0o644
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise refuse(exc) from None
    written = False
    try:
        stream = (os.fdopen(handle, "wb") if binary else
                  os.fdopen(handle, "w", encoding="utf-8", newline=""))
        with stream:
            yield cast(IO[Any], _Guarded(stream, refuse))
            written = True
        os.chmod(name, mode)
        os.replace(name, out)
    except OSError as exc:
        if not written:  # the block's own error (reading an input, say): not the output's
            raise
        raise refuse(exc) from None  # closing (the last write) or moving the file into place
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def write_output(path: str | Path, data: str | bytes, option: str = "--output") -> Path:
    """Write ``data`` to ``path`` whole (see ``writing``); the path written."""
    with writing(path, option, binary=isinstance(data, bytes)) as stream:
        stream.write(data)
    return Path(path)
