"""A satisfaction survey answer stating both ``satisfied`` and ``dissatisfied`` is refused,
naming the event (the target's ``against``): it counted as satisfied, raising the measured
satisfaction, and complaint SLAs took it as given."""

from __future__ import annotations

from typing import Any

import pytest

import finpolicy as fp
from finpolicy.domains.complaints import complaint_targets

AS_OF = "2025-12-01T09:00:00+08:00"
SURVEYED = "2025-11-13T09:00:00+08:00"


def _complaint(i: int, *answer: str) -> dict[str, Any]:
    return {"id": f"c{i}", "received_at": "2025-11-03T09:00:00+08:00", "channel": "phone",
            "category": "service", "events": [
                {"kind": "satisfaction_surveyed", "at": SURVEYED, "states": list(answer)}]}


BOTH = _complaint(1, "dissatisfied", "satisfied")


def _refused(info: pytest.ExceptionInfo[fp.InputError], path: str) -> None:
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == (path, "contradictory_answer")
    assert "`satisfaction_surveyed`" in problem.message and SURVEYED in problem.message
    assert "`satisfied` and `dissatisfied`" in problem.message


def test_the_shipped_target_names_the_other_answer() -> None:
    (doc,) = fp.load_bundle().policies("ComplaintPolicy")
    (target,) = doc.policy.targets
    assert (target.stating, target.against) == ("satisfied", "dissatisfied")


def test_complaint_targets_refuse_an_answer_stating_both() -> None:
    engine = fp.PolicyEngine()
    with pytest.raises(fp.InputError) as info:
        complaint_targets(engine, [_complaint(0, "satisfied"), BOTH], as_of=AS_OF)
    _refused(info, "complaints.1.events.0.states")
    # one answer each still counts as before
    (result,) = complaint_targets(engine, [_complaint(0, "satisfied"),
                                           _complaint(1, "dissatisfied")], as_of=AS_OF)
    assert (result.counted, result.stating) == (2, 1)


def test_complaint_slas_refuse_it_on_every_route() -> None:
    engine = fp.PolicyEngine()
    with pytest.raises(fp.InputError) as one:
        engine.complaint_sla(BOTH, as_of=AS_OF)
    _refused(one, "events.0.states")
    with pytest.raises(fp.InputError) as many:
        engine.complaint_sla_batch([_complaint(0, "satisfied"), BOTH], as_of=AS_OF)
    _refused(many, "complaints.1.events.0.states")
    pa = pytest.importorskip("pyarrow")
    complaints = pa.Table.from_pylist([{k: v for k, v in c.items() if k != "events"}
                                       for c in (_complaint(0, "satisfied"), BOTH)])
    events = pa.table({"complaint_id": ["c0", "c1"],
                       "kind": ["satisfaction_surveyed"] * 2, "at": [SURVEYED] * 2,
                       "states": ["satisfied", "dissatisfied;satisfied"]})
    with pytest.raises(fp.InputError) as table:
        engine.evaluate_table("complaints", complaints, as_of=AS_OF, events=events)
    (problem,) = table.value.problems
    assert (problem.file, problem.line, problem.path, problem.code) == (
        "events", 2, "states", "contradictory_answer")  # the event's own line
