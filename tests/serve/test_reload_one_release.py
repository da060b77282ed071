"""A reload reads every file from the one release the watched link led to: loading through
the link read each file through it anew, so a link moved while a version loaded gave a
bundle of some files of each release — neither release, a digest no one deployed — and the
service served it (without trusted keys) until its next poll."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
import finpolicy.documents.bundle as bundle_module
from finpolicy.serve import Service


def _retitled(source: Path, target: Path) -> None:
    """A copy of the pack at ``source`` whose every policy has another title."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("examples", "tests"))
    for file in target.glob("*.yaml"):
        if file.name != "bundle.yaml":
            text = file.read_text(encoding="utf-8")
            file.write_text(text.replace("\n  title: ", "\n  title: B ", 1), encoding="utf-8")


def test_a_link_moved_while_a_version_loads_never_mixes_two_releases(
        tmp_path: Path, bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "releases" / "a", tmp_path / "releases" / "b"
    shutil.copytree(bundle.root, a, ignore=shutil.ignore_patterns("examples", "tests"))
    _retitled(a, b)
    digests = {fp.load_bundle(a).digest: "a", fp.load_bundle(b).digest: "b"}
    assert len(digests) == 2
    current = tmp_path / "current"
    current.symlink_to(b)
    service = Service(fp.PolicyEngine(fp.load_bundle(current)), watch=current)
    watcher = service.watcher
    assert watcher is not None
    current.unlink()
    current.symlink_to(a)  # release a is deployed …
    original = bundle_module.load_document
    moved: list[Path] = []

    def loading(file: Path, *args: Any, **kwargs: Any) -> Any:
        document = original(file, *args, **kwargs)
        if not moved:  # … and b again while a loads, after its first policy file
            moved.append(file)
            fresh = tmp_path / "current.new"
            fresh.symlink_to(b)
            fresh.replace(current)
        return document

    monkeypatch.setattr(bundle_module, "load_document", loading)
    result = watcher.check(force=True)
    monkeypatch.undo()
    assert moved, "no policy file was loaded"
    assert result is not None
    assert service.engine.bundle.digest in digests, (result, "a bundle of neither release")
    assert result.outcome == "swapped" and digests[service.engine.bundle.digest] == "a"
    assert result.folder == str(a)
