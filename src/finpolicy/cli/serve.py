"""``finpolicy serve``: the HTTP decision service (the ``serve`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from finpolicy.cli.common import (
    EXIT_INVALID_INPUT,
    engine_option,
    err_console,
    exit_with,
    reports_errors,
)
from finpolicy.errors import InputError

__all__ = ["COMMANDS"]


def _need_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        err_console.print(f"error: finpolicy serve needs the `serve` extra ({exc.name} is "
                          "missing): pip install 'finpolicy[serve]'")
        exit_with(EXIT_INVALID_INPUT)


def _read_token(path: str) -> str:
    from finpolicy.readers import read_text

    token = read_text(path).strip()
    if not token or any(c.isspace() for c in token):
        raise InputError.one("--token-file", f"`{path}` must hold one token without spaces",
                             "bad_option", path)
    return token


def _write_openapi(target: str) -> None:
    from finpolicy.serve.openapi import document, render

    text = render(document())
    if target == "-":
        click.echo(text, nl=False)
    else:
        Path(target).write_text(text, encoding="utf-8")
        err_console.print(f"wrote {target}")


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


def _decision_log(sink: str | None, keys: str | None) -> Any:
    if sink is None:
        if keys is not None:
            raise InputError.one("--log-keys", "give --log too", "bad_option")
        return None
    if keys is None:
        raise InputError.one("--log", "a decision log needs --log-keys (the folder of "
                                      "`finpolicy audit keygen`)", "bad_option")
    from finpolicy.audit import AuditKeys, DecisionLog

    return DecisionLog(sink, keys=AuditKeys.load(keys), application="finpolicy serve")


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
@engine_option
@click.option("--openapi", "openapi_target", default=None, metavar="PATH",
              help="Write the OpenAPI document to PATH (- for stdout) and exit.")
@reports_errors
def serve_command(pack: str | None, host: str, port: int, token_file: str | None,
                  tls_cert: str | None, tls_key: str | None, client_ca: str | None,
                  log_sink: str | None, log_keys: str | None, log_prune_hours: float,
                  trusted_keys: tuple[str, ...],
                  directory_file: str | None, watch: bool, interval: float, engine: str,
                  openapi_target: str | None) -> None:
    """Serve PACK's decisions over HTTP: POST /v1/<domain>/<method> with the method's
    arguments as JSON (see the "Decision service" docs), until interrupted.

    PACK is a bundle folder (or a link to the current version's folder) or a shipped pack's
    name; the default pack when absent.
    """
    _need_extra()
    if openapi_target is not None:
        _write_openapi(openapi_target)
        return
    import uvicorn

    import finpolicy as fp
    from finpolicy.serve import Service, create_app

    tls = _tls(tls_cert, tls_key, client_ca)
    token = None if token_file is None else _read_token(token_file)
    keys = list(trusted_keys) or None
    directory = None
    if directory_file is not None:
        from finpolicy.readers import read_document

        directory = read_document(directory_file)
    bundle = fp.load_bundle(pack, trusted_keys=keys)
    policy_engine = fp.PolicyEngine(bundle, engine=engine, directory=directory,
                                    log=_decision_log(log_sink, log_keys))
    service = Service(policy_engine, watch=bundle.root if watch else None,
                      trusted_keys=keys, interval=interval,
                      prune_every=log_prune_hours * 3600 if log_prune_hours > 0 else None)
    scheme = "https" if tls else "http"
    err_console.print(f"serving {bundle.name} {bundle.version} ({bundle.digest[:12]}) on "
                      f"{scheme}://{host}:{port}" + (" with bearer token" if token else "")
                      + (" and client certificates" if client_ca else ""))
    try:
        uvicorn.run(create_app(service, token=token), host=host, port=port,
                    log_level="warning", **tls)
    finally:
        if policy_engine.log is not None:
            policy_engine.log.close()


COMMANDS = [serve_command]
