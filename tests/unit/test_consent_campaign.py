"""Campaigns: who may be contacted, on which channel, when; ``finpolicy campaign``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.cli import main

BJ = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BJ)
GIVEN = dt.datetime(2026, 2, 1, 9, 0, tzinfo=BJ)


def consent(customer: str, channels: list[str], **changes: Any) -> fp.Consent:
    data: dict[str, Any] = {"id": f"c-{customer}-{'-'.join(channels)}", "customer": customer,
                            "purpose": "marketing", "channels": channels, "separate": True,
                            "given_at": GIVEN, "evidence": "form", "notice_version": "privacy-2025"}
    return fp.Consent(**{**data, **changes})


def plan(engine: fp.PolicyEngine, customers: list[dict[str, Any]], consents: list[fp.Consent],
         contacts: list[fp.ContactRecord] = (), **options: Any) -> dict[str, fp.CampaignEntry]:
    report = engine.plan_campaign(customers, consents=consents, contacts=contacts, as_of=AT,
                                  **options)
    return {e.customer: e for e in report.entries}


def test_the_first_channel_allowed_now_is_chosen(engine: fp.PolicyEngine) -> None:
    got = plan(engine, [{"id": "a", "channels": ["phone", "sms", "email"]}],
               [consent("a", ["sms", "email"])])
    entry = got["a"]
    assert (entry.status, entry.channel, entry.at) == ("now", "sms", AT)
    assert entry.decision is not None and entry.decision.consent_id == "c-a-sms-email"


def test_outside_the_hours_the_next_allowed_time_is_the_local_morning(
        engine: fp.PolicyEngine) -> None:
    # 10:00 in Beijing is 02:00 in London: SMS (08:00-21:00 local) waits until 08:00 London
    got = plan(engine, [{"id": "b", "time_zone": "Europe/London", "channels": ["sms"]}],
               [consent("b", ["sms"])])
    entry = got["b"]
    assert entry.status == "later" and entry.channel == "sms"
    assert entry.at == dt.datetime(2026, 3, 2, 8, 0, tzinfo=LONDON)
    assert entry.decision is not None and entry.decision.rule_ids == ("outside-allowed-hours",)


def test_a_channel_without_hours_goes_now_when_another_must_wait(engine: fp.PolicyEngine) -> None:
    got = plan(engine, [{"id": "b", "time_zone": "Europe/London", "channels": ["sms", "email"]}],
               [consent("b", ["sms", "email"])])
    assert (got["b"].status, got["b"].channel) == ("now", "email")


def test_a_full_cap_waits_until_the_oldest_contact_leaves_the_window(
        engine: fp.PolicyEngine) -> None:
    oldest = AT - dt.timedelta(days=29, hours=2)  # 08:00 Beijing, 29 days before
    contacts = [fp.ContactRecord(customer="c", channel="sms", purpose="marketing", at=t)
                for t in (oldest, AT - dt.timedelta(days=3), AT - dt.timedelta(days=2),
                          AT - dt.timedelta(days=1))]
    got = plan(engine, [{"id": "c", "channels": ["sms"]}], [consent("c", ["sms"])], contacts)
    assert got["c"].status == "later"
    assert got["c"].at == oldest + dt.timedelta(days=30)


def test_a_cap_that_frees_at_night_waits_for_the_morning(engine: fp.PolicyEngine) -> None:
    night = dt.datetime(2026, 2, 1, 22, 30, tzinfo=BJ)  # frees on 03-03 at 22:30
    contacts = [fp.ContactRecord(customer="d", channel="sms", purpose="marketing", at=t)
                for t in (night, night + dt.timedelta(days=5), night + dt.timedelta(days=6),
                          night + dt.timedelta(days=7))]
    got = plan(engine, [{"id": "d", "channels": ["sms"]}], [consent("d", ["sms"])], contacts)
    assert got["d"].at == dt.datetime(2026, 3, 4, 8, 0, tzinfo=BJ)


def test_a_consent_ending_before_the_window_opens_means_never(engine: fp.PolicyEngine) -> None:
    ending = consent("e", ["sms"], expires_at=dt.datetime(2026, 3, 2, 7, 0, tzinfo=LONDON))
    got = plan(engine, [{"id": "e", "time_zone": "Europe/London", "channels": ["sms"]}],
               [ending])
    assert got["e"].status == "never" and got["e"].at is None


def test_withdrawn_no_consent_and_no_channel_mean_never(engine: fp.PolicyEngine) -> None:
    customers = [{"id": "w", "channels": ["sms"]}, {"id": "n", "channels": ["sms"]},
                 {"id": "x", "channels": ["phone"]}]
    report = engine.plan_campaign(customers, consents=[
        consent("w", ["sms"], withdrawn_at=AT - dt.timedelta(days=1))], as_of=AT,
        channels=["sms", "email"])
    entries = {e.customer: e for e in report.entries}
    assert entries["w"].decision is not None
    assert entries["w"].decision.rule_ids == ("consent-withdrawn",)
    assert entries["n"].decision is not None and entries["n"].decision.rule_ids == (
        "no-consent",)
    assert (entries["x"].status, entries["x"].channel, entries["x"].decision) == (
        "never", None, None)
    assert report.counts() == {"now": 0, "later": 0, "never": 3}
    assert report.reasons() == {"consent-withdrawn": 1, "no-consent": 1, "no-channel": 1}
    assert report.by_channel() == {"-": {"now": 0, "later": 0, "never": 1},
                                   "sms": {"now": 0, "later": 0, "never": 2}}


def test_customers_without_preferences_get_the_campaigns_channels(
        engine: fp.PolicyEngine) -> None:
    got = plan(engine, [{"id": "f"}], [consent("f", ["email"])], channels=["sms", "email"])
    assert (got["f"].status, got["f"].channel) == ("now", "email")


def test_without_preferences_or_campaign_channels_every_channel_of_the_purpose_is_tried(
        engine: fp.PolicyEngine) -> None:
    # a customer who consented to email was `never` (`no-channel`) when neither the list nor
    # the campaign named channels
    got = plan(engine, [{"id": "h"}, {"id": "i"}], [consent("h", ["email"])])
    assert (got["h"].status, got["h"].channel) == ("now", "email")
    assert got["h"].decision is not None and got["h"].decision.consent_id == "c-h-email"
    assert (got["i"].status, got["i"].channel) == ("never", "sms")  # the policy's first
    assert got["i"].decision is not None and got["i"].decision.rule_ids == ("no-consent",)


def test_an_unknown_campaign_purpose_is_refused(engine: fp.PolicyEngine,
                                               tmp_path: Path) -> None:
    # `marketting` planned every customer `never` (unknown-purpose) instead of refusing
    with pytest.raises(fp.InputError, match=r"did you mean `marketing`") as info:
        engine.plan_campaign([{"id": "a"}], purpose="marketting", as_of=AT)
    assert [(p.path, p.code) for p in info.value.problems] == [("purpose", "unknown_purpose")]
    path = tmp_path / "campaign.jsonl"
    write_jsonl(path, [("customer", {"id": "a", "channels": ["sms"]})])
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat(),
                                       "--purpose", "marketting"])
    assert result.exit_code == 3 and "unknown purpose `marketting`" in result.output


@pytest.mark.parametrize(("options", "named"), [
    (["--channel", "fax"], "--channel: unknown channel `fax`"),
    (["--data-level", "secret"], "--data-level: unknown level `secret`"),
    (["--category", "hobbies"], "--category: unknown category `hobbies`"),
    (["--purpose", "marketting"], "--purpose: unknown purpose `marketting`"),
])
def test_finpolicy_campaign_names_the_option_it_refuses(tmp_path: Path, options: list[str],
                                                        named: str) -> None:
    # `--channel fax` was refused as "channels: unknown channel `fax`", a name the command
    # does not have
    path = tmp_path / "campaign.jsonl"
    write_jsonl(path, [("customer", {"id": "a", "channels": ["sms"]})])
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat(),
                                       *options])
    assert result.exit_code == 3 and named in result.output, result.output


def test_bad_campaign_input_names_the_field(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        engine.plan_campaign([{"id": "g", "channels": ["telex"]}], channels=["fax"], as_of=AT)
    assert info.value.fields == ("channels", "customers.0.channels")
    with pytest.raises(fp.InputError, match="naive"):
        engine.plan_campaign([], as_of=dt.datetime(2026, 3, 2, 10))


def write_jsonl(path: Path, records: list[tuple[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for kind, record in records:
            value = record.model_dump(mode="json") if hasattr(record, "model_dump") else record
            handle.write(json.dumps({kind: value}) + "\n")


def test_finpolicy_campaign_prints_a_summary_and_writes_entries(tmp_path: Path) -> None:
    path = tmp_path / "campaign.jsonl"
    write_jsonl(path, [("customer", {"id": "a", "channels": ["sms"]}),
                       ("customer", {"id": "b", "time_zone": "Europe/London",
                                     "channels": ["sms"]}),
                       ("customer", {"id": "c", "channels": ["sms"]}),
                       ("consent", consent("a", ["sms"])), ("consent", consent("b", ["sms"]))])
    out = tmp_path / "entries.jsonl"
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat(),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "now" in result.output and "no-consent" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["customer"], e["status"]) for e in lines] == [("a", "now"), ("b", "later"),
                                                             ("c", "never")]
    assert lines[1]["at"] == "2026-03-02T08:00:00+00:00"
    summary = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat(),
                                        "--json"])
    assert json.loads(summary.output)["counts"] == {"now": 1, "later": 1, "never": 1}


def test_finpolicy_campaign_reports_bad_records_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "campaign.jsonl"
    path.write_text('{"customer": {"id": "a"}}\n{"consent": {"id": "c"}}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat()])
    assert result.exit_code == 3
    assert "line 2" in result.output and "consent.customer" in result.output
    assert "Traceback" not in result.output


def test_a_yaml_campaign_file_works_too(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(
        "customers: [{id: a, channels: [email]}]\n"
        "consents:\n"
        "  - {id: c1, customer: a, purpose: marketing, channels: [email], separate: true,\n"
        "     given_at: '2026-02-01T09:00:00+08:00', notice_version: privacy-2025}\n",
        encoding="utf-8")
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat(),
                                       "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_channel"] == {"email": {"now": 1, "later": 0,
                                                                 "never": 0}}


def test_finpolicy_eval_consent_decides_the_mapping_form(tmp_path: Path) -> None:
    path = tmp_path / "use.json"
    path.write_text(json.dumps({
        "request": {"customer": "a", "purpose": "marketing", "channel": "sms"},
        "consents": [consent("a", ["sms"]).model_dump(mode="json")]}), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "consent", str(path), "--as-of", AT.isoformat(),
                                       "--json"])
    assert result.exit_code == 0, result.output
    (decision,) = json.loads(result.output)
    assert decision["outcome"] == "allow" and decision["consent_id"] == "c-a-sms"
    assert decision["as_of"] == AT.isoformat()
    unknown = tmp_path / "bad.json"
    unknown.write_text(json.dumps({"request": {"customer": "a", "purpose": "marketing"},
                                   "consnets": []}), encoding="utf-8")
    bad = CliRunner().invoke(main, ["eval", "consent", str(unknown)])
    assert bad.exit_code == 3 and "consnets" in bad.output


@pytest.mark.parametrize(("output", "message"), [
    ("adir", "`{tmp}/adir` is a folder; expected a file"),  # was IsADirectoryError
    ("file.txt/sub", "`{tmp}/file.txt/sub` cannot be written: `{tmp}/file.txt` is not a "
                     "folder"),  # was NotADirectoryError
    ("", "expected a file name, got an empty one"),  # was IsADirectoryError: '.'
    ("campaign.yaml", "`{tmp}/campaign.yaml` is the input file"),
    ("link.jsonl", "`{tmp}/link.jsonl` is a symbolic link; finpolicy does not write through "
                   "links"),
])
def test_an_output_that_cannot_be_written_exits_3_before_the_work(
        tmp_path: Path, output: str, message: str) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text("customers: [{id: a, channels: [email]}]\n", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    (tmp_path / "file.txt").write_text("keep", encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "file.txt")
    result = CliRunner().invoke(main, ["campaign", str(path), "--as-of", AT.isoformat(), "-o",
                                       str(tmp_path / output) if output else ""])
    assert result.exit_code == 3, result.output
    assert "error: --output: " + message.format(tmp=tmp_path) in result.stderr
    assert path.read_text(encoding="utf-8").startswith("customers:")
    assert (tmp_path / "file.txt").read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize(("option", "value"), [("channels", "sms"), ("data_levels", "core"),
                                               ("categories", 5)])
def test_a_lone_text_for_a_list_of_names_is_refused_naming_the_option(
        engine: fp.PolicyEngine, option: str, value: object) -> None:
    # "sms" was read as the channels `s`, `m` and `s` (three unknown-channel problems)
    with pytest.raises(fp.InputError) as caught:
        plan(engine, [{"id": "a"}], [consent("a", ["sms"])], **{option: value})
    assert caught.value.fields == (option,)
    assert str(caught.value) == f"{option}: expected a list of names, got {value!r}"


def test_a_customer_listed_twice_is_refused(engine: fp.PolicyEngine) -> None:
    # each entry was planned against the contacts before the campaign only, so both went
    # out now: two contacts past a cap the plan said was kept
    with pytest.raises(fp.InputError) as caught:
        plan(engine, [{"id": "a"}, {"id": "b"}, {"id": "A "}], [consent("a", ["sms"])])
    assert caught.value.fields == ("customers.2.id",)
    assert "customer `a` is listed twice (customers.0 and customers.2)" in str(caught.value)


def test_finpolicy_campaign_help_names_every_field_of_a_customer() -> None:
    # the help listed id, time_zone and channels: a minor's birth_date, which decides whose
    # consent counts, was nowhere on the command line
    from finpolicy.domains.consent.campaign import CampaignCustomer

    result = CliRunner().invoke(main, ["campaign", "--help"])
    text = " ".join(result.output.split())
    for field in CampaignCustomer.model_fields:
        assert f"`{field}`" in text, field
