"""A review by a higher level is of a decision (CBIRC 2020 No. 3 Art. 20: asked for within 30
days of it): a ``review_requested`` before any ``responded`` is refused naming the event, on
every route. It was left out with no note, as if the request had never been made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.serve import Service, create_app

RECEIVED = "2026-03-02T10:00:00+08:00"
ASKED = "2026-03-03T10:00:00+08:00"
DECIDED = "2026-03-04T10:00:00+08:00"
AS_OF = "2026-03-10T10:00:00+08:00"
BASE = {"received_at": RECEIVED, "channel": "phone", "category": "service"}
OK = {**BASE, "id": "ok"}
EARLY = {**BASE, "id": "early", "events": [{"kind": "contacted", "at": RECEIVED},
                                           {"kind": "review_requested", "at": ASKED}]}


def _refused(problem: fp.InputProblem, path: str) -> None:
    assert (problem.path, problem.code) == (path, "early_start")
    assert "`review_requested`" in problem.message and ASKED in problem.message
    assert "`responded`" in problem.message


def test_the_api_refuses_a_review_requested_before_any_decision() -> None:
    engine = fp.PolicyEngine()
    with pytest.raises(fp.InputError) as one:
        engine.complaint_sla(EARLY, as_of=AS_OF)
    _refused(one.value.problems[0], "events.1.at")
    with pytest.raises(fp.InputError) as many:
        engine.complaint_sla_batch([OK, EARLY], as_of=AS_OF)
    _refused(many.value.problems[0], "complaints.1.events.1.at")
    # the decision that comes only later does not make the request right, at any as_of
    later = {**EARLY, "events": [*EARLY["events"], {"kind": "responded", "at": DECIDED}]}
    for as_of in (ASKED, AS_OF):
        with pytest.raises(fp.InputError, match="early_start|comes before any"):
            engine.complaint_sla(later, as_of=as_of)


def test_a_review_requested_after_the_decision_starts_the_review() -> None:
    engine = fp.PolicyEngine()
    for asked in (DECIDED, "2026-03-05T10:00:00+08:00"):  # at the same instant, or later
        asking = {**BASE, "id": "fine", "events": [{"kind": "responded", "at": DECIDED},
                                                   {"kind": "review_requested", "at": asked}]}
        review = engine.complaint_sla(asking, as_of=AS_OF).milestone("review_decision")
        assert review.status == "pending" and review.due_at is not None


def test_tables_name_the_row_or_the_event_line() -> None:
    pa = pytest.importorskip("pyarrow")
    engine = fp.PolicyEngine()
    wide = pa.table({"id": ["ok", "early"], "received_at": [RECEIVED] * 2,
                     "channel": ["phone"] * 2, "category": ["service"] * 2,
                     "review_requested": [None, ASKED]})
    with pytest.raises(fp.InputError) as caught:
        engine.evaluate_table("complaints", wide, as_of=AS_OF)
    problem = caught.value.problems[0]
    assert (problem.line, problem.path, problem.code) == (2, "review_requested", "early_start")
    # long form: the decision after the request, the request still before any decision
    long = pa.table({"complaint_id": ["early", "early"],
                     "kind": ["review_requested", "responded"], "at": [ASKED, DECIDED]})
    with pytest.raises(fp.InputError) as caught:
        engine.evaluate_table("complaints", wide.drop_columns(["review_requested"]),
                              as_of=ASKED, events=long)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.path, problem.code) == (
        "events", 1, "at", "early_start")  # the event's own line


def test_finpolicy_sla_and_the_service_refuse_it(tmp_path: Path) -> None:
    book = tmp_path / "book.jsonl"
    book.write_text(json.dumps(OK) + "\n" + json.dumps(EARLY) + "\n")
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of", AS_OF])
    assert result.exit_code == 3, result.output
    assert "book.jsonl line 2: events.1.at: `review_requested`" in result.output
    with TestClient(create_app(Service(fp.PolicyEngine()))) as http:
        response = http.post("/v1/complaints/complaint_sla",
                             json={"complaint": EARLY, "as_of": AS_OF})
        assert response.status_code == 422, response.text
        [problem] = response.json()["problems"]
        # (at its place in the body, as the service's own checks name it)
        assert (problem["path"], problem["code"]) == ("complaint.events.1.at", "early_start")
