"""A batch names the complaint a problem is about: one received before the complaint rules
were in force raised a NotInForceError that named no complaint (the HTTP batch answered 409
for the whole batch)."""

from __future__ import annotations

import pytest

import finpolicy as fp

OK = {"id": "a", "received_at": "2025-03-03T10:00+08:00", "channel": "phone",
      "category": "service", "severity": "general"}


def test_a_complaint_received_before_the_rules_is_named_in_a_batch() -> None:
    early = {**OK, "id": "b", "received_at": "2019-03-03T10:00+08:00"}
    with pytest.raises(fp.InputError) as info:
        fp.PolicyEngine().complaint_sla_batch([OK, early], as_of="2025-03-05T10:00+08:00")
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == ("complaints.1.received_at", "not_in_force")
    assert "in force on 2019-03-03" in problem.message
    with pytest.raises(fp.NotInForceError):  # one complaint: the call's own error, as before
        fp.PolicyEngine().complaint_sla(early, as_of="2025-03-05T10:00+08:00")


def test_a_policy_id_the_bundle_lacks_is_still_the_batch_s_error() -> None:
    with pytest.raises(fp.NotInForceError, match="has no"):
        fp.PolicyEngine().complaint_sla_batch([OK], as_of="2025-03-05T10:00+08:00",
                                              policy="nosuch")
