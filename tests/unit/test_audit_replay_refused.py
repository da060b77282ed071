"""Replay of a logged call whose input is refused now: the mismatch names each problem's code
and path (a plug-in's ``LoggedCall.data`` form that its ``evaluate_input`` does not take), never
the value it was refused for, so a bank can tell what to fix without opening the input."""

from __future__ import annotations

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


def _replayed(tmp_path: Path, form: str) -> str:
    site = install(tmp_path / "site")
    _plugin_logging(site, form)
    done = run_python(site, "-c", SCRIPT, str(tmp_path), str(PLUGINS / "limits-pack"))
    assert done.returncode == 0, done.stderr
    done = run_python(site, "-m", "finpolicy", "audit", "replay", str(tmp_path / "log.db"),
                      "--keys", str(tmp_path / "keys"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
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
