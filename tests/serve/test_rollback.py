"""Rolling back from a release that failed to load ends the service's degraded state."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.serve import Service, create_app
from tests.helpers.server import releases


def _point(link: Path, release: Path) -> None:
    link.unlink()
    link.symlink_to(release)


def test_rolling_the_link_back_to_the_release_serving_ends_degraded(
        tmp_path: Path, bundle: fp.Bundle) -> None:
    """`current` moved from v41 to a broken v42 and back to v41 (the release serving all
    along): /health said `degraded` with v42's error, and `finpolicy_reload_failing` stayed
    1, until another version was deployed, so the alert on it never cleared."""
    good, bad, current = releases(tmp_path, bundle.root)
    service = Service(fp.PolicyEngine(fp.load_bundle(current)), watch=current)
    watcher = service.watcher
    assert watcher is not None
    with TestClient(create_app(service)) as client:
        _point(current, bad)
        assert watcher.check(force=True) is not None
        assert client.get("/health").json()["status"] == "degraded"
        _point(current, good)
        result = watcher.check(force=True)
        assert result is not None and result.outcome == "unchanged"
        health = client.get("/health").json()
        metrics = client.get("/metrics").text
    assert health["status"] == "ok", health
    assert health["last_reload"]["outcome"] == "unchanged"
    assert health["last_reload"]["folder"] == str(good)
    assert "finpolicy_reload_failing 0.0" in metrics
    assert 'finpolicy_reloads_total{result="unchanged"} 1.0' in metrics


def test_undoing_a_broken_edit_in_place_ends_degraded(tmp_path: Path,
                                                      bundle: fp.Bundle) -> None:
    """A pack edited in place to a version that fails, then the edit undone: the folder
    holds the version serving again, and /health says so."""
    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack)
    original = (pack / "access.yaml").read_bytes()
    service = Service(fp.PolicyEngine(fp.load_bundle(pack)), watch=pack)
    watcher = service.watcher
    assert watcher is not None
    with TestClient(create_app(service)) as client:
        (pack / "access.yaml").write_text("kind: [", encoding="utf-8")
        assert watcher.check(force=True) is not None
        assert client.get("/health").json()["status"] == "degraded"
        (pack / "access.yaml").write_bytes(original)
        assert watcher.check(force=True) is not None
        assert client.get("/health").json()["status"] == "ok"
