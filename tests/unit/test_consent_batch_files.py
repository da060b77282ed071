"""Campaign files planned: a record the policy refuses is named at its place in the file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.domains.consent.batch import plan_file
from finpolicy.errors import InputError

AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CONSENT = {"id": "k1", "customer": "c1", "purpose": "marketing",
           "given_at": "2026-01-01T00:00:00+08:00"}


def test_a_record_the_policy_refuses_is_named_at_its_line_of_the_file(tmp_path: Path) -> None:
    # a consent naming a channel the policy does not know failed as
    # 'consents.0.channels: unknown channel', naming neither the file nor its line (2)
    path = tmp_path / "camp.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (
        {"customer": {"id": "c1"}},
        {"consent": {**CONSENT, "channels": ["carrier_pigeon"]}},
        {"customer": {"id": "c2", "channels": ["fax"]}})) + "\n", encoding="utf-8")
    runtime = fp.PolicyEngine().runtime
    with pytest.raises(InputError, match="unknown channel") as caught:
        plan_file(runtime, str(path), as_of=AT)
    found = {(p.file, p.line, p.path) for p in caught.value.problems}
    assert (str(path), 2, "consent.channels") in found or \
        (str(path), 3, "customer.channels") in found
    for problem in caught.value.problems:
        assert problem.file == str(path) and problem.line in (2, 3)
    # an option's error stays the option's; a document's records keep their list positions
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"customer": {"id": "c1"}}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        plan_file(runtime, str(plain), as_of=AT, purpose="marketting")
    assert [(p.path, p.file) for p in caught.value.problems] == [("purpose", None)]
    document = tmp_path / "camp.yaml"
    document.write_text("customers:\n  - {id: c1}\nconsents:\n  - " + json.dumps(
        {**CONSENT, "channels": ["carrier_pigeon"]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        plan_file(runtime, str(document), as_of=AT)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (str(document), None,
                                                          "consents.0.channels")
