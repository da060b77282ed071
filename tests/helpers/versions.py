"""Versions of a bundle for reload tests: copies of the default pack that differ in their
manifest version (so in their digest), a broken one, and a link that is swapped atomically."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from finpolicy.documents.bundle import shipped_packs


def make_version(root: Path, name: str, version: str) -> Path:
    """A copy of the default pack at ``root/name`` whose manifest says ``version``."""
    folder = root / name
    shutil.copytree(shipped_packs() / "cn-banking", folder,
                    ignore=shutil.ignore_patterns("tests", "examples"))
    manifest = folder / "bundle.yaml"
    text = re.sub(r"(?m)^version: .*$", f"version: {version}",
                  manifest.read_text(encoding="utf-8"), count=1)
    manifest.write_text(text, encoding="utf-8")
    return folder


def make_broken(root: Path, name: str) -> Path:
    """A copy of the default pack with one document that does not parse."""
    folder = make_version(root, name, "0.0.0-broken")
    (folder / "access.yaml").write_text("kind: AccessPolicy\nmetadata: [unclosed\n",
                                        encoding="utf-8")
    return folder


def point(link: Path, target: Path) -> None:
    """Make ``link`` point at ``target`` in one step (a new link renamed over the old)."""
    fresh = link.with_name(link.name + ".new")
    fresh.unlink(missing_ok=True)
    fresh.symlink_to(target.resolve(), target_is_directory=True)
    os.replace(fresh, link)
