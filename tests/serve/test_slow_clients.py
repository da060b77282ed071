"""A connection must send a request's head in time: one that sends nothing, the start of a
head and no more, or the body of a request already refused, stayed open as long as its
client wished — no token needed — so a few thousand of them held every file descriptor the
service could open (measured: 1,000 such connections, 1,000 descriptors, all still open 30 s
later)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

import finpolicy as fp
from finpolicy.cli.serve import _server
from finpolicy.serve import Service, create_app

HEAD = b"POST /v1/access/authorize HTTP/1.1\r\nHost: x\r\n"


@pytest.fixture
def address(bundle: fp.Bundle, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """The address of ``finpolicy serve``'s own server (as the command builds it), with a
    token, a head deadline of half a second, a body deadline of 1 s and a keep-alive timeout
    of 3 s."""
    from finpolicy.serve import connections

    monkeypatch.setattr(connections.HeadDeadline, "seconds", 0.5)
    monkeypatch.setattr(connections.HeadDeadline, "body_seconds", 1.0, raising=False)
    app = create_app(Service(fp.PolicyEngine(bundle)), token="s3cret")
    server, sock = _server(app, "127.0.0.1", 0, {"timeout_keep_alive": 3})
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield sock.getsockname()[:2]
    server.should_exit = True
    thread.join(timeout=15)


def _closed_within(conn: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``conn`` within ``seconds`` (what it answers is read)."""
    conn.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if conn.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:  # reset
            return True
    return False


def test_connections_that_send_no_whole_head_in_time_are_closed(
        address: tuple[str, int]) -> None:
    silent, partial, refused, kept = (socket.create_connection(address) for _ in range(4))
    with silent, partial, refused, kept:
        _check(silent, partial, refused, kept)


def _check(silent: socket.socket, partial: socket.socket, refused: socket.socket,
           kept: socket.socket) -> None:
    started = time.monotonic()
    partial.sendall(HEAD)
    refused.sendall(HEAD + b"Content-Length: 1000000\r\n\r\n{")  # 401, its body trickles on
    # a whole request answered, then idle
    kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(4):
        time.sleep(0.3)
        try:
            refused.sendall(b" ")
        except OSError:  # closed already
            break
    # half a head, or bytes after an answer that start no head: the head deadline (0.5 s),
    # well before the keep-alive timeout (3 s)
    assert _closed_within(partial, 2.0 - (time.monotonic() - started))
    assert _closed_within(refused, 2.0 - (time.monotonic() - started))
    # nothing sent, or idle after an answer: the keep-alive timeout's, as a load balancer
    # holding connections open ahead of its requests expects
    assert not _closed_within(silent, 2.2 - (time.monotonic() - started))
    assert not _closed_within(kept, 0.1)
    kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    assert b"200 OK" in kept.recv(65536)
    assert _closed_within(silent, 5.0)


def test_the_server_does_not_name_its_software(address: tuple[str, int]) -> None:
    """Every answer, a 401 to anyone included, said `server: uvicorn`: what a scan looks for
    to pick the known flaws of the version behind it."""
    with socket.create_connection(address) as conn:
        conn.sendall(b"GET /v1/bundle HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        answer = conn.recv(65536).lower()
    assert answer.startswith(b"http/1.1 401"), answer[:100]
    assert b"\r\nserver:" not in answer and b"uvicorn" not in answer, answer


def test_a_body_that_does_not_arrive_in_time_is_cut_off(address: tuple[str, int]) -> None:
    """A caller with the token that trickled a body a byte at a time held its connection as
    long as it wished (1,000 such connections: 1,000 descriptors, all open 12 s later); the
    body must now arrive within its deadline of the head, which a prompt one does."""
    import json

    from tests.helpers.serve_bodies import BODIES

    body = json.dumps(BODIES["classification/classify"]).encode()
    head = (b"POST /v1/classification/classify HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer s3cret\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    with socket.create_connection(address) as slow, socket.create_connection(address) as prompt:
        slow.sendall(head + body[:1])
        prompt.sendall(head + body[:10])
        time.sleep(0.3)
        prompt.sendall(body[10:])  # whole within its deadline: answered
        sent = 1
        for _ in range(10):  # a byte every 0.3 s: not whole within 1 s
            time.sleep(0.3)
            try:
                slow.sendall(body[sent:sent + 1])
            except OSError:  # cut off
                break
            sent += 1
        assert _closed_within(slow, 3.0)
        assert sent < len(body)
        prompt.settimeout(5)
        assert b"200 OK" in prompt.recv(65536)
