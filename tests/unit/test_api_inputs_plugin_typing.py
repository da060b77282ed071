"""The example plug-in (``tests/plugins/finpolicy_limits``) type checks under
``mypy --strict``, as docs/domains.rst tells a bank to write its own: a plug-in's methods are
not seen on ``PolicyEngine`` (``engine.check_limit(...)`` is ``attr-defined``; its command
called it so until the engine's ``__getattr__`` was hidden from type checkers), and its typed
mixin (``finpolicy_limits.api.LimitsEngine``) gives ``check_limit`` its decision class."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.plugins import install

USER = textwrap.dedent("""
    import finpolicy as fp
    from finpolicy_limits.api import LimitsEngine

    bundle = fp.load_bundle("limits-pack")
    plain = fp.PolicyEngine(bundle).check_limit({"id": "t1"})
    txn = fp.Transaction(id="t1")
    reveal_type(LimitsEngine(bundle).check_limit({"id": "t1"}, as_of="2026-01-05"))
    reveal_type(fp.PolicyEngine(bundle).call("check_limit", {"txn": {"id": "t1"}}).result)
""")


@pytest.mark.slow  # mypy reads finpolicy itself: several seconds
def test_the_example_plugin_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="the typing test needs mypy (in the test extra)")
    site = install(tmp_path / "site")
    (site / "bank_user.py").write_text(USER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
         "-p", "finpolicy_limits", "-m", "bank_user"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
        env={**os.environ, "MYPYPATH": str(site)})
    out = done.stdout + done.stderr
    errors = [line for line in out.splitlines() if ": error:" in line]
    # the plug-in's own modules (its command included) are clean; the user's plain call and
    # the plug-in's name on the package are the errors, which the mixin, engine.call and
    # importing from the plug-in's package avoid
    assert len(errors) == 2, out
    assert "bank_user.py:6: error:" in errors[0] and '"check_limit"' in errors[0] \
        and "[attr-defined]" in errors[0], out
    assert "bank_user.py:7: error:" in errors[1] and '"Transaction"' in errors[1] \
        and "[attr-defined]" in errors[1], out
    revealed = re.findall(r'Revealed type is "([^"]+)"', out)
    assert revealed == ["finpolicy_limits.LimitDecision", "Any"], out
