"""Complaint SLAs: counting rules at their edges, statuses, rules, inputs, CLI and timeline."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import random
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.calendars import WorkingCalendar
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.complaints import evaluate_input
from finpolicy.domains.complaints.timeline import timeline_svg

SH = ZoneInfo("Asia/Shanghai")
LON = ZoneInfo("Europe/London")
PACK = shipped_packs() / "cn-banking"
UK_PACK = shipped_packs() / "uk-fca"


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def lon(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LON)


def eod(year: int, month: int, day: int, zone: ZoneInfo = SH) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, 999999, tzinfo=zone)


# What a complete decision letter states (CBIRC 2020 No. 3 Art. 19; seed 000 §6.1).
LETTER = ["verification", "basis", "reasons", "remedies", "cause", "measures", "improvements"]


def complaint(received: dt.datetime, *events: tuple[Any, ...], **fields: Any) -> fp.Complaint:
    """A complaint with events ``(kind, at)`` or ``(kind, at, {event fields})``; a
    ``responded`` event states a complete letter unless its fields say otherwise."""
    data: dict[str, Any] = {"id": "c1", "channel": "phone", "category": "service",
                            "received_at": received, **fields}
    data["events"] = [fp.ComplaintEvent(kind=e[0], at=e[1], **(
        {"states": LETTER} if e[0] == "responded" else {}) | (e[2] if len(e) > 2 else {}))
        for e in events]
    return fp.Complaint(**data)


def due(engine: fp.PolicyEngine, c: fp.Complaint, name: str,
        now: dt.datetime | None = None) -> dt.datetime | None:
    report = engine.complaint_sla(c, as_of=now or c.received_at + dt.timedelta(hours=1))
    return report.milestone(name).due_at


@pytest.fixture(scope="module")
def uk_engines() -> dict[str, fp.PolicyEngine]:
    bundle = fp.load_bundle(UK_PACK)
    return {name: fp.PolicyEngine(bundle, engine=name) for name in ("compiled", "durable")}


@pytest.fixture(params=["compiled", "durable"])
def uk(request: pytest.FixtureRequest, uk_engines: dict[str, fp.PolicyEngine]
       ) -> fp.PolicyEngine:
    return uk_engines[request.param]


# -- working days: receipt time, cut-off, weekends, holidays, 调休 ---------------------------

def test_receipt_at_1659_counts_the_same_working_day(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 9, 26, 16, 59))  # Friday before National Day 2025
    assert due(engine, c, "initial_response") == eod(2025, 9, 29)  # Sun 28 is a working day


def test_receipt_at_exactly_1700_still_counts_the_same_day(engine: fp.PolicyEngine) -> None:
    assert due(engine, complaint(sh(2025, 9, 26, 17, 0)), "initial_response") == \
        eod(2025, 9, 29)


def test_receipt_at_1701_counts_from_the_next_working_day(engine: fp.PolicyEngine) -> None:
    # the next working day is Sunday 28 September (a weekend working day), then 29, 30
    assert due(engine, complaint(sh(2025, 9, 26, 17, 1)), "initial_response") == \
        eod(2025, 9, 30)


def test_receipt_on_a_weekend_counts_from_monday(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 14, 10, 0))  # Saturday
    # Monday 16 is the effective receipt day; 2 working days after it end on Wednesday 18
    assert due(engine, c, "initial_response") == eod(2025, 6, 18)


def test_receipt_on_a_holiday_counts_from_the_first_working_day_after(
        engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 10, 3, 10, 0))  # National Day holiday
    # effective receipt day Thu 9 October; then Fri 10, Sat 11 (working), Mon 13 ...
    assert due(engine, c, "initial_response") == eod(2025, 10, 11)
    assert due(engine, c, "final_response") == eod(2025, 10, 17)


def test_receipt_on_the_weekend_working_day_20250928_counts_that_day(
        engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 9, 28, 10, 0))  # Sunday, but a working day
    assert due(engine, c, "initial_response") == eod(2025, 9, 30)
    # after the cut-off on that Sunday: from Monday 29
    assert due(engine, complaint(sh(2025, 9, 28, 18, 0)), "initial_response") == \
        eod(2025, 10, 9)


def test_national_day_2025_is_skipped_by_working_days(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 9, 30, 10, 0))
    assert due(engine, c, "initial_response") == eod(2025, 10, 10)
    # 9 Oct, 10 Oct, 11 Oct (Saturday, a working day), 13 Oct, 14 Oct
    assert due(engine, c, "handling_opinion") == eod(2025, 10, 14)


def test_spring_festival_2026_working_days(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2026, 2, 13, 16, 0))  # Friday; Sat 14 is a working day, 15–23 off
    assert due(engine, c, "initial_response") == eod(2026, 2, 24)
    assert due(engine, c, "final_response") == eod(2026, 3, 2)  # 14,24,25,26,27,28(Sat),2 Mar


# -- calendar days (民法典 Art. 201, 203) ------------------------------------------------------

def test_calendar_days_do_not_count_the_start_day_and_ignore_the_cutoff(
        engine: fp.PolicyEngine) -> None:
    assert due(engine, complaint(sh(2025, 9, 15, 10, 0)), "regulatory_decision") == \
        eod(2025, 9, 30)
    assert due(engine, complaint(sh(2025, 9, 15, 23, 30)), "regulatory_decision") == \
        eod(2025, 9, 30)


def test_calendar_days_landing_on_a_holiday_move_to_the_next_working_day(
        engine: fp.PolicyEngine) -> None:
    # 16 September + 15 days = 1 October (National Day) → Thursday 9 October
    assert due(engine, complaint(sh(2025, 9, 16, 10, 0)), "regulatory_decision") == \
        eod(2025, 10, 9)
    # 2 February 2026 + 15 = 17 February (Spring Festival) → Tuesday 24 February
    assert due(engine, complaint(sh(2026, 2, 2, 10, 0)), "regulatory_decision") == \
        eod(2026, 2, 24)


def test_calendar_days_landing_on_a_weekend_move_to_monday(engine: fp.PolicyEngine) -> None:
    assert due(engine, complaint(sh(2025, 6, 6, 10, 0)), "regulatory_decision") == \
        eod(2025, 6, 23)  # 21 June is a Saturday


def test_calendar_days_landing_on_a_weekend_working_day_stay(engine: fp.PolicyEngine) -> None:
    # 13 September + 15 = 28 September, a Sunday working day
    assert due(engine, complaint(sh(2025, 9, 13, 10, 0)), "regulatory_decision") == \
        eod(2025, 9, 28)


# -- hours and time zones ------------------------------------------------------------------

def test_hours_are_plain_elapsed_time_across_holidays(engine: fp.PolicyEngine) -> None:
    assert due(engine, complaint(sh(2025, 9, 30, 22, 0)), "first_contact") == \
        sh(2025, 10, 1, 22, 0)


def test_receipt_in_another_time_zone_is_counted_in_beijing_time(
        engine: fp.PolicyEngine) -> None:
    utc = dt.UTC
    before = complaint(dt.datetime(2025, 9, 26, 8, 59, tzinfo=utc))  # 16:59 in Shanghai
    after = complaint(dt.datetime(2025, 9, 26, 9, 1, tzinfo=utc))  # 17:01 in Shanghai
    assert due(engine, before, "initial_response") == eod(2025, 9, 29)
    assert due(engine, after, "initial_response") == eod(2025, 9, 30)
    # a London evening is the next Beijing morning
    c = complaint(lon(2025, 9, 25, 20, 0))  # 03:00 on 26 September in Shanghai
    got = due(engine, c, "initial_response")
    assert got == eod(2025, 9, 29) and got is not None and got.tzinfo is not None
    assert got.utcoffset() == dt.timedelta(hours=8)


# -- pauses ---------------------------------------------------------------------------------

def test_a_pause_moves_calendar_and_working_day_deadlines_out(engine: fp.PolicyEngine) -> None:
    received = sh(2025, 6, 9, 10, 0)  # Monday
    plain = complaint(received)
    paused = complaint(received, ("mediation_started", sh(2025, 6, 11, 9, 0)),
                       ("mediation_ended", sh(2025, 6, 12, 18, 0)))
    now = sh(2025, 6, 13, 9, 0)
    assert due(engine, plain, "regulatory_decision", now) == eod(2025, 6, 24)
    assert due(engine, paused, "regulatory_decision", now) == eod(2025, 6, 26)
    assert due(engine, plain, "final_response", now) == eod(2025, 6, 18)
    assert due(engine, paused, "final_response", now) == eod(2025, 6, 20)
    # the 24-hour contact and the initial response are not pausable
    assert due(engine, paused, "initial_response", now) == eod(2025, 6, 11)
    assert due(engine, paused, "first_contact", now) == sh(2025, 6, 10, 10, 0)
    report = engine.complaint_sla(paused, as_of=now)
    assert not report.paused
    assert report.milestone("regulatory_decision").paused_seconds == 33 * 3600


def test_an_open_pause_runs_until_now(engine: fp.PolicyEngine) -> None:
    received = sh(2025, 6, 9, 10, 0)
    c = complaint(received, ("mediation_started", sh(2025, 6, 17, 9, 0)))
    early = engine.complaint_sla(c, as_of=sh(2025, 6, 18, 9, 0))
    late = engine.complaint_sla(c, as_of=sh(2025, 6, 27, 9, 0))
    assert early.paused and late.paused
    first = early.milestone("regulatory_decision").due_at
    second = late.milestone("regulatory_decision").due_at
    assert first is not None and second is not None and second > first
    assert late.milestone("regulatory_decision").status != "breached"


def test_waiting_for_the_customer_pauses_the_handbook_and_the_reply_restarts_the_rule(
        engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 9, 10, 0), ("waiting_for_customer", sh(2025, 6, 10, 10, 0)),
                  ("customer_replied", sh(2025, 6, 13, 12, 0)))
    now = sh(2025, 6, 14)
    # 5 working days from 9 June end on 16 June; the wait touched 10-13 June: 4 more
    assert due(engine, c, "handling_opinion", now) == eod(2025, 6, 20)
    # the reply on 13 June is new material: 15 days from it (Art. 18), not 15 + the wait;
    # the 15th day, Saturday 28 June, moves to Monday 30 June
    assert due(engine, c, "regulatory_decision", now) == eod(2025, 6, 30)
    report = engine.complaint_sla(c, as_of=now)
    assert report.milestone("regulatory_decision").paused_seconds == 0
    assert any("restarted" in n for n in report.milestone("regulatory_decision").notes)


def test_an_open_wait_does_not_stop_the_regulatory_clock(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 9, 10, 0), ("waiting_for_customer", sh(2025, 6, 10, 10, 0)))
    report = engine.complaint_sla(c, as_of=sh(2025, 6, 26))
    assert report.paused
    assert report.milestone("regulatory_decision").status == "breached"
    assert report.milestone("handling_opinion").status == "pending"


def test_a_decision_letter_must_state_basis_reasons_and_remedies(
        engine: fp.PolicyEngine) -> None:
    short = complaint(sh(2025, 6, 9, 10, 0),
                      ("responded", sh(2025, 6, 13, 9, 0), {"states": LETTER[:3]}))
    report = engine.complaint_sla(short, as_of=sh(2025, 6, 30))
    decision = report.milestone("regulatory_decision")
    assert decision.status == "breached" and decision.completed_at is None
    assert "did not state remedies" in decision.notes[0]
    full = complaint(sh(2025, 6, 9, 10, 0), ("responded", sh(2025, 6, 13, 9, 0)))
    assert engine.complaint_sla(full, as_of=sh(2025, 6, 30)).milestone(
        "regulatory_decision").status == "met"


def test_a_pause_after_completion_does_not_rescue_a_late_milestone(
        engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 9, 10, 0), ("opinion_issued", sh(2025, 6, 19, 10, 0)),
                  ("mediation_started", sh(2025, 6, 20, 9, 0)),
                  ("mediation_ended", sh(2025, 7, 7, 9, 0)))
    report = engine.complaint_sla(c, as_of=sh(2025, 7, 8))
    assert report.milestone("handling_opinion").status == "breached"


def test_a_resume_without_its_pause_is_an_input_error(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 9, 10, 0), ("contacted", sh(2025, 6, 9, 11, 0)),
                  ("mediation_ended", sh(2025, 6, 10, 9, 0)))
    with pytest.raises(fp.InputError) as info:
        engine.complaint_sla(c, as_of=sh(2025, 6, 11))
    assert info.value.fields == ("events.1.kind",)


# -- extensions -----------------------------------------------------------------------------

def test_extensions_take_the_decision_to_30_then_60_days(engine: fp.PolicyEngine) -> None:
    received = sh(2025, 3, 3, 10, 0)  # Monday
    base = complaint(received)
    once = complaint(received, ("extended", sh(2025, 3, 10, 10, 0)))
    approved = {"approved_by": "higher_branch", "states": ["complainant_told"]}
    twice = complaint(received, ("extended", sh(2025, 3, 10, 10, 0)),
                      ("extended_further", sh(2025, 3, 31, 10, 0), approved))
    now = sh(2025, 4, 1)
    assert due(engine, base, "regulatory_decision", now) == eod(2025, 3, 18)
    assert due(engine, once, "regulatory_decision", now) == eod(2025, 4, 2)
    # 3 March + 60 = 2 May, inside the Labour Day holiday (1–5 May) → Tuesday 6 May
    assert due(engine, twice, "regulatory_decision", now) == eod(2025, 5, 6)
    # the second extension counts only when approved higher up, with the complainant told
    for fields in ({}, {"approved_by": "handling_branch", "states": ["complainant_told"]},
                   {"approved_by": "head_office_senior_manager"}):
        unapproved = complaint(received, ("extended", sh(2025, 3, 10, 10, 0)),
                               ("extended_further", sh(2025, 3, 31, 10, 0), fields))
        assert due(engine, unapproved, "regulatory_decision", now) == eod(2025, 4, 2)
        notes = engine.complaint_sla(unapproved, as_of=now).milestone(
            "regulatory_decision").notes
        assert notes and "not counted" in notes[0]


def test_an_extension_after_the_deadline_does_not_count(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 3, 3, 10, 0), ("extended", sh(2025, 3, 20, 10, 0)))
    report = engine.complaint_sla(c, as_of=sh(2025, 3, 21))
    assert report.milestone("regulatory_decision").due_at == eod(2025, 3, 18)
    assert report.milestone("regulatory_decision").status == "breached"


def test_events_after_now_have_not_happened_yet(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 3, 3, 10, 0), ("extended", sh(2025, 3, 10, 10, 0)),
                  ("responded", sh(2025, 3, 25, 10, 0)))
    before = engine.complaint_sla(c, as_of=sh(2025, 3, 5))
    assert before.milestone("regulatory_decision").due_at == eod(2025, 3, 18)
    assert before.milestone("regulatory_decision").completed_at is None
    after = engine.complaint_sla(c, as_of=sh(2025, 3, 26))
    assert after.milestone("regulatory_decision").status == "met"


# -- statuses -------------------------------------------------------------------------------

def test_statuses_met_breached_at_risk_and_pending(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 9, 10, 0),  # Monday
                  ("contacted", sh(2025, 6, 10, 11, 0)),  # after 25 hours: late
                  ("acknowledged", sh(2025, 6, 10, 9, 0)))  # on time
    report = engine.complaint_sla(c, as_of=sh(2025, 6, 17, 12, 0))
    status = {m.name: m.status for m in report.milestones}
    assert status["first_contact"] == "breached"
    assert status["initial_response"] == "met"
    assert status["handling_opinion"] == "breached"  # due at the end of Monday 16 June
    assert status["final_response"] == "at_risk"  # due 18 June; 84 % of the time used
    assert status["written_feedback"] == "pending"  # not started: no `handled` yet
    assert status["regulatory_decision"] == "pending"
    assert report.milestone("written_feedback").due_at is None
    assert report.status == report.outcome == "breached"
    assert report.next_due == eod(2025, 6, 18)
    assert "supervisor" not in report.escalations  # final_response is not breached yet


def test_a_fully_handled_complaint_is_met(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2025, 6, 9, 10, 0), ("contacted", sh(2025, 6, 9, 11, 0)),
                  ("acknowledged", sh(2025, 6, 10, 9, 0)),
                  ("opinion_issued", sh(2025, 6, 12, 9, 0)),
                  ("responded", sh(2025, 6, 13, 9, 0)), ("handled", sh(2025, 6, 13, 9, 0)),
                  ("written_feedback_sent", sh(2025, 6, 16, 9, 0)))
    report = engine.complaint_sla(c, as_of=sh(2026, 1, 1))
    assert report.status == "met" and report.next_due is None
    assert all(m.status == "met" for m in report.milestones)
    assert report.milestone("written_feedback").due_at == eod(2025, 6, 18)


def test_breached_final_response_escalates_to_a_supervisor(engine: fp.PolicyEngine) -> None:
    report = engine.complaint_sla(complaint(sh(2025, 6, 9, 10, 0)), as_of=sh(2025, 7, 10))
    assert report.status == "breached"
    assert {"supervisor", "compliance_department"} <= set(report.escalations)


# -- rules: routing, escalation, obligations, selection -------------------------------------

@pytest.mark.parametrize(("category", "route"), [
    ("product", "product_department"), ("service", "customer_service_department"),
    ("policy", "policy_department"), ("other", "relevant_department")])
def test_major_complaints_route_to_their_category_and_general_ones_to_customer_service(
        engine: fp.PolicyEngine, category: str, route: str) -> None:
    major = complaint(sh(2025, 6, 2, 10, 0), category=category, severity="major")
    assert engine.complaint_sla(major, as_of=sh(2025, 6, 2, 12, 0)).route == route
    general = complaint(sh(2025, 6, 2, 10, 0), category=category)
    assert engine.complaint_sla(general, as_of=sh(2025, 6, 2, 12, 0)).route == \
        "customer_service_department"


def test_the_most_specific_rule_sets_the_route(engine: fp.PolicyEngine) -> None:
    urgent = complaint(sh(2025, 6, 2, 10, 0), severity="urgent", channel="regulator")
    report = engine.complaint_sla(urgent, as_of=sh(2025, 6, 2, 12, 0))
    assert report.route == "complaints_management_department"
    assert report.escalations == ("compliance_department", "senior_management")
    assert "report_to_regulator" in report.obligations
    assert "urgent-via-regulator" in report.rule_ids
    by_phone = complaint(sh(2025, 6, 2, 10, 0), severity="urgent")
    assert engine.complaint_sla(by_phone, as_of=sh(2025, 6, 3)).route == \
        "customer_service_department"


def test_escalations_add_up_over_severity_and_flags(engine: fp.PolicyEngine) -> None:
    general = engine.complaint_sla(complaint(sh(2025, 6, 2, 10, 0)), as_of=sh(2025, 6, 2, 12))
    assert general.escalations == ()
    major = complaint(sh(2025, 6, 2, 10, 0), severity="major", flags=["complex", "repeat"])
    report = engine.complaint_sla(major, as_of=sh(2025, 6, 2, 12))
    assert report.escalations == ("senior_management", "supervisor")
    assert {"consider_external_mediation", "root_cause_review", "archive_complaint",
            "staff_corrective_training"} <= set(report.obligations)


def test_payment_complaints_get_15_business_days_or_35_with_a_holding_reply(
        uk: fp.PolicyEngine) -> None:
    received = lon(2025, 4, 16, 11, 0)  # Wednesday before Easter 2025
    plain = complaint(received, category="product")
    payment = complaint(received, category="product", flags=["payment_services"])
    held = complaint(received, ("holding_reply_sent", lon(2025, 5, 1, 10, 0)),
                     category="product", flags=["payment_services"])
    late = complaint(received, ("holding_reply_sent", lon(2025, 5, 13, 10, 0)),
                     category="product", flags=["payment_services"])
    now = lon(2025, 5, 20, 9, 0)
    assert due(uk, plain, "final_response", now) == eod(2025, 6, 11, LON)  # 8 weeks
    assert due(uk, payment, "final_response", now) == eod(2025, 5, 12, LON)
    assert due(uk, held, "final_response", now) == eod(2025, 6, 10, LON)
    assert due(uk, late, "final_response", now) == eod(2025, 5, 12, LON)
    assert due(uk, plain, "summary_resolution", now) == eod(2025, 4, 23, LON)
    report = uk.complaint_sla(payment, as_of=now)
    assert "payment-services-complaint" in report.rule_ids
    assert report.milestone("final_response").allowed.startswith("15 working days")


def test_uk_eight_weeks_end_on_the_same_weekday_without_moving(uk: fp.PolicyEngine) -> None:
    c = complaint(lon(2025, 4, 19, 10, 0))  # Saturday
    assert due(uk, c, "final_response") == eod(2025, 6, 14, LON)  # a Saturday: not moved


def test_a_missed_summary_resolution_does_not_breach_the_complaint(
        uk: fp.PolicyEngine) -> None:
    c = complaint(lon(2025, 4, 16, 11, 0), ("acknowledged", lon(2025, 4, 16, 12, 0)))
    report = uk.complaint_sla(c, as_of=lon(2025, 5, 1, 9, 0))
    assert report.milestone("summary_resolution").status == "breached"
    assert report.status == "pending"
    assert report.escalations == ()


def test_rules_selecting_milestones_are_honoured(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    file = pack / "complaints.yaml"
    text = file.read_text(encoding="utf-8")
    text += """    - id: regulator-decision-only
      when:
        all:
          - {field: complaint.channel, eq: regulator}
          - {field: complaint.category, ne: inquiry}
      milestones: [first_contact, regulatory_decision]
      durations:
        first_contact: {amount: 4, unit: hours}
      reason: Complaints forwarded by the regulator are tracked against the decision only.
      cite: cbirc-2020-3 Art. 18
"""
    file.write_text(text, encoding="utf-8")
    bundle = fp.load_bundle(pack)
    for name in ("compiled", "durable"):
        engine = fp.PolicyEngine(bundle, engine=name)
        c = complaint(sh(2025, 6, 2, 10, 0), channel="regulator")
        report = engine.complaint_sla(c, as_of=sh(2025, 6, 2, 12))
        assert [m.name for m in report.milestones] == ["first_contact", "regulatory_decision"]
        assert report.milestone("first_contact").due_at == sh(2025, 6, 2, 14, 0)
        phone = engine.complaint_sla(complaint(sh(2025, 6, 2, 10, 0)), as_of=sh(2025, 6, 2, 12))
        assert len(phone.milestones) == 6


def test_policy_problems_are_reported_with_their_paths(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    file = pack / "complaints.yaml"
    text = file.read_text(encoding="utf-8")
    text = text.replace("completed_by: [opinion_issued]", "completed_by: [opinion_isued]")
    text = text.replace("cite: seed-002 §3.1", "cite: seed-099 §3.1")
    text = text.replace("{field: complaint.flags, contains: repeat}",
                        "{field: complaint.flag, contains: repeat}")
    file.write_text(text, encoding="utf-8")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    paths = {p.path for p in info.value.problems}
    assert "spec.milestones[2].completed_by[0]" in paths
    assert any(p.startswith("spec.rules[2].cite") for p in paths)
    assert any(p.startswith("spec.rules[7].when") for p in paths)
    assert all(p.line is not None for p in info.value.problems)


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"category": "fees"}, "category"),
    ({"severity": "critical"}, "severity"),
    ({"channel": "fax"}, "channel"),
    ({"flags": ["complex", "vip"]}, "flags.1"),
    ({"received_at": "2025-06-02T10:00:00"}, "received_at"),
    ({"events": [{"kind": "contacted", "at": "2025-06-02T11:00:00"}]}, "events.0.at"),
    ({"events": [{"kind": "called", "at": "2025-06-02T11:00:00+08:00"}]}, "events.0.kind"),
    ({"events": [{"kind": "contacted", "at": "2025-06-02T11:00:00+08:00"},
                 {"kind": "contacted", "at": "2025-06-01T11:00:00+08:00"}]}, "events.1.at"),
    ({"id": ""}, "id"),
])
def test_bad_input_raises_input_error_naming_the_field(engine: fp.PolicyEngine,
                                                       change: dict[str, Any],
                                                       field: str) -> None:
    data = {"id": "c1", "received_at": "2025-06-02T10:00:00+08:00", "channel": "phone",
            "category": "service", **change}
    with pytest.raises(fp.InputError) as info:
        engine.complaint_sla(data, as_of=sh(2025, 6, 3))
    assert info.value.fields[0] == field, info.value


def test_a_naive_now_is_an_input_error(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError) as info:
        engine.complaint_sla(complaint(sh(2025, 6, 2, 10)), as_of=dt.datetime(2025, 6, 3))
    assert info.value.fields == ("as_of",)


def test_batch_errors_name_the_complaint(engine: fp.PolicyEngine) -> None:
    good = complaint(sh(2025, 6, 2, 10))
    bad = {"id": "c2", "received_at": "2025-06-02T10:00:00+08:00", "channel": "phone",
           "category": "fees"}
    with pytest.raises(fp.InputError) as info:
        engine.complaint_sla_batch([good, bad], as_of=sh(2025, 6, 3))
    assert info.value.fields == ("complaints.1.category",)
    with pytest.raises(fp.InputError):
        engine.complaint_sla_batch(good, as_of=sh(2025, 6, 3))  # type: ignore[arg-type]


def test_no_policy_in_force_before_2020_03_01(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.NotInForceError):
        engine.complaint_sla(complaint(sh(2019, 6, 2, 10)), as_of=sh(2019, 6, 3))


# -- engines, batches, serialisation --------------------------------------------------------

def _examples(pack: Path) -> list[dict[str, Any]]:
    import yaml

    return yaml.safe_load((pack / "examples" / "complaints.yaml").read_text(encoding="utf-8"))[
        "cases"]


def _same(a: fp.SlaDecision, b: fp.SlaDecision) -> bool:
    return attrs.evolve(a, engine=b.engine) == b


def test_both_engines_agree_on_the_examples(engines: dict[str, fp.PolicyEngine],
                                            uk_engines: dict[str, fp.PolicyEngine]) -> None:
    for pack, pair in ((PACK, engines), (UK_PACK, uk_engines)):
        for case in _examples(pack):
            when = dt.datetime.fromisoformat(case["as_of"])
            a = evaluate_input(pair["compiled"], case["input"], as_of=when)
            b = evaluate_input(pair["durable"], case["input"], as_of=when)
            assert len(a) == len(b) == 1
            assert _same(a[0], b[0]), case["name"]
            assert a[0].engine == "compiled" and b[0].engine == "durable"


def test_batch_equals_one_by_one_and_to_dict_is_json(engine: fp.PolicyEngine) -> None:
    rng = random.Random(7)
    complaints = [_random_complaint(rng, i) for i in range(200)]
    now = sh(2025, 11, 1, 9)
    batch = engine.complaint_sla_batch(complaints, as_of=now)
    assert [r.complaint_id for r in batch] == [c["id"] for c in complaints]
    for c, r in zip(complaints, batch, strict=True):
        assert engine.complaint_sla(c, as_of=now) == r
    json.dumps(batch[0].to_dict())
    assert batch[0].to_dict()["milestones"][0]["name"] == "first_contact"
    assert "because" in batch[0].explain() or "no rule matched" in batch[0].explain()


def test_evaluate_input_accepts_as_of_inside_the_data(engine: fp.PolicyEngine) -> None:
    data = {"as_of": "2025-06-03T09:00:00+08:00",
            "complaints": [{"id": "a", "received_at": "2025-06-02T10:00:00+08:00",
                            "channel": "phone", "category": "product"}]}
    (report,) = evaluate_input(engine, data)
    assert report.as_of == sh(2025, 6, 3, 9)
    with pytest.raises(fp.InputError):
        evaluate_input(engine, {"complaint": {}, "extra": 1})


def test_public_names_are_exported() -> None:
    assert fp.Complaint.__module__.startswith("finpolicy.domains.complaints")
    assert issubclass(fp.SlaDecision, fp.Decision)
    assert fp.ComplaintEvent(kind="x", at=sh(2025, 1, 1)).kind == "x"


# -- CLI and timeline -----------------------------------------------------------------------

CHANNELS = ("phone", "branch", "online", "letter", "regulator")
CATEGORIES = ("product", "service", "policy", "other")
SEVERITIES = ("general", "major", "urgent")
BASE = sh(2025, 9, 1)


def _random_complaint(rng: random.Random, i: int) -> dict[str, Any]:
    received = BASE + dt.timedelta(minutes=rng.randrange(60 * 24 * 60))
    events = []
    for kind, chance, hours in (("contacted", 0.8, 40), ("acknowledged", 0.7, 80),
                                ("opinion_issued", 0.5, 200), ("responded", 0.5, 400),
                                ("extended", 0.1, 300)):
        if rng.random() < chance:
            events.append({"kind": kind, "at": (received + dt.timedelta(
                hours=rng.randrange(1, hours))).isoformat()})
            if kind == "responded":
                events[-1]["states"] = LETTER
    return {"id": f"c{i}", "received_at": received.isoformat(),
            "channel": rng.choice(CHANNELS), "category": rng.choice(CATEGORIES),
            "severity": rng.choice(SEVERITIES), "events": events}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    rng = random.Random(2025)
    rows = [_random_complaint(rng, i) for i in range(100_000)]
    path = tmp_path_factory.mktemp("sla") / "complaints.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, rows


def _independent_statuses(row: dict[str, Any], now: dt.datetime) -> dict[str, str]:
    """An independent count: the cn-banking deadlines recomputed from the calendar's
    primitives (no rules, no caches; the generated data has no pauses)."""
    cal = _calendar()
    received = dt.datetime.fromisoformat(row["received_at"])
    done = {e["kind"]: dt.datetime.fromisoformat(e["at"]) for e in row["events"]
            if dt.datetime.fromisoformat(e["at"]) <= now}
    receipt = cal.effective_receipt_day(received)
    decision = cal.calendar_days_deadline(received, 15)
    extended, responded = done.get("extended"), done.get("responded")
    if extended is not None and extended <= decision and (responded is None
                                                          or extended <= responded):
        decision = cal.calendar_days_deadline(received, 30)
    checks = {
        "first_contact": ("contacted", received + dt.timedelta(hours=24), 0.75),
        "initial_response": ("acknowledged",
                             cal.end_of_day(cal.add_working_days(receipt, 2)), 0.8),
        "handling_opinion": ("opinion_issued",
                             cal.end_of_day(cal.add_working_days(receipt, 5)), 0.8),
        "final_response": ("responded", cal.end_of_day(cal.add_working_days(receipt, 7)), 0.8),
        "regulatory_decision": ("responded", decision, 0.8),
    }
    out = {}
    for name, (event, deadline, risk) in checks.items():
        at = done.get(event)
        if at is not None:
            out[name] = "met" if at <= deadline else "breached"
        elif now > deadline:
            out[name] = "breached"
        elif (now - received) / (deadline - received) >= risk:
            out[name] = "at_risk"
        else:
            out[name] = "pending"
    out["written_feedback"] = "pending"  # never starts: the data has no `handled` event
    order = ("met", "pending", "at_risk", "breached")
    out["overall"] = max(out.values(), key=order.index)
    return out


@functools.cache
def _calendar() -> WorkingCalendar:
    return WorkingCalendar("CN", None, "Asia/Shanghai", dt.time(17, 0))


@pytest.mark.slow
def test_sla_command_on_100000_complaints_counts_statuses_correctly(
        big_file: tuple[Path, list[dict[str, Any]]]) -> None:
    path, rows = big_file
    now_text = "2025-11-01T09:00:00+08:00"
    result = CliRunner().invoke(main, ["sla", str(path), "--as-of", now_text, "--json",
                                       "--top", "5"])
    assert result.exit_code == 0, result.output[-2000:]
    data = json.loads(result.output)
    now = dt.datetime.fromisoformat(now_text)
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        for name, status in _independent_statuses(row, now).items():
            counts.setdefault(name, Counter())[status] += 1
    statuses = ("met", "pending", "at_risk", "breached")
    assert data["total"] == 100_000
    assert data["status"] == {s: counts["overall"][s] for s in statuses}
    for name, got in data["milestones"].items():
        assert got == {s: counts[name][s] for s in statuses}, name
    assert len(data["milestones"]) == 6
    assert counts["regulatory_decision"]["at_risk"] > 0  # the data reaches every status
    assert len(data["nearest_breach"]) == 5
    hours = [n["hours_left"] for n in data["nearest_breach"]]
    assert hours == sorted(hours) and hours[0] > 0


def test_sla_command_reads_csv_prints_tables_and_draws_a_timeline(tmp_path: Path) -> None:
    path = tmp_path / "complaints.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "received_at", "channel", "category", "severity", "flags",
                         "contacted", "events"])
        writer.writerow(["a1", "2025-09-26T16:59:00+08:00", "phone", "service", "general", "",
                         "2025-09-27T10:00:00+08:00", "acknowledged@2025-09-28T11:00:00+08:00"])
        writer.writerow(["a2", "2025-09-30T10:00:00+08:00", "branch", "product", "major",
                         "complex;repeat", "", ""])
    svg = tmp_path / "a1.svg"
    result = CliRunner().invoke(main, ["sla", str(path), "--as-of", "2025-10-10T09:00+08:00",
                                       "--timeline", "a1", "-o", str(svg)])
    assert result.exit_code == 0, result.output
    assert "Complaints by status" in result.output and "Nearest breach" in result.output
    assert "first_contact" in result.output
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")
    text = svg.read_text(encoding="utf-8")
    assert text.count('class="day-off"') >= 8  # National Day and the weekends
    assert 'class="milestone met"' in text and 'class="now"' in text


def test_sla_command_names_the_line_of_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"id": "a", "received_at": "2025-06-02T10:00:00+08:00", "channel": "phone",
            "category": "service"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "category": "fees"}) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["sla", str(path), "--as-of", "2025-06-03T10:00+08:00"])
    assert result.exit_code == 3
    assert "line 2" in result.output and "category" in result.output


def test_timeline_svg_shades_spring_festival(engine: fp.PolicyEngine) -> None:
    c = complaint(sh(2026, 2, 13, 16, 0), ("contacted", sh(2026, 2, 13, 18, 0)))
    svg = timeline_svg(engine, c, as_of=sh(2026, 2, 25, 9, 0))
    ET.fromstring(svg)
    assert svg.count('class="day-off"') >= 9
    assert "2026-02-16 not a working day" in svg and "2026-02-14 not a working day" not in svg


@pytest.mark.parametrize("output", ["/proc/version", "FILE/a1.svg"])
def test_sla_refuses_a_timeline_output_it_cannot_write(tmp_path: Path, output: str) -> None:
    if output.startswith("/proc") and not Path(output).exists():
        pytest.skip("no /proc here")
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a1", "received_at": "2025-09-26T16:59:00+08:00",
                                "channel": "phone", "category": "service"}) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["sla", str(path), "--as-of", "2025-10-10T09:00+08:00",
                                       "--timeline", "a1", "-o",
                                       output.replace("FILE", str(path))])
    assert result.exit_code == 3, result.output  # /proc/version: an OSError traceback
    assert "error: --output: " in result.stderr and "cannot be written" in result.stderr
