"""``finpolicy serve``: the HTTP decision service (the ``serve`` extra).

Everything that can be wrong with the options is found before the service says it serves: the
decision log opens, the TLS certificate and key load, the address is free. Each is a one-line
error naming the option (exit 3), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

import click

from finpolicy.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID_INPUT,
    cell,
    engine_option,
    err_console,
    exit_with,
    reports_errors,
)
from finpolicy.errors import InputError
from finpolicy.inputs import kind_of
from finpolicy.outputs import writing

__all__ = ["COMMANDS", "LOG_CLOSE_SECONDS", "MIN_TOKEN_LENGTH", "SHUTDOWN_SECONDS"]

SHUTDOWN_SECONDS = 10
"""Seconds requests in flight may take to finish once the service is told to stop (SIGTERM,
Ctrl-C); then they are cut off and the decision log is closed. Without a bound, one client
that never finished sending its body kept the service from stopping."""


LOG_CLOSE_SECONDS = 5
"""Seconds closing the decision log may take once the service has stopped and flushed it
(``serve.service.FLUSH_SECONDS``): a store that stopped answering (a frozen database server)
then fails the exit, saying how many decisions were not written, instead of holding it until
the orchestrator kills the process (10 + 10 + 5 s: within a common 30 s grace period)."""


MIN_TOKEN_LENGTH = 16
"""Fewest characters of a token of ``--token-file``: the service answers a wrong token at
once, as often as asked (a few hundred guesses a second from one client), so a short or
chosen word is soon found; 16 random characters are not."""


def _need_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        err_console.print(f"error: finpolicy serve needs the `serve` extra ({exc.name} is "
                          "missing): pip install 'finpolicy[serve]'")
        exit_with(EXIT_INVALID_INPUT)


def _naming(option: str, path: str, exc: InputError) -> InputError:
    """``exc`` (a file's problem) as the problem of the option that named the file."""
    said = str(exc)
    return InputError.one(option, said if said.startswith(path) else f"{path}: {said}",
                          "bad_option", path)


def _read_token(path: str) -> tuple[str, ...]:
    """The tokens of ``--token-file``: one a line (two while callers move to a new one)."""
    from finpolicy.readers import read_text

    try:
        lines = read_text(path).splitlines()
    except InputError as exc:
        raise _naming("--token-file", path, exc) from None
    tokens = tuple(line.strip() for line in lines if line.strip())
    if not tokens or any(c.isspace() for token in tokens for c in token):
        raise InputError.one("--token-file", f"`{path}` must hold one token a line, without "
                             "spaces", "bad_option", path)
    for number, token in enumerate(tokens, 1):
        if not token.isascii() or not token.isprintable():  # (HTTP headers carry no other)
            raise InputError.one("--token-file", f"`{path}`: token {number} must be of "
                                 "printable ASCII characters (a header cannot carry others: "
                                 "every request would be refused)", "bad_option", path)
        if len(token) < MIN_TOKEN_LENGTH:  # (nothing slows down guessing: no lockout)
            raise InputError.one("--token-file", f"`{path}`: token {number} has "
                                 f"{len(token)} characters, a token at least "
                                 f"{MIN_TOKEN_LENGTH} (make one with `python -c \"import "
                                 "secrets; print(secrets.token_urlsafe(32))\"`)",
                                 "bad_option", path)
    return tokens


def _directory(path: str) -> Any:
    """The role directory of ``--directory``, its assignments checked.

    Raises:
        InputError: naming ``--directory`` and the file (it could not be read, or an
            assignment is malformed).
    """
    import finpolicy as fp
    from finpolicy.readers import read_document

    try:
        assignments = read_document(path)
        if not isinstance(assignments, list):
            raise InputError.one("", f"expected a list of role assignments, got "
                                     f"{kind_of(assignments)}", "bad_input")
        return fp.AssignmentDirectory(assignments)
    except InputError as exc:
        raise _naming("--directory", path, exc) from None


def _write_openapi(target: str) -> None:
    from finpolicy.serve.openapi import document, render

    text = render(document())
    if target == "-":
        click.echo(text, nl=False)
    else:  # a path that cannot be written is refused naming the option
        with writing(target, "--openapi") as handle:
            handle.write(text)
        err_console.print(f"wrote {target}", markup=False)


def _tls(cert: str | None, key: str | None, client_ca: str | None) -> dict[str, Any]:
    """uvicorn's TLS settings: HTTPS with ``cert`` and ``key``; client certificates signed
    by ``client_ca`` required when it is given (mutual TLS)."""
    if (cert is None) != (key is None):
        raise InputError.one("--tls-cert", "give --tls-cert and --tls-key together",
                             "bad_option")
    if cert is None:
        if client_ca is not None:
            raise InputError.one("--client-ca", "mutual TLS needs --tls-cert and --tls-key",
                                 "bad_option")
        return {}
    import ssl

    settings: dict[str, Any] = {"ssl_certfile": cert, "ssl_keyfile": key}
    if client_ca is not None:
        settings |= {"ssl_ca_certs": client_ca, "ssl_cert_reqs": ssl.CERT_REQUIRED}
    return settings


def _reason(exc: Exception) -> str:
    """Why ``exc`` happened, in a few words (OpenSSL's reason, the system's message)."""
    reason = getattr(exc, "reason", None)  # (ssl.SSLError: `NO_CERTIFICATE_OR_CRL_FOUND`)
    if isinstance(reason, str) and reason:
        return reason.lower().replace("_", " ")
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or \
        type(exc).__name__


def _decision_log(sink: str | None, keys: str | None) -> Any:
    """The decision log of ``--log`` with the keys of ``--log-keys`` (``None`` without).

    Raises:
        InputError: naming the option whose folder, file or URL cannot be used.
    """
    if sink is None:
        if keys is not None:
            raise InputError.one("--log-keys", "give --log too", "bad_option")
        return None
    if keys is None:
        raise InputError.one("--log", "a decision log needs --log-keys (the folder of "
                                      "`finpolicy audit keygen`)", "bad_option")
    from finpolicy.audit import AuditError, AuditKeys, DecisionLog

    try:
        loaded = AuditKeys.load(keys, need_signing=True, need_sealing=True)
    except (AuditError, OSError) as exc:
        raise InputError.one("--log-keys", f"cannot use the keys in `{keys}`: {_reason(exc)}",
                             "bad_option", keys) from None
    try:
        return DecisionLog(sink, keys=loaded, application="finpolicy serve")
    except (AuditError, OSError) as exc:  # a file where a folder goes, no such folder …
        shown = _without_password(sink)
        raise InputError.one("--log", f"cannot open the decision log `{shown}`: "
                                      f"{_reason(exc)}", "bad_option", shown) from None


def _without_password(sink: str) -> str:
    """``sink`` as it may be shown: a URL's password (``user:PASSWORD@``, ``?password=``) as
    ``***`` (an error goes to the terminal, the service's journal and whatever collects it)."""
    scheme, sep, rest = sink.partition("://")
    if not sep:
        return sink  # a folder or a file
    head, question, query = rest.partition("?")
    authority, slash, path = head.partition("/")
    user, at, host = authority.rpartition("@")
    if ":" in user:
        authority = f"{user.split(':', 1)[0]}:***{at}{host}"
    pairs = ["password=***" if pair.split("=", 1)[0] == "password" else pair
             for pair in query.split("&")]
    return f"{scheme}{sep}{authority}{slash}{path}{question}{'&'.join(pairs)}"


def _tls_problem(tls: dict[str, Any], exc: Exception) -> InputError:
    """The option to blame when the certificate, key and CA of ``tls`` do not load together
    (the certificate, then the CA, are read alone; else the key is not the certificate's)."""
    import ssl

    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for option, path in (("--tls-cert", tls["ssl_certfile"]),
                         ("--client-ca", tls.get("ssl_ca_certs"))):
        if path is None:
            continue
        try:
            probe.load_verify_locations(cafile=path)
        except (ssl.SSLError, OSError, ValueError) as bad:
            return InputError.one(option, f"`{path}` holds no readable PEM "
                                          f"certificate ({_reason(bad)})", "bad_option", path)
    key = tls["ssl_keyfile"]
    return InputError.one("--tls-key", f"`{key}` is not the PEM private key of "
                                       f"`{tls['ssl_certfile']}` ({_reason(exc)})",
                          "bad_option", key)


def _listening(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it).

    Raises:
        InputError: naming ``--port`` (in use, or not allowed) or ``--host``.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # TCP named: asyncio sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP, and
    # without it each answer's body waits 40 ms for the client's delayed acknowledgement
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        taken = exc.errno in (errno.EADDRINUSE, errno.EACCES)
        raise InputError.one("--port" if taken else "--host",
                             f"cannot listen on {host}:{port}: {_reason(exc)}", "bad_option",
                             port if taken else host) from None
    return sock


def _server(app: Any, host: str, port: int, tls: dict[str, Any]
            ) -> tuple[uvicorn.Server, socket.socket]:
    """The uvicorn server of ``app``, its TLS certificate loaded, and its bound socket
    (``tls``: uvicorn's TLS settings, and ``timeout_keep_alive``)."""
    import uvicorn

    from finpolicy.serve.connections import HeadDeadline

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", http=HeadDeadline,
                            server_header=False,  # (no `server: uvicorn` to fingerprint by)
                            timeout_graceful_shutdown=SHUTDOWN_SECONDS, **tls)
    try:
        config.load()  # (loads the certificate and key: uvicorn would only fail later)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        if "ssl_certfile" not in tls:
            raise
        raise _tls_problem(tls, exc) from None
    return uvicorn.Server(config), _listening(host, port)


def _watched(pack: str | None, root: Any, watch: bool) -> Any:
    """The folder to watch for new versions: PACK's, unless it is a git revision (its
    extracted copy never changes: a new commit is served by a restart, said here)."""
    from finpolicy.documents.git import is_git_spec

    if not watch or not is_git_spec(pack):
        return root if watch else None
    err_console.print(f"note: {pack} is a git revision, not watched for new versions "
                      "(restart the service to serve another)", markup=False)
    return None


def _exposure(host: str, token: bool, tls: bool, client_ca: bool) -> list[str]:
    """Warnings for an address other machines reach (a bank's network is no boundary): no
    caller check (any caller gets decisions, each written to the decision log), or plain
    HTTP (the token and the customers' data cross the network in clear)."""
    import ipaddress

    name = host.strip("[]")
    try:
        local = name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name: reachable, as far as anyone here can tell
        local = False
    if local:
        return []
    warnings = []
    if not token and not client_ca:
        warnings.append(f"warning: --host {host} without --token-file or --client-ca: any "
                        "caller that reaches it gets decisions, each one logged")
    if not tls:
        warnings.append(f"warning: --host {host} without --tls-cert: plain HTTP, the token "
                        "and the requests cross the network in clear unless a proxy or "
                        "service mesh in front terminates TLS")
    return warnings


def _first_bundle(pack: str | None, keys: list[str] | None, watch: bool,
                  allow_downgrade: bool, min_version: str | None,
                  min_version_file: str | None) -> Any:
    """The bundle served first: signed by a trusted key (checked from ``bundle.sig`` before
    any policy file is parsed) and not below ``--min-version`` or ``--min-version-file``,
    the file raised to its version when it is newer.

    Raises:
        InputError: ``--allow-downgrade`` is given without ``--watch``; an option's version
            is none, or its file cannot be read or written.
        PolicyError: the pack is invalid, unsigned, or below the minimum version.
    """
    import finpolicy as fp
    from finpolicy.documents.pins import older_version, version_problem
    from finpolicy.errors import PolicyError
    from finpolicy.reloading import min_version_from, write_min_version

    floor, kept, words = min_version_from(min_version, min_version_file,
                                          names=("--min-version", "--min-version-file"))
    if allow_downgrade and not watch:
        raise InputError.one("--allow-downgrade", "only a reload downgrades: give it with "
                             "--watch", "bad_option")
    if keys is not None:  # a pack no trusted key signed is refused before it is parsed
        from finpolicy.documents.bundle import resolve_bundle_path
        from finpolicy.documents.signing import check_signed_before_loading

        check_signed_before_loading(resolve_bundle_path(pack), keys)
    bundle = fp.load_bundle(pack, trusted_keys=keys)
    below = None if floor is None else version_problem(bundle, floor, words)
    if below is not None:
        raise PolicyError([below])
    if min_version_file is not None and (kept is None or older_version(kept, bundle.version)):
        try:
            write_min_version(min_version_file, bundle.version)
        except OSError as exc:
            raise InputError.one("--min-version-file", f"`{min_version_file}` cannot be "
                                 f"written: {_reason(exc)}", "bad_option",
                                 min_version_file) from None
    return bundle


def _watch_warnings(name: str, watched: bool, signed: bool, downgrades: bool) -> list[str]:
    """Warnings for a watched pack: no trusted key (any version written to its folder is
    served), or downgrades allowed (an older release put back is served)."""
    if not watched:
        return []
    warnings = []
    if not signed:
        warnings.append(f"warning: {name} is watched without --trusted-key: any version "
                        "written to its folder is served, signed or not")
    if downgrades:
        warnings.append(f"warning: {name} is watched with --allow-downgrade: an older "
                        "release put back in its folder is served (a rollback to a rule "
                        "since fixed); leave it out once the rollback is done")
    return warnings


@contextlib.contextmanager
def _exiting_on_sigterm() -> Iterator[None]:
    """SIGTERM and Ctrl-C (SIGINT) end the process by ``SystemExit`` (status 143, 130), not
    by the signal itself.

    uvicorn stops on either, then sends it again to the process with the handler found at
    start: Python's default one killed the process on SIGTERM on the spot, so the decision
    log was never closed (its final checkpoint, its sink) and no exit handler ran (a ``git:``
    pack's extracted copy stayed in the temporary folder, one more at each restart); on
    SIGINT it raised ``KeyboardInterrupt``, which click reports as "Aborted!" with status 1
    after a clean stop."""
    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {number: signal.signal(number, stop)
                for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@click.command("serve")
@click.argument("pack", required=False, default=None)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (localhost only unless told otherwise).")
@click.option("--port", default=8181, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-file", default=None, type=click.Path(dir_okay=False),
              help="A file holding the bearer token callers must send.")
@click.option("--tls-cert", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Serve HTTPS with this certificate (PEM; with --tls-key).")
@click.option("--tls-key", default=None, type=click.Path(dir_okay=False, exists=True),
              help="The certificate's private key (PEM).")
@click.option("--client-ca", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Require client certificates signed by this CA (mutual TLS).")
@click.option("--log", "log_sink", default=None, metavar="SINK",
              help="Record every decision in this decision log (folder, .db, postgresql://).")
@click.option("--log-keys", default=None, type=click.Path(file_okay=False),
              help="The decision log's keys folder (finpolicy audit keygen).")
@click.option("--log-prune-hours", default=24.0, show_default=True,
              type=click.FloatRange(min=0), help="Hours between retention runs of the decision "
              "log, the first at start (segments past retention go); 0: never.")
@click.option("--trusted-key", "trusted_keys", multiple=True,
              type=click.Path(dir_okay=False),
              help="Public key (PEM) a served bundle must be signed by; repeatable.")
@click.option("--directory", "directory_file", default=None, type=click.Path(dir_okay=False),
              help="Role assignments (JSON or YAML list) that confirm grant approvers.")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help="Reload PACK when its folder changes.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.01),
              help="Seconds between checks of PACK's folder.")
@click.option("--allow-downgrade", is_flag=True,
              help="Reload a version older than the one serving too (a deliberate rollback "
              "through PACK's folder); refused by default.")
@click.option("--min-version", default=None, metavar="VERSION",
              help="Never serve a version of PACK below this one, at start or on reload.")
@click.option("--min-version-file", default=None, type=click.Path(dir_okay=False),
              metavar="FILE", help="Keep the minimum version in FILE across restarts: read "
              "at start, raised to each newer version served. Not in PACK's folder.")
@click.option("--keep-alive", default=5, show_default=True, type=click.IntRange(1),
              metavar="SECONDS", help="Seconds an idle connection stays open; behind a load "
              "balancer, more than its idle timeout.")
@engine_option
@click.option("--openapi", "openapi_target", default=None, metavar="PATH",
              help="Write the OpenAPI document to PATH (- for stdout) and exit.")
@reports_errors
def serve_command(pack: str | None, host: str, port: int, token_file: str | None,
                  tls_cert: str | None, tls_key: str | None, client_ca: str | None,
                  log_sink: str | None, log_keys: str | None, log_prune_hours: float,
                  trusted_keys: tuple[str, ...],
                  directory_file: str | None, watch: bool, interval: float,
                  allow_downgrade: bool, min_version: str | None, min_version_file: str | None,
                  keep_alive: int, engine: str, openapi_target: str | None) -> None:
    """Serve PACK's decisions over HTTP: POST /v1/<domain>/<method> with the method's
    arguments as JSON (see the "Decision service" docs), until interrupted.

    PACK is a bundle folder (or a link to the current version's folder), a shipped pack's
    name, or `git:REV:PATH` (the folder as a git revision holds it); the default pack when
    absent.
    """
    _need_extra()
    if openapi_target is not None:
        _write_openapi(openapi_target)
        return
    import finpolicy as fp
    from finpolicy.serve import Service, create_app

    tls = _tls(tls_cert, tls_key, client_ca)
    token = None if token_file is None else _read_token(token_file)
    keys = list(trusted_keys) or None
    directory = None if directory_file is None else _directory(directory_file)
    bundle = _first_bundle(pack, keys, watch, allow_downgrade, min_version, min_version_file)
    policy_engine = fp.PolicyEngine(bundle, engine=engine, directory=directory,
                                    log=_decision_log(log_sink, log_keys))
    try:
        service = Service(policy_engine, watch=_watched(pack, bundle.root, watch),
                          trusted_keys=keys, interval=interval,
                          prune_every=log_prune_hours * 3600 if log_prune_hours > 0 else None,
                          allow_downgrade=allow_downgrade, min_version=min_version,
                          min_version_file=min_version_file)
        server, sock = _server(create_app(service, token=token), host, port,
                               {**tls, "timeout_keep_alive": keep_alive})
        for warning in _exposure(host, token is not None, bool(tls), client_ca is not None):
            err_console.print(warning, markup=False)
        for warning in _watch_warnings(pack or bundle.name, service.watcher is not None,
                                       keys is not None, allow_downgrade):
            err_console.print(warning, markup=False)
        where = f"[{host}]" if ":" in host else host
        err_console.print(f"serving {cell(bundle.name)} {cell(bundle.version)} "
                          f"({bundle.digest[:12]}) on "
                          f"{'https' if tls else 'http'}://{cell(where)}:{sock.getsockname()[1]}"
                          + (" with bearer token" if token else "")
                          + (" and client certificates" if client_ca else ""))
        with _exiting_on_sigterm():
            server.run(sockets=[sock])
        if not server.started:  # (uvicorn said why: the app's startup failed)
            exit_with(EXIT_FAILED)
    finally:
        if policy_engine.log is not None:
            policy_engine.log.close(timeout=LOG_CLOSE_SECONDS)


COMMANDS = [serve_command]
