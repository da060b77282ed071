"""With trusted keys, a version no trusted key signed as it is named is refused from
bundle.sig and its file names alone, before any policy file is parsed: loading it first cost
seconds of CPU per reload (a folder of four 16 MiB files: 13 s, decisions waiting meanwhile,
their p99 from 11 to 52 ms) before the signature refused it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import finpolicy as fp
import finpolicy.documents.bundle as bundle_module
from finpolicy.cli import main
from finpolicy.documents.lock import write_lock
from finpolicy.documents.signing import sign_bundle
from finpolicy.serve import Service


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    from finpolicy.audit import generate_keys

    generate_keys(tmp_path / "keys")
    return tmp_path / "keys"


def _release(tmp_path: Path, name: str, source: str | Path, keys: Path | None) -> Path:
    folder = tmp_path / "releases" / name
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("examples", "tests"))
    if keys is not None:
        write_lock(fp.load_bundle(folder))
        sign_bundle(fp.load_bundle(folder), keys / "signing-key.pem", signer="release")
    return folder


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The policy files loading reads from now on."""
    read: list[str] = []
    original = bundle_module._read

    def recording(file: Path, display: str, problems: list[Any]) -> Any:
        read.append(file.name)
        return original(file, display, problems)

    monkeypatch.setattr(bundle_module, "_read", recording)
    return read


def test_a_release_no_trusted_key_signed_is_refused_before_it_is_parsed(
        tmp_path: Path, bundle: fp.Bundle, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _release(tmp_path, "v41", bundle.root, keys)
    current = tmp_path / "current"
    current.symlink_to(good)
    public = keys / "public-key.pem"
    service = Service(fp.PolicyEngine(fp.load_bundle(current, trusted_keys=[public])),
                      watch=current, trusted_keys=[public])
    watcher = service.watcher
    assert watcher is not None
    junk = _release(tmp_path, "v42", good, None)  # the signed release, and a file added
    (junk / "junk.yaml").write_text("spec:\n" + "  - 1\n" * 100_000, encoding="utf-8")
    unsigned = _release(tmp_path, "v43", bundle.root, None)
    serving = service.engine.bundle.digest
    read = _parsed(monkeypatch)
    for release, code, said in ((junk, "stale_signature", "junk.yaml added"),
                                (unsigned, "unsigned_bundle", "not signed")):
        current.unlink()
        current.symlink_to(release)
        result = watcher.check(force=True)
        assert result is not None and result.outcome == "failed", result
        assert said in (result.error or ""), (code, result.error)
        assert read == [], read
        assert service.engine.bundle.digest == serving
    newer = _release(tmp_path, "v44", bundle.root, None)  # a signed version is swapped in
    manifest = newer / "bundle.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        f"version: {bundle.version}", "version: 9.9.9"), encoding="utf-8")
    write_lock(fp.load_bundle(newer))
    sign_bundle(fp.load_bundle(newer), keys / "signing-key.pem")
    current.unlink()
    current.symlink_to(newer)
    swapped = watcher.check(force=True)
    assert swapped is not None and swapped.outcome == "swapped", swapped
    assert service.engine.bundle.version == "9.9.9"


def test_serve_refuses_a_pack_no_trusted_key_signed_before_parsing_it(
        tmp_path: Path, bundle: fp.Bundle, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unsigned = _release(tmp_path, "v43", bundle.root, None)
    read = _parsed(monkeypatch)
    result = CliRunner().invoke(main, ["serve", str(unsigned), "--no-watch", "--port", "0",
                                       "--trusted-key", str(keys / "public-key.pem")])
    assert result.exit_code != 0 and "not signed" in result.output, result.output
    assert read == [], read
