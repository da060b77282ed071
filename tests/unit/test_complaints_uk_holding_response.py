"""DISP 1.6.2R(2) and 1.6.2AR in the uk-fca pack: a written response explaining the delay (with
the Financial Ombudsman Service referral rights) by the end of eight weeks meets an ordinary
complaint's time limit, while a payment services complaint's holding reply only extends its
15 business days to 35; a rule's ``completed_by`` says which, on every route."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
import yaml

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.errors import PolicyError

LON = ZoneInfo("Europe/London")
UK = fp.PolicyEngine(fp.load_bundle(shipped_packs() / "uk-fca"))
RECEIVED = dt.datetime(2025, 4, 16, 11, tzinfo=LON)  # eight weeks end Wednesday 11 June


def _complaint(cid: str, events: list[tuple[str, dt.datetime]], flags: list[str] | None = None
               ) -> dict[str, Any]:
    return {"id": cid, "received_at": RECEIVED.isoformat(), "channel": "letter",
            "category": "product", "flags": flags or [],
            "events": [{"kind": k, "at": at.isoformat()} for k, at in events]}


# week 7 holding response, week 10 final response
ORDINARY = _complaint("uk-hr", [("holding_reply_sent", dt.datetime(2025, 6, 4, 10, tzinfo=LON)),
                                ("responded", dt.datetime(2025, 6, 25, 10, tzinfo=LON))])
AS_OF = dt.datetime(2025, 7, 1, 9, tzinfo=LON)


def test_a_holding_response_by_the_eighth_week_meets_an_ordinary_complaints_limit() -> None:
    report = UK.complaint_sla(ORDINARY, as_of=AS_OF)
    final = report.milestone("final_response")
    assert (report.outcome, final.status) == ("met", "met")
    assert final.completed_at == dt.datetime(2025, 6, 4, 10, tzinfo=LON)
    assert "senior_manager" not in report.escalations


def test_a_holding_response_after_the_eighth_week_is_still_a_breach() -> None:
    late = _complaint("uk-hr-late", [("holding_reply_sent",
                                      dt.datetime(2025, 6, 12, 10, tzinfo=LON))])
    report = UK.complaint_sla(late, as_of=AS_OF)
    assert report.milestone("final_response").status == "breached"
    assert "senior_manager" in report.escalations


def test_a_payment_services_holding_reply_extends_the_limit_but_does_not_meet_it() -> None:
    held = [("holding_reply_sent", dt.datetime(2025, 5, 1, 10, tzinfo=LON))]
    open_ = UK.complaint_sla(_complaint("uk-ps", held, ["payment_services"]), as_of=AS_OF)
    final = open_.milestone("final_response")
    # 35 business days from 16 April 2025 end on Tuesday 10 June: open past it is a breach
    assert (final.status, final.completed_at) == ("breached", None)
    assert final.due_at.date() == dt.date(2025, 6, 10)
    answered = UK.complaint_sla(_complaint(
        "uk-ps2", [*held, ("responded", dt.datetime(2025, 6, 9, 10, tzinfo=LON))],
        ["payment_services"]), as_of=AS_OF)
    assert answered.milestone("final_response").status == "met"


def test_the_table_route_agrees_on_holding_responses() -> None:
    complaints = [ORDINARY, _complaint("uk-ps", [("holding_reply_sent",
                                                  dt.datetime(2025, 5, 1, 10, tzinfo=LON))],
                                       ["payment_services"])]
    table = pa.table({
        "id": [c["id"] for c in complaints],
        "received_at": [c["received_at"] for c in complaints],
        "channel": ["letter"] * 2, "category": ["product"] * 2,
        "flags": ["", "payment_services"],
        "holding_reply_sent": [c["events"][0]["at"] for c in complaints],
        "responded": [ORDINARY["events"][1]["at"], None]})
    got = UK.evaluate_table("complaints", table, as_of=AS_OF).to_pylist()
    want = [UK.complaint_sla(c, as_of=AS_OF) for c in complaints]
    assert [r["final_response.status"] for r in got] == ["met", "breached"]
    assert [r["outcome"] for r in got] == [w.outcome for w in want]
    assert got[0]["final_response.completed_at"] == want[0].milestone(
        "final_response").completed_at


def test_explanations_offer_a_holding_response_only_where_it_meets_the_limit() -> None:
    as_of = dt.datetime(2025, 6, 5, 9, tzinfo=LON)  # week 7: at risk
    ordinary = _complaint("uk-open", [])
    text = UK.explain("complaint_sla", ordinary, as_of=as_of).text()
    assert "record `holding_reply_sent` now" in text
    payment = _complaint("uk-ps-open", [], ["payment_services"])
    late = UK.explain("complaint_sla", payment, as_of=as_of)
    assert late.outcome == "breached"
    # only as the extension it is, not as what would have met the limit
    assert "`holding_reply_sent` should have been recorded by" not in late.text()
    assert "`holding_reply_sent` should have been recorded before" in late.text()
    assert "completing events set by `payment-services-complaint`" in late.text()


def _policy(tmp_path: Path, edit: Any) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "uk-fca", pack)
    doc = yaml.safe_load((pack / "complaints.yaml").read_text())
    edit(doc["spec"])
    (pack / "complaints.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return pack


def _problems(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as info:
        fp.load_bundle(path)
    return [(p.path, p.code) for p in info.value.problems]


def test_an_extension_that_would_also_complete_the_milestone_is_refused(
        tmp_path: Path) -> None:
    def drop_override(spec: dict[str, Any]) -> None:
        del spec["rules"][1]["completed_by"]

    problems = _problems(_policy(tmp_path, drop_override))
    assert ("spec.rules[1].durations.final_response.extensions", "bad_completion") in problems


def test_a_rules_completing_events_must_be_declared(tmp_path: Path) -> None:
    def misspell(spec: dict[str, Any]) -> None:
        spec["rules"][1]["completed_by"] = {"final_respnse": ["responded"],
                                            "final_response": ["respnded"]}

    problems = _problems(_policy(tmp_path, misspell))
    assert ("spec.rules[1].completed_by.final_respnse", "unknown_milestone") in problems
    assert ("spec.rules[1].completed_by.final_response[0]", "unknown_event") in problems
