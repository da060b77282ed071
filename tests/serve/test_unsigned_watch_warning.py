"""``finpolicy serve`` watching PACK without --trusted-key says, before it serves, that
whatever is written to the folder will be served: it said nothing, and the documented
deployment (``finpolicy serve /srv/policies/current``) served any version anyone able to
write there put in, signed or not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main


def _before_serving(*args: str) -> list[str]:
    result = CliRunner().invoke(main, ["serve", "--port", "0", *args])
    lines = result.output.strip().splitlines()
    serving = next(i for i, line in enumerate(lines) if line.startswith("serving "))
    return lines[:serving]


@pytest.mark.usefixtures("started")
def test_watching_without_a_trusted_key_is_warned_of(tmp_path: Path, bundle: fp.Bundle) -> None:
    from finpolicy.audit import generate_keys
    from finpolicy.documents.signing import sign_bundle

    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack)
    said = _before_serving(str(pack))
    assert said == [f"warning: {pack} is watched without --trusted-key: any version written "
                    "to its folder is served, signed or not"], said
    assert _before_serving(str(pack), "--no-watch") == []
    generate_keys(tmp_path / "keys")
    sign_bundle(fp.load_bundle(pack), tmp_path / "keys" / "signing-key.pem")
    assert _before_serving(str(pack), "--trusted-key",
                           str(tmp_path / "keys" / "public-key.pem")) == []
