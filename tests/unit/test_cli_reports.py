"""What the CLI reports agrees with its help: ``eval``'s exit codes, bad evaluation times,
readable tables when piped."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from finpolicy.cli import main

AT = "2026-03-02T10:00:00+08:00"
ALLOWED = {"subject": {"id": "u-teller-1", "roles": ["teller"], "department": "retail",
                       "branch": "BJ01"},
           "action": "read", "purpose": "account_service",
           "resource": {"type": "customer_record", "data_level": "ordinary",
                        "category": "basic_identity", "department": "retail", "branch": "BJ01"}}
DENIED = {**ALLOWED, "subject": {**ALLOWED["subject"], "roles": []}}


def _write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_eval_help_states_the_exit_codes_it_uses() -> None:
    text = CliRunner().invoke(main, ["eval", "--help"]).output
    assert "Exits 0 when every decision is positive, 1 when any refuses what was asked " \
           "(outcome `deny` or `unsuitable`, or a plug-in domain's own refusals)" \
           in " ".join(text.split())


@pytest.mark.parametrize(("inputs", "code"), [
    ([ALLOWED], 0), ([DENIED], 1), ([ALLOWED, DENIED], 1)])
def test_eval_exits_1_for_a_denied_request(tmp_path: Path, inputs: list[object],
                                           code: int) -> None:
    for extra in ([], ["--json"], ["--why"]):
        result = CliRunner().invoke(main, ["eval", "access", _write(tmp_path, "in.yaml", inputs),
                                           "--as-of", AT, *extra])
        assert result.exit_code == code, (extra, result.output)


def test_eval_exits_1_for_an_unsuitable_sale(tmp_path: Path) -> None:
    sale = {"customer": {"id": "c1", "risk_level": "C1", "birth_date": "1980-01-01",
                         "assessment_date": "2026-01-10"},
            "product": {"id": "p1", "kind": "fund", "risk_level": "R5"}, "amount": 10000}
    result = CliRunner().invoke(main, ["eval", "suitability", _write(tmp_path, "s.yaml", sale),
                                       "--as-of", "2026-03-02", "--json"])
    assert json.loads(result.stdout)[0]["outcome"] == "unsuitable"
    assert result.exit_code == 1


def test_a_misspelt_product_kind_in_an_input_is_refused_with_a_suggestion(
        tmp_path: Path) -> None:
    sale = {"customer": {"id": "c1", "risk_level": "C3", "birth_date": "1980-01-01",
                         "assessment_date": "2026-01-10"},
            "product": {"id": "p1", "kind": "insurence", "risk_level": "R1"}, "amount": 10000}
    result = CliRunner().invoke(main, ["eval", "suitability", _write(tmp_path, "s.yaml", sale),
                                       "--as-of", "2026-03-02"])
    assert result.exit_code == 3
    assert "product.kind: unknown product kind `insurence`" in result.stderr
    assert "(did you mean `insurance`?)" in result.stderr


@pytest.mark.parametrize(("args", "option"), [
    (["eval", "access", "IN", "--as-of", "2026-13-01T10:00+08:00"], "--as-of"),
    (["eval", "access", "IN", "--as-of", "2026-03-01T10:00"], "--as-of"),
    (["review", "IN", "--at", "yesterday"], "--at"),
    (["sla", "IN", "--now", "2026-02-30T10:00+08:00"], "--now"),
])
def test_a_bad_evaluation_time_exits_3_naming_the_option_given(
        tmp_path: Path, args: list[str], option: str) -> None:
    path = _write(tmp_path, "in.yaml", ALLOWED)
    result = CliRunner().invoke(main, [path if a == "IN" else a for a in args])
    assert result.exit_code == 3, result.output
    assert f"Invalid value for {option}" in result.output


def test_the_review_report_rounds_durations_to_days(tmp_path: Path) -> None:
    grant = {"id": "g-long", "grantee": "u-teller-1", "purpose": "account_service",
             "resource_type": "customer_record", "data_level": "core",
             "category": "basic_identity", "requested_at": "2026-03-01T09:00:00+08:00",
             "approved_by": "u-head-7", "approver_roles": ["department_head"],
             "approved_at": "2026-03-01T11:30:00+08:00"}
    review = {"grants": [{**grant, "expires_at": "2026-04-01T17:47:00+08:00"},
                         {**grant, "id": "g-minute", "expires_at": "2026-03-31T11:31:00+08:00"}],
              "assignments": [{"subject_id": "u-head-7", "role": "department_head"}]}
    result = CliRunner().invoke(main, ["review", _write(tmp_path, "r.yaml", review),
                                       "--as-of", AT, "--json"])
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]
                if f["kind"] == "excessive_duration"]
    assert any("lasts 31 days; at most 30" in m for m in messages), messages
    assert any("lasts more than 30 days; at most 30" in m for m in messages), messages
    assert not any(re.search(r"\d+\.\d+ days", m) for m in messages)


@pytest.mark.parametrize(("args", "named"), [
    (["sla", "IN", "--as-of", AT, "--top", "-1"], "--top"),
    (["review", "IN", "--fail-on", ""], "--fail-on"),
    (["diff", "cn-banking", "cn-banking", "--samples", "-1"], "--samples"),
    (["scan", "IN", "--sample", "0"], "--sample"),
    (["test", "cn-banking", "--min-coverage", "101"], "--min-coverage"),
    (["fmt", "nonexist.yaml"], "nonexist.yaml"),
    (["audit", "verify", "IN", "--keys", "nonexist"], "--keys"),
    (["bundle", "sign", "cn-banking", "--key", "nonexist"], "--key"),
    (["docs", "cn-banking"], "--output"),
    (["validate", "IN"], "IN"),
    (["sla", "IN"], "--as-of"),
    (["eval", "suitability"], "FILE"),
    (["nosuch"], "nosuch"),
    (["--bogus"], "--bogus"),
    (["bundle", "nosuch"], "nosuch"),
])
def test_every_usage_error_exits_3_naming_what_is_wrong(tmp_path: Path, args: list[str],
                                                          named: str) -> None:
    """Click's own exit code for usage errors, 2, means an invalid policy here."""
    path = _write(tmp_path, "in.yaml", ALLOWED)
    result = CliRunner().invoke(main, [path if a == "IN" else a for a in args])
    assert result.exit_code == 3, result.output
    assert (path if named == "IN" else named) in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_number_option_must_be_finite(value: str) -> None:
    """nan passed every range check: `--min-coverage nan` turned the coverage check off."""
    result = CliRunner().invoke(main, ["test", "cn-banking", "--min-coverage", value])
    assert result.exit_code == 3, result.output
    assert f"Invalid value for '--min-coverage': {value} is not a finite number" in \
        result.output


def test_a_path_option_may_name_a_file_whose_name_is_not_utf8(tmp_path: Path) -> None:
    """Only text options must be text: a file name may hold bytes that are not UTF-8."""
    from finpolicy.documents.bundle import shipped_packs

    pack = tmp_path / "pack-\udcff"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    path = _write(tmp_path, "in-\udcff.yaml", ALLOWED)
    result = CliRunner().invoke(main, ["eval", "access", path, "--as-of", AT, "-b", str(pack)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "message"), [
    # an evaluation time when no version is in force is a bad --as-of, not an invalid policy
    (["eval", "suitability", "SALE", "--as-of", "0001-01-01"],
     "no version of SuitabilityPolicy `cn-suitability` is in force on 0001-01-01"),
    (["scan", "CSV", "--as-of", "0001-01-01"], "is in force on 0001-01-01"),
    (["suitability", "CSV", "--as-of", "0001-01-01"], "is in force on 0001-01-01"),
    (["review", "REVIEW", "--as-of", AT, "--policy", "nosuch"],
     "the bundle has no AccessPolicy `nosuch` (its AccessPolicy ids: cn-access)"),
    # a bundle path that is no pack is a bad option value or argument
    (["eval", "suitability", "SALE", "-b", "nonexist"],
     "Invalid value for '--bundle' / '-b': expected a bundle folder, the name of a shipped "
     "pack (cn-banking, uk-fca) or git:REV:PATH, got `nonexist`, which does not exist"),
    (["demo", "-b", "CSV"], "c.csv`, a file"),
    (["sla", "CSV", "--as-of", AT, "-b", ""], "got an empty name"),
    (["test", "nonexist"], "nonexist: no such bundle folder"),
    (["validate", "nonexist"], "nonexist: no such bundle folder"),
    (["bundle", "verify", "nonexist"], "nonexist: no such bundle folder"),
])
def test_a_bad_evaluation_time_policy_or_pack_path_is_invalid_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    """They exited 2, the code of an invalid policy."""
    monkeypatch.chdir(tmp_path)
    files = {"SALE": _write(tmp_path, "sale.yaml", {
        "customer": {"id": "c1", "risk_level": "C3"},
        "product": {"id": "p1", "kind": "fund", "risk_level": "R3"}}),
        "REVIEW": _write(tmp_path, "review.yaml", {"grants": []}),
        "CSV": str(tmp_path / "c.csv")}
    (tmp_path / "c.csv").write_text("customer.id,customer.risk_level,product.id,product.kind,"
                                    "product.risk_level\nc1,C3,p1,fund,R3\n", encoding="utf-8")
    result = CliRunner().invoke(main, [files.get(a, a) for a in args])
    assert result.exit_code == 3, result.output
    assert message in result.output


@pytest.mark.parametrize("args", [["validate", "cn-banking"], ["test", "cn-banking"],
                                  ["sla", "CSV", "--as-of", AT, "-b", "cn-banking"]])
def test_a_pack_name_that_is_also_a_folder_here_is_invalid_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    """It exited 2, the code of an invalid policy, though the pack is fine: the name is
    ambiguous."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cn-banking").mkdir()
    (tmp_path / "c.csv").write_text("id,received_at,channel,category\n", encoding="utf-8")
    result = CliRunner().invoke(main, [str(tmp_path / "c.csv") if a == "CSV" else a
                                       for a in args])
    assert result.exit_code == 3, result.output
    assert "`cn-banking` is both a shipped pack and a folder here; write `./cn-banking`" \
        in result.output


@pytest.mark.parametrize(("text", "message"), [
    # it said `expected a mapping …` naming no file
    ("- a\n- b\n", "IN line 1: expected a mapping with `customer` and `product`"),
    # an unquoted date that is no date made the whole file fail: `not valid YAML: day is out
    # of range for month`, with no line nor field
    ("customer: {id: c, risk_level: C3}\nproduct: {id: p, kind: fund, risk_level: R3}\n"
     "sale: {}\namount:\n  100\ncustomer_note: x\n", "IN line 6: customer_note: unknown key"),
    ("product: {id: p, kind: fund, risk_level: R3}\ncustomer:\n  id: c\n  risk_level: C3\n"
     "  assessment_date: 2026-02-30\n", "IN line 5: customer.assessment_date: expected an ISO "
                                        "date or datetime, got `2026-02-30`"),
    ("- customer: {id: c, risk_level: C3}\n  product: {id: p, kind: fund, risk_level: R3}\n"
     "- customer: {id: c, risk_level: C9}\n  product: {id: p, kind: fund, risk_level: R3}\n",
     "IN line 3: customer.risk_level: unknown level `C9`"),
])
def test_a_bad_eval_input_names_its_file_and_line(tmp_path: Path, text: str,
                                                  message: str) -> None:
    path = tmp_path / "in.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "suitability", str(path), "--as-of",
                                       "2026-03-02"])
    assert result.exit_code == 3, result.output
    assert message.replace("IN", str(path)) in result.stderr
