"""Hot reload never goes backwards on its own: a release older than the one serving (a lower
version, or the same version signed before it) put back in the watched folder, or the link
moved back to it, is refused as a ``downgrade`` naming both versions, unless the watcher
allows downgrades; the engine's own rollback (``swap``) is unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.documents.lock import write_lock
from finpolicy.documents.signing import sign_bundle
from finpolicy.errors import InputError
from finpolicy.reloading import BundleWatcher, ReloadResult
from tests.helpers.versions import make_version, point
from tests.serve.test_reload_signature_first import _parsed


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    from finpolicy.audit import generate_keys

    generate_keys(tmp_path / "keys")
    return tmp_path / "keys"


def _signed(folder: Path, keys: Path) -> Path:
    write_lock(fp.load_bundle(folder))
    sign_bundle(fp.load_bundle(folder), keys / "signing-key.pem", signer="release")
    return folder


def _watching(tmp_path: Path, first: Path, *, trusted_keys: list[Path] | None = None,
              allow_downgrade: bool = False, min_version: str | None = None,
              ) -> tuple[fp.PolicyEngine, BundleWatcher, list[ReloadResult]]:
    point(tmp_path / "current", first)
    engine = fp.PolicyEngine(fp.load_bundle(tmp_path / "current", trusted_keys=trusted_keys))
    seen: list[ReloadResult] = []
    watcher = BundleWatcher(engine, tmp_path / "current", on_reload=seen.append,
                            trusted_keys=trusted_keys, allow_downgrade=allow_downgrade,
                            min_version=min_version)
    return engine, watcher, seen


def test_moving_the_link_back_to_an_older_signed_release_is_refused(
        tmp_path: Path, keys: Path) -> None:
    """v2 serving, both releases signed by the trusted key; the link moved back to v1: v1
    was served (its signature verifies, nothing said it was older)."""
    v1 = _signed(make_version(tmp_path, "v1", "1.0.0"), keys)
    v2 = _signed(make_version(tmp_path, "v2", "2.0.0"), keys)
    trusted = [keys / "public-key.pem"]
    engine, watcher, seen = _watching(tmp_path, v2, trusted_keys=trusted)
    point(tmp_path / "current", v1)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed", result
    assert engine.bundle.version == "2.0.0"
    assert result.bundle.version == "2.0.0" and result.folder == str(v1)
    error = result.error or ""
    assert "version 1.0.0 is older than 2.0.0, the version serving" in error, error
    assert str(v1 / "bundle.yaml") in error and "--allow-downgrade" in error
    assert seen == [result] and watcher.last == result


@pytest.mark.parametrize(("older", "newer"), [
    ("1.9.0", "1.10.0"),  # without trusted keys, a link moved back by mistake; numbers, not
    # text: 1.10 after 1.9
    ("2.0.0-rc.1", "2.0.0"),  # a pre-release after its release
])
def test_an_unsigned_older_version_is_refused_too(tmp_path: Path, older: str,
                                                  newer: str) -> None:
    v1 = make_version(tmp_path, "v1", older)
    v2 = make_version(tmp_path, "v2", newer)
    engine, watcher, _ = _watching(tmp_path, v2)
    point(tmp_path / "current", v1)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert f"{older} is older than {newer}" in (result.error or "")
    assert engine.bundle.version == newer


def test_a_newer_version_still_swaps(tmp_path: Path) -> None:
    v1 = make_version(tmp_path, "v1", "2.0.0-rc.2")
    v2 = make_version(tmp_path, "v2", "2.0.0-rc.10")
    engine, watcher, _ = _watching(tmp_path, v1)
    point(tmp_path / "current", v2)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "swapped", result
    assert engine.bundle.version == "2.0.0-rc.10"


def test_allow_downgrade_rolls_back_through_the_link(tmp_path: Path, keys: Path) -> None:
    v1 = _signed(make_version(tmp_path, "v1", "1.0.0"), keys)
    v2 = _signed(make_version(tmp_path, "v2", "2.0.0"), keys)
    engine, watcher, _ = _watching(tmp_path, v2, trusted_keys=[keys / "public-key.pem"],
                                   allow_downgrade=True)
    point(tmp_path / "current", v1)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "swapped", result
    assert engine.bundle.version == "1.0.0"
    assert result.previous is not None and result.previous.version == "2.0.0"


def test_the_engines_own_rollback_is_unchanged_and_the_watcher_follows_it(
        tmp_path: Path) -> None:
    """An operator's ``engine.swap(previous)`` still rolls back; the watcher then compares
    with the version serving (v1), so moving the link to v2 again swaps."""
    v1 = make_version(tmp_path, "v1", "1.0.0")
    v2 = make_version(tmp_path, "v2", "2.0.0")
    engine, watcher, _ = _watching(tmp_path, v1)
    point(tmp_path / "current", v2)
    swapped = watcher.check(force=True)
    assert swapped is not None and swapped.previous is not None
    engine.swap(swapped.previous)
    assert engine.bundle.version == "1.0.0"
    point(tmp_path / "current", v1)
    point(tmp_path / "current", v2)
    again = watcher.check(force=True)
    assert again is not None and again.outcome == "swapped", again
    assert engine.bundle.version == "2.0.0"


def _copy_changed(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    manifest = target / "bundle.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Policies of", "Corrected policies of", 1),
                        encoding="utf-8")
    return target


def test_the_same_version_signed_earlier_is_refused(tmp_path: Path, keys: Path) -> None:
    """2.0.0 signed, then corrected and signed again as 2.0.0 (no version bump): putting the
    first signing back was served, the version being equal."""
    first = _signed(make_version(tmp_path, "first", "2.0.0"), keys)
    fixed = _signed(_copy_changed(first, tmp_path / "fixed"), keys)
    assert fp.load_bundle(first).digest != fp.load_bundle(fixed).digest
    engine, watcher, _ = _watching(tmp_path, fixed, trusted_keys=[keys / "public-key.pem"])
    point(tmp_path / "current", first)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed", result
    assert "an older signing of the same version is refused" in (result.error or "")
    assert engine.bundle.digest == fp.load_bundle(fixed).digest


def test_the_same_version_signed_later_swaps(tmp_path: Path, keys: Path) -> None:
    first = _signed(make_version(tmp_path, "first", "2.0.0"), keys)
    fixed = _signed(_copy_changed(first, tmp_path / "fixed"), keys)
    engine, watcher, _ = _watching(tmp_path, first, trusted_keys=[keys / "public-key.pem"])
    point(tmp_path / "current", fixed)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "swapped", result
    assert engine.bundle.digest == fp.load_bundle(fixed).digest


def test_a_minimum_version_holds_even_when_downgrades_are_allowed(tmp_path: Path) -> None:
    v1 = make_version(tmp_path, "v1", "1.0.0")
    v2 = make_version(tmp_path, "v2", "2.0.0")
    engine, watcher, _ = _watching(tmp_path, v2, allow_downgrade=True, min_version="1.5.0")
    point(tmp_path / "current", v1)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert "1.0.0 is older than 1.5.0, the minimum version" in (result.error or "")
    assert engine.bundle.version == "2.0.0"


def test_a_minimum_version_that_is_no_version_is_refused(tmp_path: Path) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(make_version(tmp_path, "v1", "1.0.0")))
    with pytest.raises(InputError, match="min_version.*semantic version.*`v2`"):
        BundleWatcher(engine, min_version="v2")


def test_an_older_signed_release_is_refused_before_it_is_parsed(
        tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its trusted signatures say its version: loading the shipped pack first took 27 to
    64 ms (0.4 to 0.8 s while four threads took decisions) before the version refused it."""
    v1 = _signed(make_version(tmp_path, "v1", "1.0.0"), keys)
    v2 = _signed(make_version(tmp_path, "v2", "2.0.0"), keys)
    engine, watcher, _ = _watching(tmp_path, v2, trusted_keys=[keys / "public-key.pem"])
    read = _parsed(monkeypatch)
    point(tmp_path / "current", v1)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert "version 1.0.0 is older than 2.0.0, the version serving" in (result.error or "")
    assert read == []
    assert engine.bundle.version == "2.0.0"



def test_the_minimum_version_file_is_raised_to_each_newer_version_served(
        tmp_path: Path) -> None:
    """The watcher remembered the version serving only until a restart; the file keeps it."""
    v1 = make_version(tmp_path, "v1", "1.0.0")
    v2 = make_version(tmp_path, "v2", "2.0.0")
    floor = tmp_path / "state" / "min-version"
    floor.parent.mkdir()
    point(tmp_path / "current", v1)
    engine = fp.PolicyEngine(fp.load_bundle(tmp_path / "current"))
    watcher = BundleWatcher(engine, tmp_path / "current", min_version_file=floor)
    assert floor.read_text(encoding="utf-8") == "1.0.0\n"
    point(tmp_path / "current", v2)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "swapped", result
    assert floor.read_text(encoding="utf-8") == "2.0.0\n"
    assert watcher.min_version == "2.0.0"


def test_after_a_restart_the_minimum_version_file_still_refuses_the_older_release(
        tmp_path: Path) -> None:
    """2.0.0 was served before the restart; the service came back on 1.5.0 (a version the
    file allows) and downgrades are allowed, yet 1.0.0, below what the file holds, is not."""
    floor = tmp_path / "min-version"
    floor.write_text("1.5.0\n", encoding="utf-8")
    v1 = make_version(tmp_path, "v1", "1.0.0")
    v15 = make_version(tmp_path, "v15", "1.5.0")
    engine, watcher, _ = _watching(tmp_path, v15, allow_downgrade=True)
    restarted = BundleWatcher(engine, tmp_path / "current", min_version_file=floor,
                              allow_downgrade=True)
    point(tmp_path / "current", v1)
    result = restarted.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert "1.0.0 is older than 1.5.0, the minimum version" in (result.error or "")
    assert engine.bundle.version == "1.5.0"
    assert watcher.check(force=True) is not None  # (the same without the file: swapped)
    assert engine.bundle.version == "1.0.0"
    assert floor.read_text(encoding="utf-8") == "1.5.0\n"  # (never lowered)


@pytest.mark.parametrize("text", ["", "v2\n", "2.0\n", "2.0.0\n1.0.0\n"])
def test_a_minimum_version_file_that_holds_no_version_is_refused(tmp_path: Path,
                                                                 text: str) -> None:
    floor = tmp_path / "min-version"
    floor.write_text(text, encoding="utf-8")
    engine = fp.PolicyEngine(fp.load_bundle(make_version(tmp_path, "v1", "1.0.0")))
    with pytest.raises(InputError, match=r"min_version_file.*min-version`: expected one "
                                         "semantic version"):
        BundleWatcher(engine, min_version_file=floor)
