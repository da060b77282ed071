"""``complaint_sla`` given something other than a complaint names ``complaint``: its error's
field path was empty (``: expected a mapping of keys``), which an application turning errors
into form messages could not place. A real complaint's own fields keep their names."""

from __future__ import annotations

from typing import Any

import pytest

import finpolicy as fp


@pytest.mark.parametrize(("value", "kind"), [(None, "nothing (null)"), ([], "a list"),
                                             ("c-1", "a text")])
def test_not_a_complaint_names_complaint(engine: fp.PolicyEngine, value: Any,
                                         kind: str) -> None:
    with pytest.raises(fp.InputError) as caught:
        engine.complaint_sla(value)
    [problem] = caught.value.problems
    assert (problem.path, problem.code) == ("complaint", "model_type")
    assert problem.message == f"expected a Complaint or a mapping of its fields, got {kind}"
    # a real complaint's own fields keep their names (not complaint.received_at)
    with pytest.raises(fp.InputError) as caught:
        engine.complaint_sla({"id": "c-1", "channel": "branch", "category": "other"})
    assert [p.path for p in caught.value.problems] == ["received_at"]

