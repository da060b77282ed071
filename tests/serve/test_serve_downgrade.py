"""The service refuses a rollback it was not asked for: the link moved back to an older
release that the trusted key signed (say one whose rule was since fixed) left the service
serving it, /health `ok`. Now the reload fails naming both versions, /health says
`degraded`, decisions go on being taken by the newer release; `--allow-downgrade` rolls back
on purpose and `--min-version` bounds even that (and the first version served)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.documents.lock import write_lock
from finpolicy.documents.signing import sign_bundle
from finpolicy.serve import Service, create_app
from tests.helpers.serve_bodies import BODIES
from tests.helpers.versions import make_version, point


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Releases 1.0.0 and 2.0.0 signed by one key, `current -> v2`, and the public key."""
    from finpolicy.audit import generate_keys

    generate_keys(tmp_path / "keys")
    releases = []
    for name, version in (("v1", "1.0.0"), ("v2", "2.0.0")):
        folder = make_version(tmp_path, name, version)
        write_lock(fp.load_bundle(folder))
        sign_bundle(fp.load_bundle(folder), tmp_path / "keys" / "signing-key.pem")
        releases.append(folder)
    point(tmp_path / "current", releases[1])
    return releases[0], releases[1], tmp_path / "current", tmp_path / "keys" / "public-key.pem"


def _service(current: Path, public: Path, *, allow_downgrade: bool = False) -> Service:
    engine = fp.PolicyEngine(fp.load_bundle(current, trusted_keys=[public]))
    return Service(engine, watch=current, trusted_keys=[public],
                   allow_downgrade=allow_downgrade)


def test_an_older_signed_release_is_refused_and_the_newer_keeps_deciding(
        signed: tuple[Path, Path, Path, Path]) -> None:
    v1, v2, current, public = signed
    service = _service(current, public)
    assert service.watcher is not None
    with TestClient(create_app(service)) as client:
        point(current, v1)
        result = service.watcher.check(force=True)
        health = client.get("/health").json()
        answer = client.post("/v1/access/authorize", json=BODIES["access/authorize"]).json()
        metrics = client.get("/metrics").text
    assert result is not None and result.outcome == "failed"
    assert health["status"] == "degraded", health
    assert health["bundle"]["version"] == "2.0.0"
    error = health["last_reload"]["error"]
    assert "version 1.0.0 is older than 2.0.0, the version serving" in error, error
    assert health["last_reload"]["folder"] == str(v1)
    assert answer["bundle"]["version"] == "2.0.0"
    assert answer["bundle"]["digest"] == fp.load_bundle(v2).digest
    assert "finpolicy_reload_failing 1.0" in metrics


def test_allow_downgrade_serves_the_older_release(signed: tuple[Path, Path, Path, Path]
                                                  ) -> None:
    v1, _, current, public = signed
    service = _service(current, public, allow_downgrade=True)
    assert service.watcher is not None
    point(current, v1)
    result = service.watcher.check(force=True)
    assert result is not None and result.outcome == "swapped", result
    assert service.engine.bundle.version == "1.0.0"


@pytest.mark.usefixtures("started")  # (should it not refuse, it returns at once)
def test_serve_refuses_to_start_below_min_version(signed: tuple[Path, Path, Path, Path]
                                                   ) -> None:
    """After a restart the watcher knows no version served before: `--min-version` states
    the floor, and a pack below it is never served."""
    _, _, current, public = signed
    result = CliRunner().invoke(main, ["serve", str(current), "--trusted-key", str(public),
                                       "--min-version", "2.1.0"])
    assert result.exit_code == 2, result.output
    assert "version 2.0.0 is older than 2.1.0, the minimum version (--min-version)" in \
        result.output, result.output
    assert "serving" not in result.output.splitlines()[-1]


@pytest.mark.usefixtures("started")  # (should it not refuse, it returns at once)
@pytest.mark.parametrize(("args", "option"), [
    (["--min-version", "v2"], "--min-version"),
    (["--allow-downgrade", "--no-watch"], "--allow-downgrade"),
])
def test_serve_refuses_downgrade_options_it_cannot_use(
        signed: tuple[Path, Path, Path, Path], args: list[str], option: str) -> None:
    _, _, current, _ = signed
    result = CliRunner().invoke(main, ["serve", str(current), *args])
    assert result.exit_code == 3, result.output
    assert result.output.strip().startswith(f"error: {option}: "), result.output


@pytest.mark.usefixtures("started")
def test_serve_warns_while_downgrades_are_allowed(signed: tuple[Path, Path, Path, Path]
                                                  ) -> None:
    _, _, current, public = signed
    result = CliRunner().invoke(main, ["serve", str(current), "--trusted-key", str(public),
                                       "--allow-downgrade", "--port", "0"])
    assert "serving cn-banking 2.0.0" in result.output, result.output  # (then stopped)
    assert "watched with --allow-downgrade: an older release put back in its folder is " \
           "served" in result.output, result.output


def test_bundle_verify_states_a_minimum_version(signed: tuple[Path, Path, Path, Path]) -> None:
    import json

    v1, v2, _, public = signed
    args = ["bundle", "verify", "--key", str(public), "--min-version", "2.0.0", "--json"]
    old = CliRunner().invoke(main, [*args[:2], str(v1), *args[2:]])
    new = CliRunner().invoke(main, [*args[:2], str(v2), *args[2:]])
    assert old.exit_code == 1, old.output
    problems = json.loads(old.stdout)["problems"]
    assert [(p["code"], p["path"]) for p in problems] == [("downgrade", "version")], problems
    assert problems[0]["file"] == str(v1 / "bundle.yaml")
    assert new.exit_code == 0, new.output
    bad = CliRunner().invoke(main, ["bundle", "verify", str(v2), "--min-version", "2.0"])
    assert bad.exit_code == 3, bad.output
    assert "--min-version" in bad.output and "`2.0`" in bad.output


@pytest.mark.usefixtures("started")  # (should it not refuse, it returns at once)
def test_serve_refuses_to_start_below_its_minimum_version_file(
        signed: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    """The file a previous run raised to 2.1.0: a restart on 2.0.0 (the link moved back
    while the service was down) is refused; a file that holds no version is invalid input."""
    _, _, current, public = signed
    floor = tmp_path / "min-version"
    floor.write_text("2.1.0\n", encoding="utf-8")
    args = ["serve", str(current), "--trusted-key", str(public), "--min-version-file",
            str(floor)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2, refused.output
    assert f"version 2.0.0 is older than 2.1.0, the minimum version (--min-version-file {floor})" \
        in refused.output, refused.output
    floor.write_text("latest\n", encoding="utf-8")
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 3, bad.output
    assert bad.output.startswith(f"error: --min-version-file: `{floor}`: expected one "
                                 "semantic version"), bad.output


@pytest.mark.usefixtures("started")
def test_serve_raises_its_minimum_version_file_to_the_version_it_serves(
        signed: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    _, _, current, public = signed
    floor = tmp_path / "min-version"
    CliRunner().invoke(main, ["serve", str(current), "--trusted-key", str(public),
                              "--min-version-file", str(floor), "--port", "0"])
    assert floor.read_text(encoding="utf-8") == "2.0.0\n"


@pytest.mark.usefixtures("started")
def test_serve_raises_its_minimum_version_file_without_watching_too(
        signed: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    """--no-watch: the file was read at start but never raised (only the watcher raised
    it), so a later start on an older release was not refused."""
    _, _, current, public = signed
    floor = tmp_path / "min-version"
    floor.write_text("1.0.0\n", encoding="utf-8")
    CliRunner().invoke(main, ["serve", str(current), "--trusted-key", str(public), "--no-watch",
                              "--min-version-file", str(floor), "--port", "0"])
    assert floor.read_text(encoding="utf-8") == "2.0.0\n"


@pytest.mark.usefixtures("started")  # (should it not refuse, it returns at once)
def test_serve_refuses_a_minimum_version_file_it_cannot_write(
        signed: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    _, _, current, public = signed
    floor = tmp_path / "no-such-folder" / "min-version"
    result = CliRunner().invoke(main, ["serve", str(current), "--trusted-key", str(public),
                                       "--min-version-file", str(floor)])
    assert result.exit_code == 3, result.output
    assert result.output.startswith(f"error: --min-version-file: `{floor}` cannot be "
                                    "written: "), result.output
