"""Replay of a logged call whose input is refused now: the mismatch names each problem's code
and path (a plug-in's ``LoggedCall.data`` form that its ``evaluate_input`` does not take), never
the value it was refused for, so a bank can tell what to fix without opening the input."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.helpers.plugins import PLUGINS, install, run_python

SCRIPT = textwrap.dedent("""
    import datetime as dt, sys
    import finpolicy as fp
    from finpolicy.audit import AuditKeys, DecisionLog
    keys = AuditKeys.generate()
    keys.save(sys.argv[1] + "/keys")
    with DecisionLog(sys.argv[1] + "/log.db", keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(sys.argv[2]), log=log)
        engine.check_limit({"id": "t1", "amount": 70000, "channel": "online"},
                           as_of=dt.date(2026, 1, 5))
""")

def _plugin_logging(site: Path, form: str) -> None:
    init = site / "finpolicy_limits" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    old = '{"transaction": inputs["txn"]}'
    assert old in text
    init.write_text(text.replace(old, form), encoding="utf-8")


def _replay(tmp_path: Path, form: str, *, evaluating: str = ""
            ) -> subprocess.CompletedProcess[str]:
    """Log one call of the plug-in whose ``LoggedCall.data`` is ``form`` (and whose
    ``evaluate_input`` starts with ``evaluating``), and replay the log."""
    site = install(tmp_path / "site")
    _plugin_logging(site, form)
    if evaluating:
        init = site / "finpolicy_limits" / "__init__.py"
        head = "def evaluate_input(runtime: Any, data: Any, *, as_of: Any = None)"
        text = init.read_text(encoding="utf-8")
        start = text.index(head)
        body = text.index("\n", start) + 1
        init.write_text(text[:body] + f"    {evaluating}\n" + text[body:], encoding="utf-8")
    done = run_python(site, "-c", SCRIPT, str(tmp_path), str(PLUGINS / "limits-pack"))
    assert done.returncode == 0, done.stderr
    done = run_python(site, "-m", "finpolicy", "audit", "replay", str(tmp_path / "log.db"),
                      "--keys", str(tmp_path / "keys"))
    assert "Traceback" not in done.stderr
    return done


def _replayed(tmp_path: Path, form: str) -> str:
    done = _replay(tmp_path, form)
    assert done.returncode == 1, done.stdout + done.stderr
    return " ".join(done.stdout.split())


def test_a_logged_form_evaluate_input_does_not_take_names_its_code_and_path(
        tmp_path: Path) -> None:
    out = _replayed(tmp_path, '{"txn": inputs["txn"]}')
    # was "the logged call now raises: <invalid input>", with nothing to say why
    assert "the logged call now raises: <invalid input> (bad_input at input)" in out


def test_each_refused_field_is_named_by_code_and_path_without_its_value(
        tmp_path: Path) -> None:
    form = '{"transaction": {"amount": "seventy-thousand-77123", "channel": "online"}}'
    out = _replayed(tmp_path, form)
    assert ("the logged call now raises: <invalid input> (missing at transaction.id; "
            "float_parsing at transaction.amount)") in out
    assert "77123" not in out and "seventy" not in out  # the value is never shown


def test_an_evaluate_input_that_crashes_is_a_domain_error_naming_the_entry(
        tmp_path: Path) -> None:
    # was a KeyError traceback quoting the logged amount
    done = _replay(tmp_path, '{"transaction": inputs["txn"]}',
                   evaluating='raise KeyError(str(data["transaction"]["amount"]) + "-77123")')
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("error: domain `limits`: its evaluate_input raised KeyError on log entry 3 "
            "(check_limit) (the message is not shown: it may quote the logged input)"
            ) in " ".join(done.stderr.split())
    assert "77123" not in done.stdout + done.stderr
