"""A reload as a service logs it: the ``ReloadResult`` an ``on_reload`` callback gets."""

from __future__ import annotations

import shutil
from pathlib import Path

import finpolicy as fp
from finpolicy.reloading import BundleWatcher, ReloadResult

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"


def test_a_reload_result_logs_as_one_short_line(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(PACK, folder)
    engine = fp.PolicyEngine(fp.load_bundle(folder))
    seen: list[ReloadResult] = []
    watcher = BundleWatcher(engine, on_reload=seen.append)
    manifest = folder / "bundle.yaml"
    was = engine.bundle.version
    major, minor, patch = (int(part) for part in was.split("."))
    now = f"{major}.{minor}.{patch + 1}"
    assert f"version: {was}\n" in manifest.read_text(encoding="utf-8")
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        f"version: {was}\n", f"version: {now}\n"), encoding="utf-8")
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "swapped" and seen == [result]
    old, new = result.previous, result.bundle
    assert old is not None and new is engine.bundle
    text = repr(result)
    # `on_reload=log.info` wrote every document of both bundles: 500 kB a line
    assert len(text) < 600, len(text)
    assert f"bundle=<Bundle cn-banking {now} {new.digest[:12]}>" in text
    assert f"previous=<Bundle cn-banking {was} {old.digest[:12]}>" in text
    assert "outcome='swapped'" in text
