"""A store that stops answering (a frozen database server, a hung network file system) holds
the log's writer: closing the log can be bounded, and a process exiting does not hang on it
for good."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, SqliteSink, read_entries
from finpolicy.audit.sinks import Row

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def keys() -> AuditKeys:
    return AuditKeys.generate()


class _Frozen(SqliteSink):
    """A store that stops answering after the log's opening write, until ``go`` is set."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.go = threading.Event()
        self.writes = 0

    def write(self, rows: Sequence[Row], *, sync: bool) -> None:
        self.writes += 1
        if self.writes > 1:
            self.go.wait()
        super().write(rows, sync=sync)


def test_close_with_a_timeout_says_what_was_not_written(tmp_path: Path,
                                                        keys: AuditKeys) -> None:
    sink = _Frozen(tmp_path / "log.db")
    log = DecisionLog(sink, keys=keys, batch_wait=0)
    engine = fp.PolicyEngine(log=log)
    engine.classify(fp.DataField(name="remark"))
    engine.classify(fp.DataField(name="id_number"))
    with pytest.raises(AuditError, match=r"timed out after 0.3 s.*2 recorded call\(s\) not "
                                         r"yet written"):
        log.close(timeout=0.3)
    with pytest.raises(AuditError, match="closed"):  # and it takes no more
        engine.classify(fp.DataField(name="remark"))
    sink.go.set()  # the store answers again: a later close finishes the work
    log.close()
    assert [e.domain for e in read_entries(tmp_path / "log.db")] == ["classification"] * 2


def test_a_closed_log_closes_again_quietly(tmp_path: Path, keys: AuditKeys) -> None:
    log = DecisionLog(tmp_path / "log.db", keys=keys)
    log.close(timeout=10)
    log.close(timeout=10)
    log.close()


def test_a_process_exits_though_its_store_stopped_answering(tmp_path: Path) -> None:
    """The writer is a daemon thread and exiting closes each open log: without a bound, the
    close waited for the frozen store, and the process never ended."""
    script = textwrap.dedent(f"""
        import threading
        from pathlib import Path
        import finpolicy as fp
        from finpolicy.audit import AuditKeys, DecisionLog, SqliteSink, caller

        caller.EXIT_TIMEOUT = 0.5

        class Frozen(SqliteSink):
            writes = 0
            def write(self, rows, *, sync):
                self.writes += 1
                if self.writes > 1:
                    threading.Event().wait()  # for good
                super().write(rows, sync=sync)

        log = DecisionLog(Frozen(Path({str(tmp_path / "log.db")!r})),
                          keys=AuditKeys.generate(), batch_wait=0)
        fp.PolicyEngine(log=log).classify(fp.DataField(name="remark"))
        print("decided", flush=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "decided\n"
    assert "could not be closed at exit" in done.stderr
    assert "1 recorded call(s) not yet written" in done.stderr


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port where a server accepts connections and never answers (a stalled pooler)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("given", ["?connect_timeout=1", ""])
def test_a_postgresql_server_that_never_answers_is_an_error(
        silent_server: int, given: str, keys: AuditKeys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """libpq waits for an answer for good by default: opening the log (and every audit
    command) froze. A DSN's own connect_timeout is kept; without one finpolicy sets
    ``CONNECT_TIMEOUT`` (lowered here so the test is quick)."""
    postgres = pytest.importorskip("finpolicy.audit.postgres")
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    monkeypatch.setattr(postgres, "CONNECT_TIMEOUT", 1)
    dsn = f"postgresql://u:secret@127.0.0.1:{silent_server}/db{given}"
    with pytest.raises(AuditError, match=r"did not answer within 1 s \(set connect_timeout") \
            as caught:
        DecisionLog(dsn, keys=keys)
    assert "secret" not in str(caught.value)


def test_a_link_planted_where_the_head_was_written_is_not_followed(tmp_path: Path,
                                                                     keys: AuditKeys) -> None:
    """The JSON-lines log wrote its head to HEAD.tmp, then renamed it: anyone who could write
    to the log's folder planted a link there and had the writer overwrite the file it led to
    (the same for an anchor file's folder)."""
    where = tmp_path / "log"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    with DecisionLog(where, keys=keys, anchor=tmp_path / "anchor.json") as log:
        (where / "HEAD.tmp").symlink_to(victim)
        (tmp_path / "anchor.json.tmp").symlink_to(victim)
        fp.PolicyEngine(log=log).classify(fp.DataField(name="remark"))
        log.flush()
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert (where / "HEAD").read_bytes().startswith(b"{")
    assert [p.name for p in where.iterdir() if p.name.endswith(".tmp")] == ["HEAD.tmp"]
