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
from finpolicy.documents.lock import LOCK_FILE
from finpolicy.documents.packpaths import link_target
from finpolicy.documents.yamlsource import MAX_FILE_BYTES

__all__ = ["pack_bundle", "shipped_bundle"]


def pack_bundle(bundle: Bundle | str | Path | None = None) -> tuple[str, dict[str, bytes]]:
    """The bundle's digest and its files (name → content), as shipped to other processes:
    every file loading reads (the policy files, the manifest and the lock file), as loading
    reads them, through a link that stays in the pack too."""
    loaded = bundle if isinstance(bundle, Bundle) else load_bundle(bundle)
    root = Path(loaded.root)
    top = root.resolve()
    files = {}
    for path in sorted(root.iterdir()):
        if path.suffix not in (".yaml", ".yml") and path.name != LOCK_FILE:
            continue
        target = link_target(path)
        if target is not None and target.is_relative_to(top) and target.is_file() \
                and target.stat().st_size <= MAX_FILE_BYTES:
            files[path.name] = target.read_bytes()
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
