"""The caller's side of a decision log: the call it hands over, the context it attaches
(``DecisionLog.context``), whether this process may write to a log at all (a log opened
before a fork has no writer in the child), and closing the logs still open when the
interpreter exits (their queued decisions would otherwise die with the writer thread)."""

from __future__ import annotations

import atexit
import contextvars
import os
import re
import sys
import weakref
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from finpolicy.audit.encode import exact_dumps
from finpolicy.audit.errors import AuditError
from finpolicy.domains.detectors import DETECTORS

__all__ = ["CONTEXT", "Call", "Opener", "checked_context", "close_at_exit", "context_json",
           "current_context"]

CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "finpolicy_audit_context", default=None)

_FORKS = [0]  # forks this process descends from
os.register_at_fork(after_in_child=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))


_OPEN: weakref.WeakSet[Any] = weakref.WeakSet()  # logs to close at exit


def close_at_exit(log: Any) -> None:
    """Have ``log.close()`` called when the interpreter exits, if nobody did: the writer is
    a daemon thread, stopped without warning at exit, and the decisions still queued would
    be lost with it though their callers had them."""
    if not _OPEN:
        atexit.unregister(_close_open_logs)  # registered once however many logs open
        atexit.register(_close_open_logs)
    _OPEN.add(log)


def closed_by_caller(log: Any) -> None:
    """``log`` was closed (whatever came of it, the caller was told): not again at exit."""
    _OPEN.discard(log)


# how long exiting waits for each log's writer: a store that stopped answering must not
# keep a finished process alive for good (a busy log writes its queue in far less)
EXIT_TIMEOUT = 60.0


def _close_open_logs() -> None:
    for log in list(_OPEN):
        try:
            log.close(timeout=EXIT_TIMEOUT)
        except AuditError as exc:  # nobody is left to raise to: say it where it is seen
            print(f"finpolicy: {log!r} could not be closed at exit: {exc}", file=sys.stderr)


def current_context() -> dict[str, Any] | None:
    """The caller context set by ``DecisionLog.context`` in this thread or task."""
    return CONTEXT.get()


class Call(NamedTuple):
    """One engine call as the caller hands it over (a tuple: cheap to make)."""

    method: str
    inputs: Mapping[str, Any]
    result: Any
    bundle: Any
    engine: str
    context: orjson.Fragment | None  # its JSON, taken when the call was made
    at: float


def context_json(fields: Mapping[str, Any]) -> orjson.Fragment:
    """Caller context as JSON, checked and taken now (the caller may change a list or mapping
    it passed before the writer gets to it).

    Raises:
        AuditError: naming the field whose value is not JSON data (it would otherwise stop
            the writer, and with it every later decision).
    """
    try:
        return orjson.Fragment(exact_dumps(fields))
    except TypeError:
        pass
    for key, value in fields.items():
        if not isinstance(key, str):
            raise AuditError(f"caller context: a field's name must be text, got {key!r}")
        try:
            exact_dumps(value)
        except TypeError:
            raise AuditError(f"caller context `{key}`: expected JSON data (text, a number, a "
                             "flag, null, a date or time, or a list or mapping of them with "
                             f"text keys), got {type(value).__name__}") from None
    raise AuditError("caller context: not JSON data")  # (each field is: not reached)


# the context is kept in clear: it must not carry a customer's identifiers, which the log
# otherwise holds only masked (contact details and staff e-mail addresses may identify staff)
_IDENTIFIERS = {"cn_resident_id": "a resident ID number", "bank_card": "a bank card number",
                "passport": "a passport number"}


def checked_context(fields: Mapping[str, Any]) -> orjson.Fragment:
    """``context_json`` of caller context given by the caller, and no value in it that
    finpolicy's detectors take for a customer's identifier.

    Raises:
        AuditError: naming the field that is not JSON data or holds such an identifier.
    """
    found = context_json(fields)
    for key, value in fields.items():
        for text in _texts({key: value}):  # in a note too, or as a mapping's key
            for word in {text.strip(), *_WORDS.findall(text), *_grouped(text)}:
                for name, what in _IDENTIFIERS.items():
                    if DETECTORS[name].check(word):
                        raise AuditError(f"caller context `{key}`: holds {what}; the context "
                                         "is kept in clear, so it must not hold a customer's "
                                         "data (the log masks it in the input)")
    return found


_WORDS = re.compile(r"[0-9A-Za-z]+")
# digits in groups, as a card or an ID is written by hand: 6214 8397 9190 7488, 610113-19610507-
# 5585 (a note around them, or numbers before and after, must not hide them); only the shapes
# cards and IDs are written in, so an id such as 5512-20260302-000126 is not taken for a card
_GROUPS = re.compile(r"[0-9]+(?:[ -][0-9]+)*[Xx]?")
_SEPARATOR = re.compile(r"[ -]")
_SHAPES = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 1), (4, 4, 4, 4, 2), (4, 4, 4, 4, 3),
                     (4, 6, 5), (6, 8, 4)})


def _grouped(text: str) -> list[str]:
    """Every run of neighbouring digit groups in ``text`` shaped as a card or an ID is
    written, its separators taken out."""
    found = []
    for run in _GROUPS.findall(text):
        groups = _SEPARATOR.split(run)
        for i in range(len(groups)):
            found += ["".join(groups[i:j]) for j in range(i + 3, min(len(groups), i + 5) + 1)
                      if tuple(map(len, groups[i:j])) in _SHAPES]
    return found


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, float) and value.is_integer():  # 6214839791907488.0 is the card too
        return [str(int(value))]
    if isinstance(value, Mapping):
        return [text for key, item in value.items() for text in (str(key), *_texts(item))]
    items = value if isinstance(value, list | tuple) else ()
    return [text for item in items for text in _texts(item)]


class Opener:
    """The process that opened a log: only it has the log's writer."""

    __slots__ = ("forks", "pid")

    def __init__(self) -> None:
        self.forks, self.pid = _FORKS[0], os.getpid()

    @property
    def here(self) -> bool:
        """Whether this is still that process (not one forked from it)."""
        return self.forks == _FORKS[0]

    def check(self) -> None:
        """Raise when this process was forked from the opener (a check without locks: a
        lock another thread held at the fork stays held in the child)."""
        if self.forks != _FORKS[0]:
            raise AuditError(
                f"this decision log was opened in process {self.pid}, and process "
                f"{os.getpid()} was forked from it: the log has no writer here, so the "
                "decision is refused; open a log in each process after the fork (a web "
                "server's post-fork hook, a process pool's initializer)")
