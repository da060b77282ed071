"""A bundle by content — its digest and files — as it travels to another process (pickled,
or shipped to Spark executors), and the bundle loaded again from them, once per process,
refusing any digest but the sender's.

.. versionadded:: 0.3.0
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from finpolicy.documents.bundle import Bundle, load_bundle

__all__ = ["pack_bundle", "shipped_bundle"]

_MAX_FILE = 4 << 20  # a policy file larger than this is no policy file


def pack_bundle(bundle: Bundle | str | Path | None = None) -> tuple[str, dict[str, bytes]]:
    """The bundle's digest and its files (name → content), as shipped to other processes."""
    loaded = bundle if isinstance(bundle, Bundle) else load_bundle(bundle)
    root = Path(loaded.root)
    files = {p.name: p.read_bytes() for p in sorted(root.iterdir())
             if p.is_file() and not p.is_symlink() and p.stat().st_size <= _MAX_FILE}
    return loaded.digest, files


@functools.lru_cache(maxsize=8)
def shipped_bundle(digest: str, files: tuple[tuple[str, bytes], ...]) -> Bundle:
    """The bundle of ``files`` (name, content), loaded once per process and digest.

    Raises:
        PolicyError: the files do not make a bundle of ``digest`` (they changed on disk
            between loading and shipping, or on the way).
    """
    folder = Path(tempfile.mkdtemp(prefix=f"finpolicy-{digest[:12]}-"))
    for name, content in files:
        (folder / Path(name).name).write_bytes(content)
    return load_bundle(folder, expect_digest=digest)
