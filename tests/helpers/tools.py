"""Tests that need a tool outside Python (Chromium, poppler, axe-core, WeasyPrint).

Outside CI such a test skips and says what to install. ``.ci/run`` installs every tool and sets
``FINPOLICY_CI=1``: there a missing tool fails the test instead, so CI never passes by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

CI = os.environ.get("FINPOLICY_CI") == "1"


def require(available: bool, reason: str) -> None:
    """Skip (or, under ``FINPOLICY_CI=1``, fail) with ``reason`` unless ``available``."""
    if available:
        return
    if CI:
        pytest.fail(f"{reason} (FINPOLICY_CI=1: CI must run this test)", pytrace=False)
    pytest.skip(reason)


def require_program(name: str, package: str) -> str:
    """The path of program ``name``; ``package`` is the Debian package that has it."""
    path = shutil.which(name)
    require(path is not None, f"needs `{name}` on PATH (apt-get install {package})")
    assert path is not None
    return path


def require_module(name: str, extra: str) -> None:
    """Python module ``name``, installed with finpolicy's ``extra``."""
    require(importlib.util.find_spec(name) is not None,
            f"needs the Python package `{name}` (pip install '.[{extra}]')")
