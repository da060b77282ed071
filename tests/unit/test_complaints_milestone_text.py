"""What a report and its explanation say about each milestone's deadline: the time allowed
that applied (after an extension, the extended period, not the policy's whole list), and
what the deadline was counted from (receipt, a restart on new material, paused days left
out)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import finpolicy as fp

SH = ZoneInfo("Asia/Shanghai")
ENGINE = fp.PolicyEngine()


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def complaint(*events: fp.ComplaintEvent) -> fp.Complaint:
    return fp.Complaint(id="c1", received_at=sh(2025, 3, 3, 10), channel="phone",
                        category="product", events=list(events))


def test_allowed_names_the_extension_that_applied() -> None:
    further = fp.ComplaintEvent(kind="extended_further", at=sh(2025, 3, 25, 10),
                                approved_by="higher_branch", states=["complainant_told"])
    c = complaint(fp.ComplaintEvent(kind="extended", at=sh(2025, 3, 10, 10)), further)
    m = ENGINE.complaint_sla(c, as_of=sh(2025, 4, 10)).milestone("regulatory_decision")
    # 60 days from 3 March end on Friday 2 May, a Labour Day holiday: Tuesday 6 May
    assert m.due_at == dt.datetime(2025, 5, 6, 23, 59, 59, 999999, tzinfo=SH)
    assert m.allowed == "60 calendar days, extended by `extended_further`"
    once = ENGINE.complaint_sla(complaint(fp.ComplaintEvent(kind="extended",
                                                            at=sh(2025, 3, 10, 10))),
                                as_of=sh(2025, 3, 20)).milestone("regulatory_decision")
    assert once.allowed == "30 calendar days, extended by `extended`"
    assert "60 after `extended_further`" in ENGINE.complaint_sla(
        complaint(), as_of=sh(2025, 3, 5)).milestone("regulatory_decision").allowed


def _note(c: fp.Complaint, now: dt.datetime, name: str) -> str:
    explanation = ENGINE.explain("complaint_sla", c, as_of=now)
    return next(o.note for o in explanation.why_not if o.id == name)


def test_the_explanation_counts_from_the_restart_and_leaves_out_paused_days() -> None:
    c = complaint(fp.ComplaintEvent(kind="mediation_started", at=sh(2025, 3, 10, 11)),
                  fp.ComplaintEvent(kind="mediation_ended", at=sh(2025, 3, 12, 11)),
                  fp.ComplaintEvent(kind="new_material", at=sh(2025, 3, 14, 10)))
    now = sh(2025, 3, 27, 12)
    # 15 days from 14 March end on Saturday 29 March: Monday 31 March
    assert _note(c, now, "regulatory_decision") == (
        "due 2025-03-31 23:59 +08:00 (15 calendar days, 30 after `extended`, 60 after "
        "`extended_further`; counted from the restart at 2025-03-14 10:00 +08:00)")
    # 7 working days from 3 March, 10-12 March paused: 17 March
    assert _note(c, now, "final_response") == (
        "due 2025-03-17 23:59 +08:00 (7 working days; counted from receipt, paused days not "
        "counted)")


def test_a_missed_decision_is_answered_with_one_letter_stating_everything() -> None:
    # no decision by the handbook's 12 March nor the rule's 18 March: one `responded` that
    # states the Art. 19 contents and the handbook's cause, measures and improvements meets
    # both, where two letters, each stating half, were suggested
    explanation = ENGINE.explain("complaint_sla", complaint(), as_of=sh(2025, 3, 25, 12))
    first = explanation.suggestions[0]
    letters = [c.value for c in first.changes if c.value["kind"] == "responded"]
    assert len(letters) == 1, first.text
    assert set(letters[0]["states"]) == {"verification", "basis", "reasons", "remedies",
                                         "cause", "measures", "improvements"}
    assert letters[0]["at"] == "2025-03-12T23:59:59.999999+08:00"


def test_a_long_appraisal_does_not_put_a_barely_started_milestone_at_risk() -> None:
    # one day of the 15 counted (4 March) before an appraisal, complainant told, that is
    # still open on 20 May: the clock stood still, so the decision is not at risk
    c = complaint(fp.ComplaintEvent(kind="contacted", at=sh(2025, 3, 3, 11)),
                  fp.ComplaintEvent(kind="acknowledged", at=sh(2025, 3, 4, 11)),
                  fp.ComplaintEvent(kind="appraisal_started", at=sh(2025, 3, 5, 10),
                                    states=["complainant_told"]))
    report = ENGINE.complaint_sla(c, as_of=sh(2025, 5, 20, 12))
    assert report.paused
    assert report.milestone("regulatory_decision").status == "pending"
    assert report.milestone("handling_opinion").status == "pending"
    assert report.status == "pending"
    # once the appraisal ends, the days counted again bring it at risk as before
    done = c.model_copy(update={"events": [*c.events, fp.ComplaintEvent(
        kind="appraisal_finished", at=sh(2025, 5, 20, 12))]})
    late = ENGINE.complaint_sla(done, as_of=sh(2025, 6, 1, 12))
    assert late.milestone("regulatory_decision").status == "at_risk"


def test_an_open_milestone_says_by_when_it_was_not_recorded_with_the_offset() -> None:
    # it said "not recorded by 2025-03-27 12:00 +0800" beside "due ... +08:00"
    explanation = ENGINE.explain("complaint_sla", complaint(), as_of=sh(2025, 3, 7, 12))
    (clause,) = next(o for o in explanation.why_not if o.id == "final_response").conditions
    assert clause.saw == "not recorded by 2025-03-07 12:00 +08:00"
