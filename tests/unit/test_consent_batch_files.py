"""Campaign files planned: a record the policy refuses is named at its place in the file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.domains.consent.batch import plan_file
from finpolicy.errors import InputError

AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CONSENT = {"id": "k1", "customer": "c1", "purpose": "marketing",
           "given_at": "2026-01-01T00:00:00+08:00"}


def test_a_record_the_policy_refuses_is_named_at_its_line_of_the_file(tmp_path: Path) -> None:
    # a consent naming a channel the policy does not know failed as
    # 'consents.0.channels: unknown channel', naming neither the file nor its line (2)
    path = tmp_path / "camp.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (
        {"customer": {"id": "c1"}},
        {"consent": {**CONSENT, "channels": ["carrier_pigeon"]}},
        {"customer": {"id": "c2", "channels": ["fax"]}})) + "\n", encoding="utf-8")
    runtime = fp.PolicyEngine().runtime
    with pytest.raises(InputError, match="unknown channel") as caught:
        plan_file(runtime, str(path), as_of=AT)
    found = {(p.file, p.line, p.path) for p in caught.value.problems}
    assert (str(path), 2, "consent.channels") in found or \
        (str(path), 3, "customer.channels") in found
    for problem in caught.value.problems:
        assert problem.file == str(path) and problem.line in (2, 3)
    # an option's error stays the option's; a document's records keep their list positions
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"customer": {"id": "c1"}}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        plan_file(runtime, str(plain), as_of=AT, purpose="marketting")
    assert [(p.path, p.file) for p in caught.value.problems] == [("purpose", None)]
    document = tmp_path / "camp.yaml"
    document.write_text("customers:\n  - {id: c1}\nconsents:\n  - " + json.dumps(
        {**CONSENT, "channels": ["carrier_pigeon"]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        plan_file(runtime, str(document), as_of=AT)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(document), None,
                                                          "consents.0.channels")


def test_finpolicy_campaign_names_bad_rows_and_the_file_kinds_it_reads(tmp_path: Path) -> None:
    # 'bad_rows: setting bad records aside needs ...' named no option of the command, and a
    # CSV campaign file was refused as 'expected a mapping with `customers` ...' only
    from click.testing import CliRunner

    from finpolicy.cli import main

    document = tmp_path / "camp.yaml"
    document.write_text("customers:\n  - {id: c1}\n", encoding="utf-8")
    at = AT.isoformat()
    result = CliRunner().invoke(main, ["campaign", str(document), "--as-of", at,
                                       "--bad-rows", str(tmp_path / "bad.jsonl")])
    assert result.exit_code == 3 and "--bad-rows: setting bad records aside needs a " \
        "JSON-lines campaign file" in result.output, result.output
    table = tmp_path / "camp.csv"
    table.write_text("id,channels\nc1,sms\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["campaign", str(table), "--as-of", at])
    assert result.exit_code == 3 and "JSON lines named .jsonl" in result.output, result.output


def test_json_lines_in_a_json_campaign_file_say_to_name_it_jsonl(tmp_path: Path) -> None:
    # 'camp.json line 2: not valid JSON: Extra data' left the user to guess the suffix
    path = tmp_path / "camp.json"
    path.write_text("\n".join(json.dumps({"customer": {"id": f"c{i}"}}) for i in (1, 2)) + "\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"Extra data \(one record a line is JSON lines: "
                                         r"name the file \.jsonl\)") as caught:
        plan_file(fp.PolicyEngine().runtime, str(path), as_of=AT)
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == (str(path), 2)
