"""Hot reload in process: ``engine.reload()`` and ``BundleWatcher``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.errors import PolicyError
from finpolicy.reloading import BundleWatcher, ReloadResult
from tests.helpers.versions import make_broken, make_version, point


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    found = {"v1": make_version(tmp_path, "v1", "1.0.0"),
             "v2": make_version(tmp_path, "v2", "2.0.0"),
             "broken": make_broken(tmp_path, "broken")}
    point(tmp_path / "current", found["v1"])
    found["current"] = tmp_path / "current"
    return found


def test_reload_swaps_to_the_new_version_and_returns_the_old(folders: dict[str, Path]
                                                             ) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    assert engine.reload() is None  # unchanged
    point(folders["current"], folders["v2"])
    previous = engine.reload()
    assert previous is not None and previous.version == "1.0.0"
    assert engine.bundle.version == "2.0.0"


def test_a_broken_version_never_replaces_a_good_one(folders: dict[str, Path]) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    point(folders["current"], folders["broken"])
    with pytest.raises(PolicyError):
        engine.reload()
    assert engine.bundle.version == "1.0.0"


def test_a_decision_names_the_bundle_that_took_it(folders: dict[str, Path]) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    runtime = engine.runtime  # a decision that started before the swap
    point(folders["current"], folders["v2"])
    engine.reload()
    args = {"field": {"name": "mobile"}, "as_of": "2026-03-01"}
    before = engine.call("classify", args, on=runtime)
    after = engine.call("classify", args)
    assert before.bundle.version == "1.0.0"
    assert before.result.policy.bundle_digest == before.bundle.digest
    assert after.bundle.version == "2.0.0"
    assert after.result.policy.bundle_digest == after.bundle.digest


HOT_PATHS = {
    "classify": {"field": {"name": "mobile"}, "as_of": "2026-03-01"},
    "authorize": {"request": {
        "subject": {"id": "u1", "roles": ["teller"]}, "action": "read",
        "resource": {"type": "customer_record", "data_level": "ordinary",
                     "category": "business"},
        "purpose": "account_service", "as_of": "2026-03-01T10:00:00+08:00"}},
    "check_suitability": {"customer": {"id": "c1", "risk_level": "C3"},
                          "product": {"id": "p1", "kind": "fund", "risk_level": "R2"},
                          "as_of": "2026-03-01"},
}


@pytest.mark.parametrize("method", sorted(HOT_PATHS))
def test_a_pinned_runtime_decides_on_every_hot_path(folders: dict[str, Path],
                                                    method: str) -> None:
    """The typed methods' shortcut past the decision log keeps to the runtime ``call``
    pinned, so an answer never names one bundle and carry another's decision."""
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    runtime = engine.runtime
    point(folders["current"], folders["v2"])
    engine.reload()
    before = engine.call(method, HOT_PATHS[method], on=runtime)
    assert before.bundle.version == "1.0.0"
    assert before.result.policy.bundle_digest == runtime.bundle.digest
    assert engine.call(method, HOT_PATHS[method]).result.policy.bundle_digest \
        == engine.bundle.digest


def test_an_unknown_operation_is_an_input_error() -> None:
    with pytest.raises(fp.InputError, match="unknown operation `launch`"):
        fp.PolicyEngine().call("launch", {})


def test_the_watcher_reloads_once_the_folder_is_still(folders: dict[str, Path]) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    seen: list[ReloadResult] = []
    watcher = BundleWatcher(engine, folders["current"], on_reload=seen.append)
    assert watcher.check() is None
    point(folders["current"], folders["v2"])
    assert watcher.check() is None  # changed: wait one poll in case it is being written
    result = watcher.check()
    assert result is not None and result.outcome == "swapped"
    assert engine.bundle.version == "2.0.0" and seen == [result]
    assert watcher.check() is None


def test_the_watcher_reports_a_failed_reload_and_keeps_serving(folders: dict[str, Path]
                                                               ) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    watcher = BundleWatcher(engine, folders["current"])
    point(folders["current"], folders["broken"])
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert result.error is not None and "access.yaml" in result.error
    assert engine.bundle.version == "1.0.0" and watcher.last == result
    assert result.to_dict()["bundle"]["version"] == "1.0.0"


def test_an_unsigned_version_is_refused_when_keys_are_required(
        folders: dict[str, Path], tmp_path: Path) -> None:
    from finpolicy.audit.keys import generate_keys
    from finpolicy.documents.signing import sign_bundle

    keys = generate_keys(tmp_path / "keys")
    sign_bundle(fp.load_bundle(folders["v1"]), keys.signing_key)
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"],
                                            trusted_keys=[keys.public_key]))
    watcher = BundleWatcher(engine, folders["current"], trusted_keys=[keys.public_key])
    point(folders["current"], folders["v2"])  # v2 is not signed
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert "not signed" in (result.error or "")
    sign_bundle(fp.load_bundle(folders["v2"]), keys.signing_key)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "swapped"


def test_the_watcher_thread_starts_and_stops(folders: dict[str, Path]) -> None:
    engine = fp.PolicyEngine(fp.load_bundle(folders["current"]))
    with BundleWatcher(engine, folders["current"], interval=0.01) as watcher:
        point(folders["current"], folders["v2"])
        for _ in range(500):
            if engine.bundle.version == "2.0.0":
                break
            time.sleep(0.01)
    assert engine.bundle.version == "2.0.0"
    assert watcher._thread is None


def test_call_uses_the_engines_role_directory(bundle: fp.Bundle) -> None:
    from tests.helpers.directory import DIRECTORY
    from tests.helpers.serve_bodies import CORE_READ, GRANT

    request = {**CORE_READ, "grants": [GRANT]}
    without = fp.PolicyEngine(bundle).call("authorize", {"request": request})
    with_directory = fp.PolicyEngine(bundle, directory=DIRECTORY).call(
        "authorize", {"request": request})
    assert not without.result.allowed
    assert with_directory.result.allowed and with_directory.result.grant_id == GRANT["id"]


def test_call_names_missing_and_unknown_arguments(bundle: fp.Bundle) -> None:
    engine = fp.PolicyEngine(bundle)
    with pytest.raises(fp.InputError, match="needs `request`"):
        engine.call("authorize", {})
    with pytest.raises(fp.InputError, match="takes no argument `nonsense`"):
        engine.call("authorize", {"request": {}, "nonsense": 1})


def test_a_bundle_loaded_by_a_relative_path_reloads_from_its_folder_after_a_chdir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A daemon that changes folder after loading reloaded (and logged) whatever `pack`
    the new folder held, or nothing: a bundle's root is kept absolute."""
    import shutil

    from finpolicy.documents.bundle import shipped_packs

    shutil.copytree(shipped_packs() / "cn-banking", tmp_path / "app" / "pack")
    monkeypatch.chdir(tmp_path / "app")
    engine = fp.PolicyEngine(fp.load_bundle("pack"))
    assert Path(engine.bundle.root) == tmp_path / "app" / "pack"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert engine.reload() is None  # the same folder, the same content
