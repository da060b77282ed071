"""The example plug-in the domains guide shows declares what a bank's domain needs for the
decision log (``logged``) and the HTTP service (``calls``): following it, a logged engine
records the domain's decisions and ``finpolicy audit replay`` reproduces them."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.helpers.plugins import PLUGINS, install, run_python

SCRIPT = textwrap.dedent("""
    import datetime as dt, sys
    import finpolicy as fp
    from finpolicy.audit import AuditKeys, DecisionLog, verify_log
    keys = AuditKeys.generate()
    keys.save(sys.argv[1] + "/keys")
    with DecisionLog(sys.argv[1] + "/log.db", keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(sys.argv[2]), log=log)
        engine.check_limit({"id": "t1", "amount": 70000, "channel": "online"},
                           as_of=dt.date(2026, 1, 5))
        engine.call("check_limit", {"txn": {"id": "t2", "amount": 10, "channel": "online"},
                                    "as_of": "2026-01-05"})
    print(verify_log(sys.argv[1] + "/log.db", public_key=keys.public_key).decisions)
""")


def test_the_example_plugins_decisions_are_logged_and_replayed(tmp_path: Path) -> None:
    site = install(tmp_path / "site")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_python(site, *args)

    done = run("-c", SCRIPT, str(tmp_path), str(PLUGINS / "limits-pack"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"  # both decisions, the typed call's and call()'s
    done = run("-m", "finpolicy", "audit", "replay", str(tmp_path / "log.db"),
               "--keys", str(tmp_path / "keys"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every decision reproduced" in done.stdout
