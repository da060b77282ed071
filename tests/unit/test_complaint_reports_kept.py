"""Complaint reports kept in bulk (a batch's results, a night's single calls): each costs the
cyclic collector one object, and its milestones, held packed until read, read as statuses."""

from __future__ import annotations

import copy
import datetime as dt
import gc
import pickle
import random
from typing import Any

import attrs
import pytest

import finpolicy as fp
from finpolicy.domains.complaints.models import PACKED, MilestoneStatus, SlaDecision

AS_OF = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
COURSE = ["acknowledged", "opinion_issued", "handled", "responded", "written_feedback_sent"]


def _complaints(n: int) -> list[fp.Complaint]:
    """``n`` different complaints: receipt times, categories and event histories vary."""
    rng = random.Random(7)
    out = []
    for i in range(n):
        received = AS_OF - dt.timedelta(minutes=rng.randint(60, 90 * 24 * 60))
        events: list[dict[str, Any]] = []
        at = received
        for kind in COURSE[: rng.randint(0, len(COURSE))]:
            at += dt.timedelta(hours=rng.randint(1, 200))
            if at < AS_OF:
                events.append({"kind": kind, "at": at})
        out.append(fp.Complaint(id=f"c{i}", received_at=received,
                                channel=rng.choice(["branch", "phone", "online"]),
                                category=rng.choice(["product", "service", "other"]),
                                severity=rng.choice(["general", "major", "urgent"]),
                                events=events))
    return out


@pytest.fixture(scope="module")
def engine() -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle())


def _tracked_growth(make: Any) -> tuple[int, Any]:
    gc.collect()
    before = len(gc.get_objects())
    kept = make()
    gc.collect()
    gc.collect()  # (a tuple is let go by the pass after the one its contents were let go in)
    return len(gc.get_objects()) - before, kept


@pytest.mark.parametrize("how", ["single", "batch"])
def test_a_kept_report_costs_the_collector_one_object(engine: fp.PolicyEngine,
                                                      how: str) -> None:
    # each report used to keep eight objects the collector scans again and again (itself,
    # its milestones tuple and statuses, the digest's arguments): a quarter of a single
    # call's time with 20,000 reports kept
    complaints = _complaints(2_000)
    engine.complaint_sla_batch(complaints, as_of=AS_OF)  # (the engine's caches filled)
    if how == "single":
        grown, kept = _tracked_growth(
            lambda: [engine.complaint_sla(c, as_of=AS_OF) for c in complaints])
    else:
        grown, kept = _tracked_growth(
            lambda: engine.complaint_sla_batch(complaints, as_of=AS_OF))
    assert sum(len(d.milestones) for d in kept) > 3 * len(kept)  # (read after counting)
    assert grown <= 1.1 * len(complaints)


def test_packed_milestones_read_as_the_statuses(engine: fp.PolicyEngine) -> None:
    complaint = _complaints(40)[-1]
    report = engine.complaint_sla(complaint, as_of=AS_OF)
    raw = SlaDecision.__dict__["milestones"]
    first = report.milestones
    assert first and all(type(m) is MilestoneStatus for m in first)
    assert report.milestones is first  # unpacked once
    assert report.milestone(first[0].name) is first[0]
    # the same report built field by field through attrs (statuses given as objects)
    again = engine.complaint_sla(complaint, as_of=AS_OF)
    built = SlaDecision(**{f.name: getattr(again, f.name) for f in attrs.fields(SlaDecision)})
    assert built == report and hash(built) == hash(report)
    assert built.to_dict() == {**report.to_dict(),
                               "evaluated_at": built.to_dict()["evaluated_at"]}
    fresh = engine.complaint_sla(complaint, as_of=AS_OF)  # (not read yet)
    assert pickle.loads(pickle.dumps(fresh)) == report
    assert copy.deepcopy(engine.complaint_sla(complaint, as_of=AS_OF)) == report
    assert attrs.evolve(engine.complaint_sla(complaint, as_of=AS_OF), route="x").milestones \
        == first
    assert "MilestoneStatus(name=" in repr(engine.complaint_sla(complaint, as_of=AS_OF))
    assert raw.__get__(report, SlaDecision)[0] is not PACKED


def test_a_report_without_milestones_reads_an_empty_tuple(engine: fp.PolicyEngine) -> None:
    report = engine.complaint_sla(_complaints(1)[0], as_of=AS_OF)
    empty = attrs.evolve(report, milestones=())
    assert empty.milestones == () and empty.outcome == report.outcome
