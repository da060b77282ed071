"""The example customer service's own tests (examples/customer-service), run as its README
says, so they pass in CI with the rest of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "customer-service"


def test_the_example_service_tests_pass() -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
                            cwd=EXAMPLE, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
