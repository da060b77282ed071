"""The examples run as examples/README.md says, on the shipped pack as it is today (a pack
file reformatted by ``finpolicy fmt`` once broke the change-impact script's edit)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _environment() -> dict[str, str]:
    # the finpolicy command of the Python running the tests
    folder = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": folder + os.pathsep + os.environ.get("PATH", "")}


def test_the_quickstart_runs() -> None:
    result = subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py")],
                            capture_output=True, text=True, timeout=300, env=_environment())
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_the_change_impact_example_finds_the_widened_access() -> None:
    assert shutil.which("bash") is not None
    result = subprocess.run(["bash", str(EXAMPLES / "change_impact.sh")], capture_output=True,
                            text=True, timeout=600, env=_environment())
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "AssertionError" not in result.stderr
    assert "✗ deny → allow" in out and "+allow-by-role" in out
    assert "spec.milestones.final_res" in out  # the shortened deadline is named
    assert "(exit 1: the change widens access)" in out
    assert "(exit 1: some cases expect the old behaviour)" in out
