"""Hot reload: watch a bundle folder and swap an engine to each new version that loads.

A new version is loaded, validated (its signature verified when trusted keys are given) and
compiled completely before one atomic ``swap``; a version that fails keeps the engine on the
bundle it has, and the failure is reported (``ReloadResult.error``, the ``on_reload``
callback). Decisions already running finish on the bundle they started with.

Deploy a new version by writing it to a new folder and pointing a link at it (``current ->
v42``), or sign it: a folder edited in place can be seen half written, and the watcher only
protects against that by waiting until the folder is still for one interval (and, with
trusted keys, by refusing any content that is not exactly what was signed).

A watcher never goes backwards on its own: a version whose manifest version is older than the
one serving, or (with trusted keys) of the same version but signed before it, is refused as a
``downgrade`` (an older release that a trusted key signed, put back by whoever can write the
release folder or move the link, still verifies). ``allow_downgrade=True`` lets an operator
roll back through the folder; ``engine.swap(previous)`` rolls back without a watcher. The
watcher remembers only the version serving: ``min_version_file`` keeps the newest version
served across restarts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from finpolicy import atomic
from finpolicy.documents.bundle import Bundle, resolve_bundle_path
from finpolicy.documents.lock import read_pin_file
from finpolicy.documents.pins import (
    expected_version,
    is_version,
    older_version,
    version_key,
    version_problem,
)
from finpolicy.documents.signing import (
    SIGNATURE_FILE,
    check_signed_before_loading,
    verify_signatures,
)
from finpolicy.errors import FinpolicyError, InputError, PolicyError, Problem

if TYPE_CHECKING:
    from finpolicy.engine import EngineCore

__all__ = ["BundleWatcher", "ReloadResult", "min_version_from", "read_min_version",
           "write_min_version"]

_LOG = logging.getLogger("finpolicy.reload")

Fingerprint = tuple[str, tuple[tuple[str, int, int], ...]]

_ALLOW = "; to roll back on purpose, allow it (finpolicy serve --allow-downgrade, " \
         "BundleWatcher(allow_downgrade=True))"


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
        allow_downgrade: serve a version older than the one serving (or, with trusted keys,
            of the same version and signed before it) too; refused by default, as a
            ``downgrade`` failure naming both versions.
        min_version: a version below this one is never served, ``allow_downgrade`` or not
            (``downgrade``).
        min_version_file: a file keeping the minimum version across restarts: read here
            (when it exists) as ``min_version`` is, and raised to each newer version served
            (this one included), so a restart does not forget the newest version served.
            Keep it where only the service and its operators write, not in the release
            folder; to roll back, lower the version in it and restart.

    Raises:
        InputError: ``min_version`` is no semantic version, or ``min_version_file`` cannot
            be read or holds none.

    ``check()`` polls once (call it from your own scheduler); ``start()`` polls in a daemon
    thread until ``stop()``. Also a context manager that starts and stops.
    """

    def __init__(self, engine: EngineCore, path: str | Path | None = None, *,
                 trusted_keys: Iterable[Any] | None = None, interval: float = 1.0,
                 on_reload: Callable[[ReloadResult], None] | None = None,
                 allow_downgrade: bool = False, min_version: str | None = None,
                 min_version_file: str | Path | None = None) -> None:
        self.min_version, self._kept, _ = min_version_from(min_version, min_version_file)
        self.min_version_file = None if min_version_file is None else Path(min_version_file)
        if self.min_version_file is not None:
            self._keep_min_version(engine.bundle.version)
        self.engine = engine
        self.path = resolve_bundle_path(engine.bundle.root if path is None else path)
        self.trusted_keys = None if trusted_keys is None else tuple(trusted_keys)
        self.interval = interval
        self.on_reload = on_reload
        self.allow_downgrade = allow_downgrade
        self._signed: tuple[str, dt.datetime | None] | None = None
        """The serving bundle's digest and when a trusted key last signed it, as found when
        it began serving (its folder may be written since)."""
        if self.trusted_keys is not None:
            # (a key that cannot be read fails each reload, which says so)
            with contextlib.suppress(FinpolicyError):
                self._signed = (engine.bundle.digest, self._signed_at(engine.bundle))
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
        running meanwhile waited for; an older release than the one serving, which a trusted
        key signed, is refused from it too (its signed version): in 0.5 ms where loading the
        shipped pack first took 27 to 64 ms, 0.4 to 0.8 s while four threads decided."""
        source = Path(folder) if Path(folder).is_dir() else self.path
        try:
            if self.trusted_keys is not None:
                self._refuse_older(source, check_signed_before_loading(source,
                                                                       self.trusted_keys))
            previous = self._swap_to(source)
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

    def _swap_to(self, source: Path) -> Bundle | None:
        """What ``engine.reload(source)`` does (load as the engine loads, the same digest is
        no change, one atomic swap), with the downgrade check between the load and the swap:
        an older version is never served, not even for a moment. Returns the bundle
        replaced, or ``None`` when unchanged.

        Raises:
            PolicyError: the version is invalid, unsigned, or older (``downgrade``).
        """
        # the engine module's loader, looked up now, as ``engine.reload`` loads
        from finpolicy.engine import load_bundle  # type: ignore[attr-defined]

        serving = self.engine.bundle
        fresh = load_bundle(source, trusted_keys=self.trusted_keys)
        if fresh.digest == serving.digest:
            return None
        self._refuse_older(source, [fresh])
        signed = None if self.trusted_keys is None else (fresh.digest, self._signed_at(fresh))
        if signed is not None and not self.allow_downgrade:
            self._refuse_signed_earlier(fresh, signed[1], serving)
        previous = self.engine.swap(fresh)
        self._signed = signed
        if self.min_version_file is not None:
            self._keep_min_version(fresh.version)
        return previous

    def _keep_min_version(self, version: str) -> None:
        """Raise the minimum version, and ``min_version_file``, to ``version`` when it is
        newer (a file that cannot be written is logged, and written at the next swap: the
        version is served already, and the watcher keeps the minimum in memory)."""
        assert self.min_version_file is not None
        self.min_version = _newest(self.min_version, version)
        if self._kept is not None and not older_version(self._kept, version):
            return
        try:
            write_min_version(self.min_version_file, version)
        except OSError as exc:
            _LOG.error("minimum version file %s not raised to %s (a restart would serve older "
                       "versions): %s", self.min_version_file, version,
                       exc.strerror or type(exc).__name__)
            return
        self._kept = version

    def _refuse_older(self, source: Path, found: Iterable[Any]) -> None:
        """Raise ``downgrade`` when the release at ``source`` is below ``min_version`` or
        (unless downgrades are allowed) the version serving. ``found`` says its version: the
        loaded bundle, or what each trusted signature of it says (its ``bundle`` and
        ``version``: refused before loading when every one is older)."""
        releases = [_Release(str(source), str(r.get("bundle")), r.get("version"))
                    if isinstance(r, Mapping) else r for r in found]
        if not releases or not all(is_version(r.version) for r in releases):
            return  # (a signed version that is none: loading judges the release)
        newest = max(releases, key=lambda r: version_key(r.version))
        floors = [] if self.min_version is None else [(self.min_version,
                                                       "the minimum version", "")]
        if not self.allow_downgrade:
            floors.append((self.engine.bundle.version, "the version serving", _ALLOW))
        for floor, what, hint in floors:
            problem = version_problem(newest, floor, what, hint)
            if problem is not None:
                raise PolicyError([problem])

    def _refuse_signed_earlier(self, fresh: Bundle, signed: dt.datetime | None,
                               serving: Bundle) -> None:
        """Raise ``downgrade`` when ``fresh``, last signed by a trusted key at ``signed``, is
        of the same version as ``serving`` but was signed before it (a release re-signed
        after a fix without a new version, its first signing put back)."""
        if fresh.version != serving.version or signed is None:
            return
        if self._signed is None or self._signed[0] != serving.digest:  # (swapped by hand)
            self._signed = (serving.digest, self._signed_at(serving))
        before = self._signed[1]
        if before is None or signed >= before:
            return
        raise PolicyError([Problem(
            str(Path(fresh.root) / SIGNATURE_FILE), None, "signed_at",
            f"bundle {fresh.name} {fresh.version} was last signed by a trusted key at "
            f"{signed.isoformat()}, before the {serving.version} serving was "
            f"({before.isoformat()}): an older signing of the same version is refused{_ALLOW}",
            "downgrade")])

    def _signed_at(self, bundle: Bundle) -> dt.datetime | None:
        """When a trusted key last signed ``bundle`` as it is (``None``: never, or no time
        that reads as one)."""
        assert self.trusted_keys is not None
        times = []
        for status in verify_signatures(bundle, self.trusted_keys).signatures:
            if status.intact and status.current and status.trusted and status.signed_at:
                try:
                    when = dt.datetime.fromisoformat(status.signed_at)
                except ValueError:
                    continue
                times.append(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
        return max(times, default=None)

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


def read_min_version(path: str | Path, name: str = "min_version_file") -> str | None:
    """The version a ``min_version_file`` holds (one line), or ``None`` when there is no
    such file yet.

    Raises:
        InputError: the file cannot be read, or holds no semantic version (naming ``name``
            and the file).
    """
    path = Path(path)
    try:
        text = read_pin_file(path).decode("utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError.one(name, f"`{path}`: cannot be read: {reason}",
                             "bad_option", str(path)) from None
    if not is_version(text):
        raise InputError.one(name, f"`{path}`: expected one semantic version "
                             f"like `2.3.0`, got `{text[:80]}`", "bad_option", str(path))
    return text


def min_version_from(stated: str | None, path: str | Path | None, *,
                     names: tuple[str, str] = ("min_version", "min_version_file"),
                     ) -> tuple[str | None, str | None, str]:
    """The minimum version, ``stated`` or what the ``min_version_file`` ``path`` holds (the
    newer); what the file holds; and which of the two (``names``) it is, in words.

    Raises:
        InputError: ``stated`` is no semantic version, or the file cannot be read or holds
            none (naming the one of ``names``).
    """
    if stated is not None:
        stated = expected_version(stated, names[0])
    kept = None if path is None else read_min_version(path, names[1])
    if kept is not None and (stated is None or older_version(stated, kept)):
        return kept, kept, f"the minimum version ({names[1]} {path})"
    return stated, kept, f"the minimum version ({names[0]})"


def write_min_version(path: str | Path, version: str) -> None:
    """Write ``version`` to the ``min_version_file`` ``path``: whole or not at all, synced
    to disk (a crash right after a swap must not forget it).

    Raises:
        OSError: it cannot be written.
    """
    atomic.replace_file(Path(path), f"{version}\n".encode(), sync=True)


def _newest(first: str | None, second: str | None) -> str | None:
    """The newer of two semantic versions (either may be ``None``: none)."""
    if first is None or second is None:
        return first or second
    return second if older_version(first, second) else first


@attrs.frozen(slots=True)
class _Release:
    """A release as its trusted signatures name it, before it is loaded."""

    root: str
    name: str
    version: Any


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
