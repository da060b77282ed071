"""``DecisionLog``: record every decision of an engine, chained, signed, masked, off the
decision path.

The calling thread only checks the queue has room and appends the call's objects (inputs are
immutable models, decisions frozen attrs objects). One writer thread turns batches of calls
into records — masking, sealing, encoding, chaining — writes each batch in one go, and signs a
checkpoint every ``checkpoint_every`` records, every ``checkpoint_seconds``, on ``flush()``
and on ``close()``. A log still open at interpreter exit is closed then (``close_at_exit``).

When the queue is full, ``record`` waits up to ``block_timeout`` seconds for room, then raises
``LogFullError``: the caller gets an error instead of an unlogged decision (``on_full="fail"``
raises at once). If the writer fails (disk full, database gone), every later ``record``,
``flush`` and ``close`` raises ``AuditError`` naming the cause and how many calls were not
written. Nothing is ever dropped silently.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from finpolicy.audit import calls, retention
from finpolicy.audit.caller import (
    CONTEXT,
    Call,
    Opener,
    checked_context,
    close_at_exit,
    closed_by_caller,
    context_json,
    current_context,
)
from finpolicy.audit.entries import decision_fields
from finpolicy.audit.errors import AuditError, LogFullError
from finpolicy.audit.keys import AuditKeys, checked_keys
from finpolicy.audit.masking import Maskers
from finpolicy.audit.records import (
    FORMAT,
    GENESIS,
    b64,
    checkpoint_message,
    digest,
    encode,
    framed,
    utc_text,
)
from finpolicy.audit.retention import PruneTask
from finpolicy.audit.sinks import Row, Sink, open_sink
from finpolicy.audit.state import WriterState, check_settings, key_fields, replace_file

__all__ = ["DecisionLog", "current_context"]



class DecisionLog:
    """A tamper-evident log of decisions. Give it to ``fp.PolicyEngine(bundle, log=...)``.

    Args:
        sink: where records go: a ``Sink``, a folder (JSON lines), a ``.db``/``.sqlite`` path,
            or a ``postgresql://`` URL (see ``open_sink``).
        keys: ``AuditKeys`` with the signing key and the sealing secret.
        application: names the calling application in every entry's context.
        queue_size: calls waiting for the writer at most.
        on_full: ``"block"`` (wait up to ``block_timeout`` seconds, then raise) or ``"fail"``
            (raise at once); either way the decision is refused, never left unlogged.
        batch_size: records written per batch at most.
        batch_wait: seconds the writer lets a batch fill before it writes a smaller one (a
            record, seal, hash and write per call costs more than one per batch); ``flush``,
            ``close`` and a full batch cut the wait short.
        checkpoint_every: records between signed checkpoints.
        checkpoint_seconds: the longest an entry waits for a checkpoint while the log is busy.
        segment_records: records per segment before the log rotates to a new one.
        anchor: a file that receives a copy of every checkpoint (keep it off the log's host).
        sync: also ``fsync`` each batch (otherwise on ``flush``, ``close`` and rotation).

    Raises:
        AuditError: the keys cannot sign or seal, or the sink cannot be opened.
    """

    def __init__(self, sink: Sink | str | os.PathLike[str], *, keys: AuditKeys,
                 application: str | None = None, queue_size: int = 50_000,
                 on_full: Literal["block", "fail"] = "block", block_timeout: float = 5.0,
                 batch_size: int = 2_000, batch_wait: float = 0.02,
                 checkpoint_every: int = 10_000,
                 checkpoint_seconds: float = 60.0, segment_records: int = 1_000_000,
                 anchor: str | os.PathLike[str] | None = None, sync: bool = False) -> None:
        if checked_keys(keys).signing_key is None or keys.sealing_secret is None:
            raise AuditError("a decision log needs keys that can sign and seal "
                             "(AuditKeys.load(folder) with the signing key and sealing secret)")
        if on_full not in ("block", "fail"):
            raise AuditError(f"on_full must be `block` or `fail`, got `{on_full}`")
        check_settings(queue_size=(queue_size, 1), batch_size=(batch_size, 1),
                       checkpoint_every=(checkpoint_every, 1),
                       segment_records=(segment_records, 10), batch_wait=(batch_wait, 0),
                       block_timeout=(block_timeout, 0))
        if application is not None:  # in every entry's context, in clear: checked as it is
            checked_context({"application": application})
        if anchor is not None and not Path(anchor).parent.is_dir():
            raise AuditError(f"anchor {anchor}: no folder {Path(anchor).parent} to keep it in")
        self.sink = open_sink(sink)
        self.keys = keys
        self.application = application
        self._queue: collections.deque[Call] = collections.deque()
        self._limit = queue_size
        self._on_full = on_full
        self._block = block_timeout
        self._batch = batch_size
        self._linger = batch_wait
        self._fill = min(self._batch, self._limit)  # a batch the writer need not wait for
        self._every = checkpoint_every
        self._seconds = checkpoint_seconds
        self._segment_records = segment_records
        self._anchor = Path(os.path.abspath(anchor)) if anchor is not None else None
        self._sync = sync
        self._cond = threading.Condition()
        self._accepted = 0  # calls queued so far
        self._done = 0  # calls written so far
        self._flush_to = 0  # a flush waits until this many are written and checkpointed
        self._signed_to = 0  # calls covered by a checkpoint
        self._written_to = 0  # a wait_written waits until this many are written
        self._closing = False
        self._released = False  # the sink closed, after the writer stopped
        self._failure: BaseException | None = None
        self._masking = Maskers(keys)
        self._tasks: list[PruneTask] = []  # prunes the writer carries out between batches
        self._opener = Opener()
        try:
            self.sink.claim()  # one writing log per store
            self._state = self._open()
        except BaseException:
            self.sink.close()
            raise
        self._thread = threading.Thread(target=self._run, name="finpolicy-audit-writer",
                                        daemon=True)
        self._thread.start()
        close_at_exit(self)

    def __repr__(self) -> str:
        return f"DecisionLog({self.sink.url!r}, log={self.log_id!r})"

    @property
    def log_id(self) -> str:
        return self._state.log_id

    @property
    def failure(self) -> BaseException | None:
        """Why the writer stopped — every later decision is then refused — or ``None``."""
        return self._failure

    # --- the caller's side ----------------------------------------------------------------

    @contextlib.contextmanager
    def context(self, **fields: Any) -> Iterator[None]:
        """Attach caller context (``request_id``, ``user``, ``application`` …) to every
        decision made in this block, in this thread or task. Nested blocks add fields."""
        outer = CONTEXT.get()
        checked_context(fields)  # a bad value is the caller's error, here and now
        token = CONTEXT.set({**(outer or {}), **fields})
        try:
            yield
        finally:
            CONTEXT.reset(token)

    def records(self, method: str) -> bool:
        """Whether calls of engine method ``method`` are logged (those that decide).

        Raises:
            AuditError: ``method`` decides whole tables, which the log does not record.
        """
        return calls.logged(method) is not None or calls.refuse_unlogged(method)

    def record(self, engine: Any, method: str, inputs: Mapping[str, Any], result: Any, *,
               context: Mapping[str, Any] | None = None) -> None:
        """Queue one engine call for the log (the hook ``PolicyEngine`` calls).

        Args:
            engine: the runtime (or engine) that decided: its bundle and engine name are
                kept.
            method: an engine method some domain logs (``Domain.logged``).
            inputs: the method's arguments by name.
            result: what the method returned.
            context: caller context; defaults to the one set by ``context()``.

        Raises:
            LogFullError: the queue stayed full (see ``on_full``).
            AuditError: the writer has failed, the log is closed, or the context holds a
                value that is not JSON data or is a customer's identifier (it is kept in clear).
        """
        self._opener.check()
        if context is None:
            ctx = CONTEXT.get()
        else:
            checked_context(ctx := dict(context))
        if self.application is not None:
            ctx = {"application": self.application, **(ctx or {})}
        call = Call(method, inputs, result, engine.bundle, engine.engine_name,
                    None if ctx is None else context_json(ctx), time.time())
        with self._cond:
            self._raise_if_failed()
            if self._closing:
                raise AuditError("the decision log is closed")
            if len(self._queue) >= self._limit:
                self._wait_for_room()
            self._queue.append(call)
            self._accepted += 1
            if len(self._queue) in (1, self._fill):  # the writer waits for one or a batch
                self._cond.notify_all()

    def _wait_for_room(self) -> None:
        if self._on_full == "fail":
            raise LogFullError(f"the decision log queue is full ({self._limit} calls): "
                               "decision refused")
        deadline = time.monotonic() + self._block
        while len(self._queue) >= self._limit:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LogFullError(f"the decision log queue stayed full for {self._block:g} s "
                                   f"({self._limit} calls): decision refused")
            self._cond.wait(left)
            self._raise_if_failed()
            if self._closing:  # the writer may have emptied the queue and stopped
                raise AuditError("the decision log was closed while the decision waited")

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every call recorded so far is written, signed by a checkpoint and
        synced to storage.

        Raises:
            AuditError: the writer failed, or ``timeout`` seconds passed first.
        """
        self._wait(timeout, signed=True)

    def wait_written(self, timeout: float | None = None) -> None:
        """Wait until every call recorded so far is written to the store: a crash of this
        process then loses none of them (the next checkpoint signs them; a crash of the
        machine may lose what the system had not synced). Cheaper than ``flush``, which
        forces a checkpoint and a sync; what ``finpolicy serve`` waits for before answering.

        Raises:
            AuditError: the writer failed, or ``timeout`` seconds passed first.
        """
        self._wait(timeout, signed=False)

    def _wait(self, timeout: float | None, *, signed: bool) -> None:
        self._opener.check()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._accepted
            if signed:
                self._flush_to = max(self._flush_to, target)
            else:
                self._written_to = max(self._written_to, target)
            self._cond.notify_all()
            while (self._signed_to if signed else self._done) < target:
                self._raise_if_failed()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise AuditError(f"{'flush' if signed else 'waiting'} timed out with "
                                     f"{target - self._done} call(s) not yet written")
                self._cond.wait(left)
            self._raise_if_failed()

    def close(self, timeout: float | None = None) -> None:
        """Flush, write a final checkpoint and release the sink. Safe to call twice. In a
        process forked from the one that opened the log it does nothing (the log is the
        opener's, and this process wrote nothing to it).

        Args:
            timeout: seconds to wait for the writer (``None``: as long as it takes; a store
                that stops answering, a frozen database server, holds it for good).

        Raises:
            AuditError: the writer failed, or ``timeout`` seconds passed first; the calls
                not yet written are then lost, and the log takes no more.
        """
        if not self._opener.here:
            return
        with self._cond:
            if self._released:
                self._raise_if_failed()  # as the first close did
                return
            self._closing = True
            self._flush_to = self._accepted
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive():  # stuck in the store: leave the sink to it
            closed_by_caller(self)  # told now: exiting does not wait for it once more
            raise AuditError(
                f"closing the decision log timed out after {timeout:g} s: the writer is "
                f"still waiting for {self.sink.url} ({self._accepted - self._done} recorded "
                "call(s) not yet written, and no final checkpoint); check that the store answers")
        self.sink.close()
        self._released = True
        closed_by_caller(self)
        with self._cond:
            self._raise_if_failed()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            lost = self._accepted - self._done
            raise AuditError(f"the decision log writer failed ({self._failure}); {lost} "
                             "recorded call(s) were not written") from self._failure

    # --- the writer's side ----------------------------------------------------------------

    def _open(self) -> WriterState:
        tail = self.sink.tail()
        now = time.time()
        if tail is None:
            state = WriterState(log_id=str(uuid.uuid4()), seq=0, prev=GENESIS, segment=1,
                           segment_records=0, segment_started=now)
            self._body(state, "open", now, {"format": FORMAT, **key_fields(self.keys)})
        else:
            state = WriterState.resume(tail, self.keys, self.sink.url)
            self._body(state, "resume", now, {"after": tail.seq,
                                              "discarded_bytes": tail.discarded})
        self._checkpoint(state)
        self._write(state)
        return state

    def _run(self) -> None:
        state = self._state
        tasks: list[PruneTask] = []
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closing and not self._tasks and \
                            self._flush_to <= self._signed_to and not self._due(state):
                        self._cond.wait(self._wait_time(state))
                    self._let_fill()
                    batch = [self._queue.popleft()
                             for _ in range(min(self._batch, len(self._queue)))]
                    if batch:
                        self._cond.notify_all()  # room for blocked callers
                    flushing = self._flush_to > self._signed_to
                    closing = self._closing and not self._queue
                    tasks, self._tasks = self._tasks, []
                # the heavy work runs without the lock, so callers keep queueing
                for call in batch:
                    self._entry(state, call)
                    if state.unsigned >= self._every:
                        self._checkpoint(state)
                if state.unsigned and not closing and ((flushing and not self._queue)
                                                       or self._due(state)):
                    self._checkpoint(state)
                self._write(state)
                for task in tasks:  # here, alone with the chain and the sink
                    self._prune(state, task)
                    task.done.set()
                done, batch = len(batch), []  # hold no call while waiting for the next
                with self._cond:
                    self._done += done
                    if state.unsigned == 0:
                        self._signed_to = self._done
                    self._cond.notify_all()
                    if closing:
                        break
            # the last record: a checkpoint that says so (anything after it is no writer's)
            self._checkpoint(state, final=True)
            self._write(state)
            with self._cond:
                self._signed_to = self._done
                self._cond.notify_all()
        except BaseException as exc:  # any failure must reach the callers, loudly
            with self._cond:
                self._failure = exc
                self._cond.notify_all()
                for task in (*tasks, *self._tasks):
                    task.done.set()

    def _let_fill(self) -> None:
        """Wait (the lock held by the caller) up to ``batch_wait`` for a full batch, unless a
        flush or close is waiting."""
        deadline = time.monotonic() + self._linger
        while self._queue and len(self._queue) < self._fill and not self._closing \
                and self._flush_to <= self._signed_to and not self._tasks \
                and self._written_to <= self._done:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _due(self, state: WriterState) -> bool:
        return state.unsigned > 0 and time.monotonic() - state.signed_at >= self._seconds

    def _wait_time(self, state: WriterState) -> float | None:
        if state.unsigned == 0:
            return None
        return max(0.01, self._seconds - (time.monotonic() - state.signed_at))

    def _write(self, state: WriterState) -> None:
        """Store the records made since the last write; keep the newest checkpoint apart."""
        rows, state.out = state.out, []
        if not rows:
            return
        head = state.checkpoint
        self.sink.write(rows, sync=self._sync or head is not None)
        if head is not None:
            stored = framed(head.hash, head.body)
            self.sink.set_head(stored)
            if self._anchor is not None:
                replace_file(self._anchor, stored + b"\n")
            state.checkpoint = None

    def _checkpoint(self, state: WriterState, *, final: bool = False) -> None:
        state.checkpoint = self._body(state, "checkpoint", time.time(), {"final": True}
                                      if final else None)
        state.unsigned = 0
        state.signed_at = time.monotonic()

    def _body(self, state: WriterState, kind: str, ts: float, fields: dict[str, Any] | None,
              when: dt.datetime | None = None) -> Row:
        """Encode the next record of ``kind``, chain it and queue it for writing."""
        state.seq += 1
        at = utc_text(when or dt.datetime.fromtimestamp(ts, dt.UTC))
        body: dict[str, Any] = {"seq": state.seq, "prev": state.prev, "type": kind, "at": at}
        if kind == "checkpoint":
            final = bool(fields and fields.get("final"))  # close()'s last checkpoint
            signature = self.keys.sign(checkpoint_message(state.log_id, state.seq, state.prev,
                                                          at, final=final))
            body.update({"log": state.log_id, "key": self.keys.key_id, "sig": b64(signature),
                         **({"final": True} if final else {})})
        else:
            if kind != "decision":
                body["log"] = state.log_id
            body.update(fields or {})
        data = encode(body)
        row = Row(state.seq, state.segment, digest(data), data)
        state.prev = row.hash
        state.segment_records += 1
        state.out.append(row)
        return row

    def _entry(self, state: WriterState, call: Call) -> None:
        if state.segment_records >= self._segment_records:
            self._rotate(state, call.at)
        written = dt.datetime.fromtimestamp(call.at, dt.UTC)
        fields = decision_fields(self._masking, call, written,
                                 f"{state.log_id}:{state.seq + 1}".encode())
        self._body(state, "decision", call.at, fields, written)
        state.unsigned += 1

    def _rotate(self, state: WriterState, ts: float) -> None:
        """Close the segment with a checkpoint and open the next one."""
        if state.unsigned or state.checkpoint is None:
            self._checkpoint(state)
        state.segment += 1
        state.segment_records = 0
        state.segment_started = ts
        self._body(state, "segment", ts, {"segment": state.segment, **key_fields(self.keys)})

    def prune(self, today: dt.date | dt.datetime | str | None = None) -> list[int]:
        """Delete whole closed segments whose every entry is past its ``retain_until`` (the
        policy's ``audit_log_retention_days`` for the most sensitive value it holds), oldest
        first, and record what went in a ``pruned`` record. Returns the segments deleted.

        The writer thread does it between batches (it alone touches the chain and the store),
        so decisions go on being made meanwhile; this call waits until it is done.

        Raises:
            AuditError: ``today`` (a date, an aware datetime's UTC day, ISO text) is no day or
                after today (entries would go before their retention ends); the store
                refused a deletion (the log goes on, and records what did go); the writer
                has failed, or the log is closed.
        """
        self._opener.check()
        task = PruneTask(retention.prune_day(today))
        with self._cond:
            self._raise_if_failed()
            if self._closing:
                raise AuditError("the decision log is closed")
            self._tasks.append(task)
            self._cond.notify_all()
        task.done.wait()
        with self._cond:
            self._raise_if_failed()
        if task.error is not None:
            raise task.error
        return task.result

    def _prune(self, state: WriterState, task: PruneTask) -> None:
        fields = retention.prune_segments(self.sink, state.segment, task)
        if fields is not None:
            self._body(state, "pruned", time.time(), fields)
            self._checkpoint(state)
            self._write(state)
