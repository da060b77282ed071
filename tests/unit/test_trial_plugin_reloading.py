"""Hot reload when loading fails with something other than a ``FinpolicyError`` (a plug-in
kind's bug, a foreign library's error): the old bundle keeps deciding and the failure is
reported like any other, never raised out of the watcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
import finpolicy.engine
from finpolicy.reloading import BundleWatcher, ReloadResult
from tests.helpers.versions import make_version, point


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise KeyError("pep-review")  # what a plug-in's build may raise on a policy edit


def test_a_foreign_error_while_reloading_is_a_reported_failed_reload(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1 = make_version(tmp_path, "v1", "1.0.0")
    v2 = make_version(tmp_path, "v2", "2.0.0")
    point(tmp_path / "current", v1)
    engine = fp.PolicyEngine(fp.load_bundle(tmp_path / "current"))
    seen: list[ReloadResult] = []
    watcher = BundleWatcher(engine, tmp_path / "current", on_reload=seen.append)
    point(tmp_path / "current", v2)
    monkeypatch.setattr(finpolicy.engine, "load_bundle", _boom)
    result = watcher.check(force=True)
    assert result is not None and result.outcome == "failed"
    assert result.error is not None and "KeyError" in result.error
    # named by the release tried, where the link led then (it may lead elsewhere later)
    assert "pep-review" in result.error and str(v2) in result.error
    assert watcher.last == result and seen == [result]
    assert engine.bundle.version == "1.0.0"
