"""A review decision is of a review someone asked for (CBIRC 2020 No. 3 Art. 20): a
``review_decided`` before any ``review_requested`` is refused naming the event, on every
route, as a request before any decision is (``early_start``). It was ignored with no note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.domains.complaints.strategies import complaints

RECEIVED = "2026-03-02T10:00:00+08:00"
DECIDED = "2026-03-03T10:00:00+08:00"
REVIEWED = "2026-03-04T10:00:00+08:00"
ASKED = "2026-03-05T10:00:00+08:00"
AS_OF = "2026-03-10T10:00:00+08:00"
BASE = {"received_at": RECEIVED, "channel": "phone", "category": "service"}
OK = {**BASE, "id": "ok"}
UNASKED = {**BASE, "id": "unasked", "events": [{"kind": "responded", "at": DECIDED},
                                               {"kind": "review_decided", "at": REVIEWED}]}
ENGINE = fp.PolicyEngine()


def _refused(problem: fp.InputProblem, path: str) -> None:
    assert (problem.path, problem.code) == (path, "early_completion")
    assert "`review_decided`" in problem.message and REVIEWED in problem.message
    assert "`review_requested`" in problem.message


def test_the_api_refuses_a_review_decided_with_no_review_requested() -> None:
    with pytest.raises(fp.InputError) as one:
        ENGINE.complaint_sla(UNASKED, as_of=AS_OF)
    _refused(one.value.problems[0], "events.1.at")
    with pytest.raises(fp.InputError) as many:
        ENGINE.complaint_sla_batch([OK, UNASKED], as_of=AS_OF)
    _refused(many.value.problems[0], "complaints.1.events.1.at")
    # a request recorded only after the decision does not make it right, at any as_of
    later = {**UNASKED, "events": [*UNASKED["events"], {"kind": "review_requested",
                                                          "at": ASKED}]}
    for as_of in (REVIEWED, AS_OF):
        with pytest.raises(fp.InputError, match="comes before any `review_requested`"):
            ENGINE.complaint_sla(later, as_of=as_of)


def test_a_review_decided_at_or_after_the_request_completes_the_review() -> None:
    for decided in (REVIEWED, "2026-03-06T10:00:00+08:00"):  # at the same instant, or later
        reviewed = {**BASE, "id": "fine", "events": [
            {"kind": "responded", "at": DECIDED}, {"kind": "review_requested", "at": REVIEWED},
            {"kind": "review_decided", "at": decided}]}
        review = ENGINE.complaint_sla(reviewed, as_of=AS_OF).milestone("review_decision")
        assert review.status == "met"


def test_tables_name_the_row_or_the_event_line() -> None:
    pa = pytest.importorskip("pyarrow")
    wide = pa.table({"id": ["ok", "unasked"], "received_at": [RECEIVED] * 2,
                     "channel": ["phone"] * 2, "category": ["service"] * 2,
                     "responded": [None, DECIDED], "review_decided": [None, REVIEWED]})
    with pytest.raises(fp.InputError) as caught:
        ENGINE.evaluate_table("complaints", wide, as_of=AS_OF)
    problem = caught.value.problems[0]
    assert (problem.line, problem.path, problem.code) == (2, "review_decided",
                                                          "early_completion")
    long = pa.table({"complaint_id": ["unasked", "unasked"],
                     "kind": ["responded", "review_decided"], "at": [DECIDED, REVIEWED]})
    with pytest.raises(fp.InputError) as caught:
        ENGINE.evaluate_table("complaints", wide.drop_columns(["responded", "review_decided"]),
                              as_of=AS_OF, events=long)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.path, problem.code) == (
        "events", 2, "at", "early_completion")


def test_finpolicy_sla_refuses_it_at_its_line(tmp_path: Path) -> None:
    book = tmp_path / "book.jsonl"
    book.write_text(json.dumps(OK) + "\n" + json.dumps(UNASKED) + "\n")
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of", AS_OF])
    assert result.exit_code == 3, result.output
    assert "book.jsonl line 2: events.1.at: `review_decided`" in result.output


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(complaints())
def test_generated_complaints_decide_a_review_only_after_its_request(
        complaint: fp.Complaint) -> None:
    kinds = {e.kind: e.at for e in complaint.events}
    if "review_decided" in kinds:
        assert kinds["review_requested"] <= kinds["review_decided"]
    ENGINE.complaint_sla(complaint, as_of=complaint.received_at)
