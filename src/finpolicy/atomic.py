"""Replacing a file whole or not at all, safely in a folder others may write to."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["replace_file"]


def replace_file(path: Path, data: bytes, *, sync: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all: a failure leaves the old file as it
    was. The data goes to a new file of a name no one can guess, created for this write only
    (``O_EXCL``: never through a link someone put in the folder under a name such as
    ``HEAD.tmp``, which would have the writer overwrite the file it led to), with the
    permissions a file written plainly gets (the umask applies), then takes ``path``'s place.
    ``sync``: the data reaches storage before the rename."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
