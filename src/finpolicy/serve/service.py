"""One served engine: the bundle it decides on, how it reloads, what it reports."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from finpolicy.errors import FinpolicyError
from finpolicy.facade import PolicyEngine
from finpolicy.reloading import BundleWatcher, ReloadResult
from finpolicy.serve.metrics import Metrics

__all__ = ["FLUSH_SECONDS", "Service"]

_LOG = logging.getLogger("finpolicy.serve")

FLUSH_SECONDS = 10.0
"""Seconds stopping waits for the decision log to write what is queued: a store that stopped
answering (a frozen database server) held the stop, and the process, until it was killed."""


class _Watcher(BundleWatcher):
    """A watcher that also reports an ``unchanged`` reload after a failed one: the folder
    went back to the version serving (a link rolled back from a release that failed, an edit
    undone), so the failure is over. ``BundleWatcher`` reports no ``unchanged`` reload, and
    ``/health`` said ``degraded`` until another version was deployed."""

    def check(self, *, force: bool = False) -> ReloadResult | None:
        result = super().check(force=force)
        failed = self.last is not None and self.last.outcome == "failed"
        if result is not None and result.outcome == "unchanged" and failed:
            self.last = result
            if self.on_reload is not None:
                self.on_reload(result)
        return result


class Service:
    """What the HTTP app serves: an engine, its watcher and its metrics.

    Args:
        engine: the engine decisions are taken with (its decision log, if any, records them).
        watch: the bundle folder to watch for new versions (``None``: no hot reload).
        trusted_keys: Ed25519 public keys; with them, a version no trusted key signed is
            never served (the first one included: check it before building the engine).
        interval: seconds between polls of ``watch``.
        allow_downgrade: serve a version of ``watch`` older than the one serving too (a
            deliberate rollback through the folder); refused by default (see
            ``BundleWatcher``).
        min_version: a version of ``watch`` below this one is never served.
        min_version_file: a file keeping the minimum version across restarts (see
            ``BundleWatcher``).
        prune_every: seconds between retention runs of the decision log (``prune``: segments
            whose every entry is past its retention go), the first at start; ``None``: never.
        log_wait: seconds a request waits for the decision log to hold its decisions before
            they are denied (a 500): a decision is never answered that the log may not keep.
    """

    def __init__(self, engine: PolicyEngine, *, watch: str | Path | None = None,
                 trusted_keys: Iterable[Any] | None = None, interval: float = 1.0,
                 prune_every: float | None = 86_400.0, log_wait: float = 30.0,
                 allow_downgrade: bool = False, min_version: str | None = None,
                 min_version_file: str | Path | None = None) -> None:
        self.engine = engine
        self.prune_every = prune_every
        self.log_wait = log_wait
        self._stopping = threading.Event()
        self._pruner: threading.Thread | None = None
        self.metrics = Metrics()
        self.metrics.serving(engine.bundle)
        self.metrics.log_failing.set_function(lambda: 0.0 if self.log_failure() is None
                                              else 1.0)
        self.started_at = dt.datetime.now(dt.UTC)
        self.loaded_at = self.started_at
        self.watcher: BundleWatcher | None = None
        if watch is not None:
            self.watcher = _Watcher(engine, watch, trusted_keys=trusted_keys,
                                    interval=interval, on_reload=self._reloaded,
                                    allow_downgrade=allow_downgrade, min_version=min_version,
                                    min_version_file=min_version_file)

    def _reloaded(self, result: ReloadResult) -> None:
        self.metrics.reloads.labels(result.outcome).inc()
        self.metrics.reload_failing.set(1 if result.outcome == "failed" else 0)
        if result.outcome == "swapped":
            self.loaded_at = result.at
            self.metrics.serving(result.bundle)

    @property
    def last_reload(self) -> ReloadResult | None:
        """The last reload attempt that changed something or failed."""
        return None if self.watcher is None else self.watcher.last

    def start(self) -> None:
        """Start watching for new bundle versions, and pruning the decision log."""
        if self.watcher is not None:
            self.watcher.start()
        if hasattr(self.engine.log, "prune") and self.prune_every is not None:
            self._stopping.clear()
            self._pruner = threading.Thread(target=self._prune, name="finpolicy-log-retention",
                                            daemon=True)
            self._pruner.start()

    def stop(self) -> None:
        """Stop watching and pruning; flush the decision log."""
        if self.watcher is not None:
            self.watcher.stop()
        self._stopping.set()
        if self._pruner is not None:
            self._pruner.join()
            self._pruner = None
        if self.engine.log is not None:
            try:
                self.engine.log.flush(timeout=FLUSH_SECONDS)
            except FinpolicyError as exc:  # said on every refused decision; once more here
                _LOG.error("decision log: %s", exc)

    def _prune(self) -> None:
        """Apply the log's retention now and every ``prune_every`` seconds (the log's writer
        does it between batches: decisions go on meanwhile)."""
        log = self.engine.log
        assert log is not None and self.prune_every is not None
        while True:
            try:
                gone = log.prune()
            except FinpolicyError as exc:
                _LOG.error("decision log retention failed: %s", exc)
                if self.log_failure() is not None:  # the log refuses decisions too
                    return
                gone = []  # the store refused to delete (a role without the right): later
            if gone:
                _LOG.info("decision log retention removed segments %s", gone)
            if self._stopping.wait(self.prune_every):
                return

    def log_failure(self) -> str | None:
        """Why the decision log's writer stopped (every decision is then refused), or
        ``None``."""
        failure = getattr(self.engine.log, "failure", None)
        return None if failure is None else f"the decision log failed: {failure}"

    def health(self) -> dict[str, Any]:
        """``/health``: serving; ``degraded`` when the last reload failed, ``failing`` when
        the decision log did (and why)."""
        last = self.last_reload
        failing = last is not None and last.outcome == "failed"
        bundle = self.engine.bundle
        log_failure = self.log_failure()
        return {"status": "failing" if log_failure else "degraded" if failing else "ok",
                **({"log_failure": log_failure} if log_failure else {}),
                "bundle": {"name": bundle.name, "version": bundle.version,
                           "digest": bundle.digest},
                "loaded_at": self.loaded_at.isoformat(),
                "watching": None if self.watcher is None else str(self.watcher.path),
                "last_reload": None if last is None else last.to_dict(),
                "reload_guard": None if self.watcher is None else {
                    "signed_only": self.watcher.trusted_keys is not None,
                    "allow_downgrade": self.watcher.allow_downgrade,
                    "min_version": self.watcher.min_version}}

    def bundle_metadata(self) -> dict[str, Any]:
        """``/v1/bundle``: the bundle's name, version, digest and documents."""
        bundle = self.engine.bundle
        return {"name": bundle.name, "version": bundle.version,
                "description": bundle.description, "digest": bundle.digest,
                "engine": self.engine.engine_name, "loaded_at": self.loaded_at.isoformat(),
                "documents": [{"id": d.id, "version": d.version, "kind": d.kind,
                               "effective_from": d.metadata.effective_from.isoformat(),
                               "effective_until": None if d.metadata.effective_until is None
                               else d.metadata.effective_until.isoformat()}
                              for d in bundle.documents]}
