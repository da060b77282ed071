"""``finpolicy eval --fail-on OUTCOME``: a complaint's SLA status refuses nothing, so ``eval
complaints`` exited 0 on a book of breached complaints, and a nightly job had no way to stop
on a breach short of parsing the output. The default is kept (exit 1 for a refusal: deny,
unsuitable); ``--fail-on breached`` adds the outcomes that fail the command, checked to be
the domain's own before any work."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from finpolicy.cli import main

AS_OF = "2026-03-02T10:00:00+08:00"
BREACHED = {"id": "k1", "received_at": "2026-01-05T10:00:00+08:00", "channel": "branch",
            "category": "service", "severity": "general"}
OPEN = dict(BREACHED, id="k2", received_at="2026-03-02T09:00:00+08:00")


def _book(tmp_path: Path, *complaints: dict[str, str]) -> Path:
    path = tmp_path / "complaints.csv"
    lines = [",".join(BREACHED), *(",".join(c.values()) for c in complaints)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _eval(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", *args, "--as-of", AS_OF])
    return result.exit_code, result.stdout, result.stderr


def test_a_breached_complaint_fails_the_command_with_fail_on_breached(tmp_path: Path) -> None:
    book = str(_book(tmp_path, BREACHED, OPEN))
    code, _, err = _eval("complaints", book)
    assert code == 0, err  # a status refuses nothing: the default is kept
    assert "1 breached" in err
    code, _, err = _eval("complaints", book, "--fail-on", "breached")
    assert code == 1, err
    code, _, err = _eval("complaints", str(_book(tmp_path, OPEN)), "--fail-on", "breached")
    assert code == 0, err  # no complaint breached


def test_fail_on_takes_several_outcomes_for_json_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "complaints.jsonl"
    path.write_text("\n".join(json.dumps({"complaint": c}) for c in (OPEN, BREACHED)) + "\n",
                    encoding="utf-8")
    code, _, err = _eval("complaints", str(path), "--fail-on", "at_risk,breached")
    assert code == 1, err
    code, _, err = _eval("complaints", str(path), "--fail-on", "at_risk", "--fail-on", "met")
    assert code == 0, err  # k1 breached and k2 pending: neither named
    code, _, err = _eval("complaints", str(path), "--why", "--fail-on", "breached")
    assert code == 1, err


def test_an_outcome_the_domain_has_not_is_refused_before_any_work(tmp_path: Path) -> None:
    book = str(_book(tmp_path, BREACHED))
    code, out, err = _eval("complaints", book, "--fail-on", "breachd")
    assert code == 3
    assert out == ""
    assert ("--fail-on: `breachd` is no outcome of complaints decisions (they have met, "
            "pending, at_risk, breached)") in err
    code, _, err = _eval("complaints", book, "--fail-on", "deny")  # access's, not this one's
    assert code == 3 and "`deny` is no outcome of complaints" in err
    code, _, err = _eval("complaints", book, "--fail-on", " , ")
    assert code == 3 and "--fail-on: expected an outcome" in err


def test_fail_on_never_takes_a_refusal_away(tmp_path: Path) -> None:
    request = {"subject": {"id": "u2", "roles": ["teller"], "department": "retail",
                           "branch": "BJ01"},
               "action": "read", "purpose": "account_service",
               "resource": {"type": "customer_record", "data_level": "core",
                            "category": "basic_identity", "department": "retail",
                            "branch": "BJ01"}}
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(request) + "\n", encoding="utf-8")
    code, out, err = _eval("access", str(path), "--fail-on", "allow")
    assert code == 1, err  # denied, as without the option
    assert out.startswith("deny")
