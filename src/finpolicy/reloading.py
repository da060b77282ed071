"""Hot reload: watch a bundle folder and swap an engine to each new version that loads.

A new version is loaded, validated (its signature verified when trusted keys are given) and
compiled completely before one atomic ``swap``; a version that fails keeps the engine on the
bundle it has, and the failure is reported (``ReloadResult.error``, the ``on_reload``
callback). Decisions already running finish on the bundle they started with.

Deploy a new version by writing it to a new folder and pointing a link at it (``current ->
v42``), or sign it: a folder edited in place can be seen half written, and the watcher only
protects against that by waiting until the folder is still for one interval (and, with
trusted keys, by refusing any content that is not exactly what was signed).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from finpolicy.documents.bundle import Bundle, resolve_bundle_path
from finpolicy.documents.signing import check_signed_before_loading
from finpolicy.errors import FinpolicyError

if TYPE_CHECKING:
    from finpolicy.engine import EngineCore

__all__ = ["BundleWatcher", "ReloadResult"]

_LOG = logging.getLogger("finpolicy.reload")

Fingerprint = tuple[str, tuple[tuple[str, int, int], ...]]


def _named(bundle: Bundle | None) -> str:
    """A bundle as a result's ``repr`` shows it: name, version and digest (a ``Bundle``'s
    own repr holds every document, hundreds of kilobytes in a log line)."""
    if bundle is None:
        return "None"
    return f"<Bundle {bundle.name} {bundle.version} {bundle.digest[:12]}>"


@attrs.frozen(slots=True, kw_only=True)
class ReloadResult:
    """One reload attempt.

    Attributes:
        outcome: ``"swapped"`` (a new version serves), ``"unchanged"`` (same digest) or
            ``"failed"`` (the old version keeps serving; ``error`` says why).
        at: when the attempt ended.
        bundle: the bundle serving after the attempt.
        previous: the bundle replaced, when swapped.
        error: why the new version was refused, when failed.
        folder: the folder the watched path led to (a link's target: the release tried).
    """

    outcome: Literal["swapped", "unchanged", "failed"]
    at: dt.datetime
    bundle: Bundle = attrs.field(repr=_named)
    previous: Bundle | None = attrs.field(default=None, repr=_named)
    error: str | None = None
    folder: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``/health`` reports the last one)."""
        return {"outcome": self.outcome, "at": self.at.isoformat(),
                "bundle": {"name": self.bundle.name, "version": self.bundle.version,
                           "digest": self.bundle.digest},
                "error": self.error, "folder": self.folder}


def fingerprint(path: str | Path) -> Fingerprint:
    """What changes when a bundle folder's content changes: the folder a link points at, and
    each file's name, size and modification time (a folder that cannot be read has none)."""
    root = Path(path).resolve()
    entries: list[tuple[str, int, int]] = []
    try:
        for entry in sorted(root.iterdir()):
            try:
                stat = entry.stat()
            except OSError:
                continue
            entries.append((entry.name, stat.st_size, stat.st_mtime_ns))
    except OSError:
        pass
    return str(root), tuple(entries)


class BundleWatcher:
    """Polls a bundle folder and reloads ``engine`` when it changes.

    Args:
        engine: the engine to swap (``PolicyEngine``).
        path: the bundle folder (or a link to the current version's folder); the engine's
            own bundle folder by default.
        trusted_keys: Ed25519 public keys; a version no trusted key signed is refused.
        interval: seconds between polls (``start``).
        on_reload: called with every ``ReloadResult`` except ``unchanged`` ones.

    ``check()`` polls once (call it from your own scheduler); ``start()`` polls in a daemon
    thread until ``stop()``. Also a context manager that starts and stops.
    """

    def __init__(self, engine: EngineCore, path: str | Path | None = None, *,
                 trusted_keys: Iterable[Any] | None = None, interval: float = 1.0,
                 on_reload: Callable[[ReloadResult], None] | None = None) -> None:
        self.engine = engine
        self.path = resolve_bundle_path(engine.bundle.root if path is None else path)
        self.trusted_keys = None if trusted_keys is None else tuple(trusted_keys)
        self.interval = interval
        self.on_reload = on_reload
        self.last: ReloadResult | None = None
        """The last attempt that was not ``unchanged``, or ``None``."""
        self._seen = fingerprint(self.path)
        self._settling = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self, *, force: bool = False) -> ReloadResult | None:
        """Poll once: reload when the folder changed and has been still since the last poll
        (or at once with ``force``). Returns the attempt, or ``None`` when nothing was due."""
        with self._lock:
            now = fingerprint(self.path)
            if not force:
                if now != self._seen:
                    self._seen, self._settling = now, True
                    return None  # still being written, perhaps: look again next time
                if not self._settling:
                    return None
            result = self._reload(now[0])
            after = fingerprint(self.path)
            # changed while loading: judge the newer content on the next poll instead
            self._seen, self._settling = after, after != now
            if result.outcome == "failed" and after != now:
                return None
        if result.outcome != "unchanged":
            self.last = result
            if self.on_reload is not None:
                self.on_reload(result)
        return result

    def _reload(self, folder: str) -> ReloadResult:
        """Reload from ``folder``, the one release the watched path (a link) led to when the
        folder was judged still: loading through the link read each file through it anew,
        so a link moved while a version loaded gave a bundle of some files of each release,
        neither one (served, without trusted keys, until the next poll).

        With trusted keys, a version no trusted key signed as it is named (its policy files,
        its lock) is refused from ``bundle.sig`` alone, before any of its files is parsed:
        loading a pack of many large files no one signed took seconds of CPU, which decisions
        running meanwhile waited for."""
        source = Path(folder) if Path(folder).is_dir() else self.path
        try:
            if self.trusted_keys is not None:
                check_signed_before_loading(source, self.trusted_keys)
            previous = self.engine.reload(source, trusted_keys=self.trusted_keys)
        except Exception as exc:  # a plug-in's bug too fails the reload, reported, never raised
            error = str(exc) if isinstance(exc, FinpolicyError) else \
                f"{source}: {type(exc).__name__}: {exc}"
            _LOG.warning("bundle %s (%s) not reloaded, the current version keeps serving: %s",
                         self.path, folder, error)
            return ReloadResult(outcome="failed", at=_now(), bundle=self.engine.bundle,
                                error=error, folder=folder)
        bundle = self.engine.bundle
        if previous is None:
            return ReloadResult(outcome="unchanged", at=_now(), bundle=bundle, folder=folder)
        _LOG.info("bundle %s reloaded from %s: %s %s (%s), was %s (%s)", self.path, folder,
                  bundle.name, bundle.version, bundle.digest[:12], previous.version,
                  previous.digest[:12])
        return ReloadResult(outcome="swapped", at=_now(), bundle=bundle, previous=previous,
                            folder=folder)

    def start(self) -> BundleWatcher:
        """Poll every ``interval`` seconds in a daemon thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="finpolicy-bundle-watcher",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling (waits for a poll under way)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one bad poll
                _LOG.exception("bundle watcher poll failed")

    def __enter__(self) -> BundleWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
