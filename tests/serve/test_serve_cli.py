"""``finpolicy serve`` refuses options it cannot serve with before it says it serves: one line
naming the option, exit 3 (invalid input), no traceback. A decision log that cannot be
opened, TLS files that do not load and a port in use each printed a traceback (the last two
after a line claiming to serve)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from finpolicy.cli import main
from tests.serve.test_tls import _certificate, _write


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile.txt").write_text("not a folder, a certificate or a key\n")
    from finpolicy.audit import generate_keys

    generate_keys(tmp_path / "keys")
    return tmp_path


def _serve(*args: str) -> Result:
    return CliRunner().invoke(main, ["serve", "--no-watch", *args])


def _refused(result: Result, option: str) -> str:
    assert result.exit_code == 3, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {option}: "), result.output
    assert "serving" not in result.output and "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(("sink", "why"), [
    ("afile.txt", "File exists"),  # was FileExistsError
    ("afile.txt/sub", "Not a directory"),  # was NotADirectoryError
    ("/proc/x", "No such file or directory"),  # was FileNotFoundError
])
def test_a_decision_log_that_cannot_be_opened_names_log(folder: Path, sink: str,
                                                         why: str) -> None:
    line = _refused(_serve("--log", sink, "--log-keys", "keys"), "--log")
    assert f"`{sink}`" in line and why in line


def test_keys_that_cannot_sign_name_log_keys(folder: Path) -> None:
    (folder / "public").mkdir()
    (folder / "public" / "public-key.pem").write_bytes(
        (folder / "keys" / "public-key.pem").read_bytes())
    for keys in ("nowhere", "public"):  # no keys at all; a public key alone cannot sign
        line = _refused(_serve("--log", "log", "--log-keys", keys), "--log-keys")
        assert f"`{keys}`" in line
    assert not (folder / "log").exists()


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca_path, _ = _write(tmp_path, "ca", _certificate("test CA", ca_key, ca_name, ca_key,
                                                     ca=True), ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    cert, key_path = _write(tmp_path, "server", _certificate("127.0.0.1", key, ca_name,
                                                             ca_key, ca=False), key)
    _, other_key = _write(tmp_path, "other", _certificate("x", ca_key, ca_name, ca_key,
                                                          ca=False), ca_key)
    return {"ca": ca_path, "cert": cert, "key": key_path, "other_key": other_key}


def test_tls_files_that_do_not_load_name_their_option(folder: Path,
                                                      pki: dict[str, str]) -> None:
    """The ssl.SSLError came after a line saying the service was serving on https://."""
    line = _refused(_serve("--tls-cert", "afile.txt", "--tls-key", "afile.txt"),
                    "--tls-cert")
    assert "`afile.txt`" in line
    _refused(_serve("--tls-cert", pki["cert"], "--tls-key", "afile.txt"), "--tls-key")
    line = _refused(_serve("--tls-cert", pki["cert"], "--tls-key", pki["other_key"]),
                    "--tls-key")
    assert "is not the PEM private key of" in line
    _refused(_serve("--tls-cert", pki["cert"], "--tls-key", pki["key"], "--client-ca",
                    "afile.txt"), "--client-ca")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_port_in_use_names_port_and_never_claims_to_serve(folder: Path,
                                                           taken_port: int) -> None:
    line = _refused(_serve("--port", str(taken_port)), "--port")
    assert f"127.0.0.1:{taken_port}" in line
    line = _refused(_serve("--port", str(taken_port), "--log", "log", "--log-keys", "keys"),
                    "--port")
    from finpolicy.audit import verify_log
    from finpolicy.audit.keys import AuditKeys

    # the log opened before the port was found taken is closed whole
    assert verify_log(folder / "log", public_key=AuditKeys.load("keys").public_key).ok


def test_an_address_not_of_this_machine_names_host(folder: Path) -> None:
    _refused(_serve("--host", "192.0.2.1", "--port", "0"), "--host")  # TEST-NET-1


@pytest.mark.parametrize(("option", "content", "said"), [
    ("--directory", '[{"subject_id": 5}]', "assignments.0.subject_id"),
    ("--directory", "not: [json", "not valid JSON"),
    ("--directory", None, "cannot read"),
    ("--token-file", None, "cannot read"),
])
def test_a_directory_or_token_file_that_does_not_load_names_its_option(
        folder: Path, option: str, content: str | None, said: str) -> None:
    """--directory with a malformed assignment said only 'invalid RoleAssignment:
    assignments.0.subject_id: …', naming neither the option nor the file."""
    if content is not None:
        (folder / "given.json").write_text(content)
    line = _refused(_serve(option, "given.json"), option)
    assert "given.json" in line and said in line
