"""The complaint policy in force is the one of the receipt's day in the policy's calendar zone
(as its ``effective_from`` reads, and as every other domain takes an instant's day): the same
receipt written in UTC or in Beijing time is decided by one version."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.domains.complaints import complaint_targets
from tests.helpers.packversions import with_version_from_2027

BJ = dt.timezone(dt.timedelta(hours=8))
# 1 January 2027, 04:00 in Beijing, written in UTC: still 31 December there
NEW_YEAR_UTC = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)


def complaint(received: dt.datetime) -> dict[str, Any]:
    return {"id": "cmp-2027-0101", "received_at": received.isoformat(), "channel": "phone",
            "category": "service", "events": []}


def test_a_receipt_written_in_utc_is_decided_by_the_version_of_its_day_in_beijing(
        bundle: fp.Bundle, tmp_path: Path) -> None:
    # received at 04:00 on 1 January 2027 in Beijing, stamped in UTC: the version of
    # 31 December decided it, and the same receipt stamped in Beijing time the 2027 one
    engine = fp.PolicyEngine(fp.load_bundle(with_version_from_2027(
        bundle, tmp_path / "next", kind="ComplaintPolicy", file="complaints.yaml")))
    later = dt.datetime(2027, 1, 4, 9, 0, tzinfo=BJ)
    utc = engine.complaint_sla(complaint(NEW_YEAR_UTC), as_of=later)
    beijing = engine.complaint_sla(complaint(NEW_YEAR_UTC.astimezone(BJ)), as_of=later)
    assert utc.policy.version == beijing.policy.version == "9.0.0"
    assert utc.to_dict()["milestones"] == beijing.to_dict()["milestones"]
    # an hour before midnight in Beijing, the version of 2026 still decides
    before = engine.complaint_sla(complaint(dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)),
                                  as_of=later)
    assert before.policy.version == bundle.in_force("ComplaintPolicy",
                                                    dt.date(2026, 3, 1)).version
    (first,) = engine.complaint_sla_batch([complaint(NEW_YEAR_UTC)], as_of=later)
    assert first.policy.version == "9.0.0"


def test_the_first_day_of_the_policy_is_its_day_in_beijing(engine: fp.PolicyEngine,
                                                          bundle: fp.Bundle) -> None:
    # 04:00 in Beijing on the policy's first day, written in UTC, raised NotInForceError
    # ('no version ... is in force on' the day before)
    (doc,) = bundle.policies("ComplaintPolicy")
    first = doc.metadata.effective_from
    received = dt.datetime(first.year, first.month, first.day, 4, 0, tzinfo=BJ)
    decision = engine.complaint_sla(complaint(received.astimezone(dt.UTC)),
                                    as_of=received + dt.timedelta(days=30))
    assert decision.policy.version == doc.version
    # and the day before it there is none, whichever version was found for the zone
    with pytest.raises(fp.NotInForceError):
        engine.complaint_sla(complaint(received.astimezone(dt.UTC) - dt.timedelta(hours=5)),
                             as_of=received + dt.timedelta(days=30))
    # and the targets measured at that instant
    results = complaint_targets(engine, [complaint(received.astimezone(dt.UTC))],
                                as_of=received.astimezone(dt.UTC))
    assert [r.counted for r in results] == [0] * len(doc.policy.targets)


def test_a_timeline_of_a_receipt_on_the_first_day_is_drawn(engine: fp.PolicyEngine,
                                                           bundle: fp.Bundle,
                                                           tmp_path: Path) -> None:
    # the report was made, then drawing its timeline looked the calendar up on the day
    # before in Beijing and raised NotInForceError (the function and `finpolicy sla
    # --timeline` alike)
    import xml.etree.ElementTree as ET

    from click.testing import CliRunner

    from finpolicy.cli import main
    from finpolicy.domains.complaints.timeline import timeline_svg

    (doc,) = bundle.policies("ComplaintPolicy")
    first = doc.metadata.effective_from
    received = dt.datetime(first.year, first.month, first.day, 4, 0, tzinfo=BJ)
    stamped, later = received.astimezone(dt.UTC), received + dt.timedelta(days=30)
    svg = timeline_svg(engine, complaint(stamped), as_of=later)
    assert ET.fromstring(svg).tag.endswith("svg")
    book = tmp_path / "book.jsonl"
    book.write_text(json.dumps(complaint(stamped)) + "\n", encoding="utf-8")
    out = tmp_path / "c.svg"
    result = CliRunner().invoke(main, ["sla", str(book), "--as-of", later.isoformat(),
                                       "--timeline", "cmp-2027-0101", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert ET.fromstring(out.read_text(encoding="utf-8")).tag.endswith("svg")
