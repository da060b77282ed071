"""Complaint policies: service targets over many cases (the satisfaction target and its other
reading), and the build-time checks of contents, approvers, restarts, windows and grading."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.domains.complaints import complaint_targets

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 12, 1, 9, 0, tzinfo=SH)
PACK = shipped_packs() / "cn-banking"


def _surveyed(i: int, answer: str | None) -> dict[str, Any]:
    received = dt.datetime(2025, 11, 3, 9, 0, tzinfo=SH) + dt.timedelta(hours=i)
    events = [] if answer is None else [
        {"kind": "satisfaction_surveyed", "at": (received + dt.timedelta(days=10)).isoformat(),
         "states": [answer]}]
    return {"id": f"c{i}", "received_at": received.isoformat(), "channel": "phone",
            "category": "service", "events": events}


def _book(satisfied: int, dissatisfied: int, unsurveyed: int = 3) -> list[dict[str, Any]]:
    answers = ["satisfied"] * satisfied + ["dissatisfied"] * dissatisfied + [None] * unsurveyed
    return [_surveyed(i, a) for i, a in enumerate(answers)]


@pytest.mark.parametrize(("satisfied", "met"), [(9, True), (8, False)])
def test_satisfaction_of_90_percent_of_those_surveyed_is_the_target(
        engine: fp.PolicyEngine, satisfied: int, met: bool) -> None:
    (result,) = complaint_targets(engine, _book(satisfied, 10 - satisfied), as_of=NOW)
    assert (result.name, result.at_least, result.counted) == ("satisfaction", 0.9, 10)
    assert result.stating == satisfied and result.met is met
    assert result.cite.startswith("seed-000 §8.1.1")
    assert ("met" if met else "missed") in result.describe()


def test_a_later_answer_replaces_an_earlier_one_and_future_answers_do_not_count(
        engine: fp.PolicyEngine) -> None:
    case = _surveyed(0, "dissatisfied")
    case["events"].append({"kind": "satisfaction_surveyed", "at": "2025-11-20T09:00:00+08:00",
                           "states": ["satisfied"]})
    later = _surveyed(1, "satisfied")
    later["events"][0]["at"] = "2026-01-05T09:00:00+08:00"  # after `now`: not yet answered
    (result,) = complaint_targets(engine, [case, later], as_of=NOW)
    assert (result.counted, result.stating, result.share) == (1, 1, 1.0)


def test_nothing_surveyed_measures_nothing(engine: fp.PolicyEngine) -> None:
    (result,) = complaint_targets(engine, _book(0, 0), as_of=NOW)
    assert result.counted == 0 and result.share is None and result.met is None


def test_the_other_reading_of_the_satisfaction_target_is_one_line(tmp_path: Path) -> None:
    """seed 002 §6.1 asks for 85 %: with that one line 17 of 20 meets the target."""
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    file = pack / "complaints.yaml"
    text = file.read_text(encoding="utf-8")
    assert text.count("      at_least: 0.90\n") == 1
    file.write_text(text.replace("      at_least: 0.90\n", "      at_least: 0.85\n"),
                    encoding="utf-8")
    book = _book(17, 3)
    (shipped,) = complaint_targets(fp.PolicyEngine(), book, as_of=NOW)
    assert shipped.share == 0.85 and not shipped.met
    (result,) = complaint_targets(fp.PolicyEngine(fp.load_bundle(pack)), book, as_of=NOW)
    assert result.at_least == 0.85 and result.met


def test_targets_reject_bad_input(engine: fp.PolicyEngine) -> None:
    with pytest.raises(fp.InputError):
        complaint_targets(engine, _book(1, 0), as_of="2025-12-01T09:00")
    with pytest.raises(fp.InputError):
        complaint_targets(engine, {"id": "c1"}, as_of=NOW)
    bad = _surveyed(0, "satisfied")
    bad["events"][0]["kind"] = "survey"
    with pytest.raises(fp.InputError) as info:
        complaint_targets(engine, [bad], as_of=NOW)
    assert info.value.fields == ("complaints.0.events.0.kind",)


def _problems(tmp_path: Path, old: str, new: str) -> set[str]:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    file = pack / "complaints.yaml"
    text = file.read_text(encoding="utf-8")
    assert old in text, old
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(fp.PolicyError) as info:
        fp.load_bundle(pack)
    return {f"{p.code} {p.path}" for p in info.value.problems}


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("requires: [verification, basis, reasons, remedies]",
     "requires: [verification, basis, reasons, remedys]", "unknown_content"),
    ("approved_by: [higher_branch, head_office_senior_manager]",
     "approved_by: [higher_branch, head_office]", "unknown_approver"),
    ("restarted_by: [customer_replied, new_material]",
     "restarted_by: [customer_replied, new_materials]", "unknown_event"),
    ("paused_by: [appraisal_started, mediation_started]",
     "paused_by: [appraisal_started, appraisal_finished]", "unknown_pause"),
    ("starts_within: {after: responded,", "starts_within: {after: decided,", "unknown_event"),
    ("      starts: review_requested\n", "", "bad_conditional"),
    ("stating: satisfied", "stating: happy", "unknown_content"),
    ("against: dissatisfied", "against: unhappy", "unknown_content"),
    ("against: dissatisfied", "against: satisfied", "bad_target"),
    ("archive_complaint: {years: 3,", "archive_complaints: {years: 3,", "unknown_obligation"),
    ("      requires: [complainant_told]\n      reason: Time spent on external",
     "      requires: [complainant_tld]\n      reason: Time spent on external",
     "unknown_content"),  # a pause's requires
    ("after: extended ", "after: extended_furthr ", "bad_extension"),
    ("after: extended ", "after: extended_further ", "bad_extension"),  # itself: not shorter
    ("cite: pboc-2020-5 Art. 44}", "cite: pboc-2020-6 Art. 44}", "unknown_source"),
    ("- {severity: major, at_least: {harm: serious,",
     "- {severity: major, at_least: {harm: grave,", "unknown_criterion"),
])
def test_a_policy_naming_what_it_does_not_declare_is_rejected(
        tmp_path: Path, old: str, new: str, problem: str) -> None:
    problems = _problems(tmp_path, old, new)
    assert any(p.startswith(problem) for p in problems), problems


def test_targets_refuse_what_complaint_sla_refuses_in_the_events_they_read(
        engine: fp.PolicyEngine) -> None:
    """An answer stating `satisfied ` (a trailing space) counted as dissatisfied, and one
    dated before the complaint was received counted: complaint_sla refuses both."""
    padded = _surveyed(0, "satisfied ")
    with pytest.raises(fp.InputError) as info:
        complaint_targets(engine, [_surveyed(1, "satisfied"), padded], as_of=NOW)
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("complaints.1.events.0.states.0", "unknown_content")]
    early = _surveyed(0, "satisfied")
    early["events"][0]["at"] = "2025-11-01T09:00:00+08:00"
    with pytest.raises(fp.InputError) as info:
        complaint_targets(engine, [early], as_of=NOW)
    assert [(p.path, p.code) for p in info.value.problems] == [
        ("complaints.0.events.0.at", "before_receipt")]


def test_a_survey_event_stating_no_answer_is_refused_not_counted_as_dissatisfied(
        engine: fp.PolicyEngine) -> None:
    """Nine satisfied answers and one survey event stating no answer read 90 %, the event
    counted as dissatisfied; it is refused naming it (the target names both answers)."""
    book = _book(9, 0, unsurveyed=0)
    book.append(_surveyed(9, "satisfied"))
    book[9]["events"][0]["states"] = ["complainant_told"]
    with pytest.raises(fp.InputError) as info:
        complaint_targets(engine, book, as_of=NOW)
    [problem] = info.value.problems
    assert (problem.path, problem.code) == ("complaints.9.events.0.states", "unanswered")
    assert "neither `satisfied` nor `dissatisfied`" in problem.message
    # the SLA does not read the answer: the event is taken as recorded there
    assert engine.complaint_sla(book[9], as_of=NOW).complaint_id == "c9"
