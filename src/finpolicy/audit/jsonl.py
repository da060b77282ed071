"""The JSON-lines store of a decision log: a folder of segments ``000001.jsonl``,
``000002.jsonl`` … (one framed record a line) and ``HEAD``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from finpolicy.audit.claim import claim_file
from finpolicy.audit.errors import AuditError
from finpolicy.audit.records import framed, unframe
from finpolicy.audit.sinks import Row, Sink, Stored, Tail, replace_file

__all__ = ["JsonLinesSink"]


class JsonLinesSink(Sink):
    """A folder of segments ``000001.jsonl``, ``000002.jsonl`` … (one record a line) and
    ``HEAD`` (the latest checkpoint). Appends are single ``write`` calls of whole lines, so a
    crash leaves at most one torn line at the end, which the next writer cuts off and notes."""

    HEAD = "HEAD"

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(folder))  # the same folder after a chdir
        self.url = f"jsonl:{Path(folder)}"
        self._fh: int | None = None
        self._segment = 0
        self._release: Callable[[], None] = lambda: None

    def claim(self) -> None:
        self._release = claim_file(self.root / "LOCK", f"the log folder {self.root}", self)

    def _path(self, segment: int) -> Path:
        return self.root / f"{segment:06d}.jsonl"

    def segments(self) -> list[int]:
        if not self.root.is_dir():
            return []
        return sorted(int(p.stem) for p in self.root.glob("*.jsonl")
                      if p.stem.isdecimal() and p.is_file())

    def tail(self) -> Tail | None:
        self.root.mkdir(parents=True, exist_ok=True)
        segments = self.segments()
        while segments:
            segment = segments[-1]
            path = self._path(segment)
            discarded = _cut_torn(path)
            lines = _last_lines(path)
            if lines is None:  # an empty segment: a rotation that crashed before writing
                path.unlink()
                segments.pop()
                continue
            first, last, count = lines
            try:
                last_hash, last_body = unframe(last)
                first_body = unframe(first)[1]
            except ValueError:
                raise AuditError(f"{path}: cannot continue the log: its last record is not a "
                                 "framed record; run `finpolicy audit verify` on it") from None
            return self._tail_from(last_hash, last_body, segment, count, first_body, discarded)
        return None

    def write(self, rows: Sequence[Row], *, sync: bool) -> None:
        data: list[bytes] = []
        for row in rows:
            if row.segment != self._segment:
                self._flush(data, sync)
                data = []
                self._switch(row.segment)
            data.append(framed(row.hash, row.body) + b"\n")
        self._flush(data, sync)

    def _switch(self, segment: int) -> None:
        if self._fh is not None:
            os.fsync(self._fh)
            os.close(self._fh)
        self.root.mkdir(parents=True, exist_ok=True)
        self._fh = os.open(self._path(segment), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._segment = segment

    def _flush(self, data: list[bytes], sync: bool) -> None:
        if not data or self._fh is None:
            return
        blob = b"".join(data)
        view = memoryview(blob)
        while view:
            written = os.write(self._fh, view)
            view = view[written:]
        if sync:
            os.fsync(self._fh)

    def set_head(self, stored: bytes) -> None:
        replace_file(self.root / self.HEAD, stored + b"\n")

    def head(self) -> bytes | None:
        path = self.root / self.HEAD
        return path.read_bytes().rstrip(b"\n") if path.is_file() else None

    def records(self) -> Iterator[Stored]:
        segments = self.segments()
        if not segments and not (self.root / self.HEAD).is_file():
            raise AuditError(f"{self.root}: no such decision log" + (
                " (the folder holds no segments and no HEAD)" if self.root.is_dir() else ""))
        for segment in segments:
            path = self._path(segment)
            try:
                fh = path.open("rb")
            except FileNotFoundError:  # listed a moment ago: its writer's retention deleted it
                raise AuditError(f"{path}: deleted while the log was being read (a prune by "
                                 "its writer): read it again") from None
            with fh:
                for number, line in enumerate(fh, 1):
                    where = f"{path.name} line {number}"
                    if not line.endswith(b"\n"):
                        yield Stored(where, "", b"", segment, "incomplete last line", torn=True)
                        break
                    yield _stored(line[:-1], where, segment)

    def last_body(self, segment: int) -> bytes | None:
        lines = _last_lines(self._path(segment))
        return None if lines is None else unframe(lines[1])[1]

    def drop(self, segments: Sequence[int]) -> None:
        for segment in segments:
            self._path(segment).unlink(missing_ok=True)

    def close(self) -> None:
        if self._fh is not None:
            os.fsync(self._fh)
            os.close(self._fh)
            self._fh = None
        self._release()


def _stored(data: bytes, where: str, segment: int) -> Stored:
    try:
        h, body = unframe(data)
    except ValueError as exc:
        return Stored(where, "", b"", segment, str(exc))
    return Stored(where, h, body, segment)


def _cut_torn(path: Path) -> int:
    """Cut bytes after the last newline (a write a crash interrupted); how many were cut."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        keep = size
        step = 4096
        while keep > 0:
            start = max(0, keep - step)
            fh.seek(start)
            chunk = fh.read(keep - start)
            index = chunk.rfind(b"\n")
            if index >= 0:
                keep = start + index + 1
                break
            keep = start
        if keep < size:
            fh.truncate(keep)
            os.fsync(fh.fileno())
        return size - keep


def _last_lines(path: Path) -> tuple[bytes, bytes, int] | None:
    """First line, last line and line count of a segment (``None`` when empty)."""
    first = last = b""
    count = 0
    with path.open("rb") as fh:
        for line in fh:
            if count == 0:
                first = line.rstrip(b"\n")
            last = line
            count += 1
    return None if count == 0 else (first, last.rstrip(b"\n"), count)
