"""Properties of complaint SLAs on generated complaints (both shipped packs, both engines)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs

ZONES = [ZoneInfo("Asia/Shanghai"), dt.UTC, ZoneInfo("Europe/London"),
         ZoneInfo("America/New_York")]
CHANNELS = {"cn": ["branch", "phone", "online", "letter", "regulator"],
            "uk": ["branch", "phone", "online", "letter"]}
FLAGS = {"cn": ["complex", "repeat"], "uk": ["payment_services"]}
EVENTS = {"cn": ["contacted", "acknowledged", "opinion_issued", "handled", "responded",
                 "written_feedback_sent", "extended", "extended_further"],
          "uk": ["acknowledged", "resolved", "holding_reply_sent", "responded"]}
PAUSES = {"cn": [("appraisal_started", "appraisal_finished"),
                 ("mediation_started", "mediation_ended"),
                 ("waiting_for_customer", "customer_replied")],
          "uk": []}
ORDER = ("met", "pending", "at_risk", "breached")


@pytest.fixture(scope="module")
def packs(engines: dict[str, fp.PolicyEngine]) -> dict[str, dict[str, fp.PolicyEngine]]:
    uk = fp.load_bundle(shipped_packs() / "uk-fca")
    return {"cn": engines,
            "uk": {name: fp.PolicyEngine(uk, engine=name) for name in ("compiled", "durable")}}


# Receipts around National Day 2025, Spring Festival 2026, Easter and the UK bank holidays.
received_times = st.builds(
    lambda day, minute, zone: (dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
                               + dt.timedelta(days=day, minutes=minute)).astimezone(zone),
    st.integers(0, 540), st.integers(0, 24 * 60 - 1), st.sampled_from(ZONES))
offsets = st.integers(0, 60 * 24 * 70)  # minutes after receipt, up to 70 days


@st.composite
def complaints(draw: st.DrawFn, pack: str, with_pauses: bool = True) -> dict[str, Any]:
    received = draw(received_times)
    events = [{"kind": kind, "at": received + dt.timedelta(minutes=draw(offsets))}
              for kind in draw(st.lists(st.sampled_from(EVENTS[pack]), max_size=6))]
    if with_pauses and PAUSES[pack]:
        # well-formed pauses: each pair's kinds used once, resume after pause
        for pause, resume in draw(st.lists(st.sampled_from(PAUSES[pack]), max_size=2,
                                           unique=True)):
            start = draw(offsets)
            events.append({"kind": pause, "at": received + dt.timedelta(minutes=start)})
            if draw(st.booleans()):
                end = start + draw(st.integers(1, 60 * 24 * 20))
                events.append({"kind": resume, "at": received + dt.timedelta(minutes=end)})
    return {"id": "p1", "received_at": received, "channel": draw(st.sampled_from(
        CHANNELS[pack])), "category": draw(st.sampled_from(["product", "service", "policy",
                                                            "other"])),
            "severity": draw(st.sampled_from(["general", "major", "urgent"])),
            "flags": draw(st.lists(st.sampled_from(FLAGS[pack]), unique=True)),
            "events": events}


packs_and_complaints = st.sampled_from(["cn", "uk"]).flatmap(
    lambda pack: st.tuples(st.just(pack), complaints(pack)))
now_offsets = st.integers(0, 60 * 24 * 90)


def _now(c: dict[str, Any], minutes: int) -> dt.datetime:
    return c["received_at"] + dt.timedelta(minutes=minutes)


@given(packs_and_complaints, now_offsets)
def test_both_engines_agree(packs: dict[str, dict[str, fp.PolicyEngine]],
                            case: tuple[str, dict[str, Any]], minutes: int) -> None:
    pack, c = case
    now = _now(c, minutes)
    a = packs[pack]["compiled"].complaint_sla(c, as_of=now)
    b = packs[pack]["durable"].complaint_sla(c, as_of=now)
    assert attrs.evolve(a, engine="durable") == b


@given(st.sampled_from(["cn", "uk"]), received_times, st.integers(0, 60 * 24 * 20),
       st.sampled_from(["product", "service"]), st.booleans())
def test_a_later_receipt_never_gives_an_earlier_deadline(
        packs: dict[str, dict[str, fp.PolicyEngine]], pack: str, received: dt.datetime,
        later: int, category: str, flagged: bool) -> None:
    engine = packs[pack]["compiled"]
    flags = [FLAGS[pack][0]] if flagged else []
    base = {"id": "p", "channel": "phone", "category": category, "flags": flags}
    second = received + dt.timedelta(minutes=later)
    a = engine.complaint_sla({**base, "received_at": received}, as_of=second)
    b = engine.complaint_sla({**base, "received_at": second}, as_of=second)
    for m1, m2 in zip(a.milestones, b.milestones, strict=True):
        if m1.due_at is not None:
            assert m2.due_at is not None and m2.due_at >= m1.due_at, m1.name


@given(st.data())
def test_pausing_never_gives_an_earlier_deadline(packs: dict[str, dict[str, fp.PolicyEngine]],
                                                 data: st.DataObject) -> None:
    c = data.draw(complaints("cn", with_pauses=False))
    pause, resume = data.draw(st.sampled_from(PAUSES["cn"]))
    start = data.draw(offsets)
    paused = dict(c, events=[*c["events"], {"kind": pause, "at": _now(c, start)}])
    if data.draw(st.booleans()):
        paused["events"].append({"kind": resume, "at": _now(
            c, start + data.draw(st.integers(1, 60 * 24 * 30)))})
    now = _now(c, data.draw(now_offsets))
    engine = packs["cn"]["compiled"]
    a, b = engine.complaint_sla(c, as_of=now), engine.complaint_sla(paused, as_of=now)
    for m1, m2 in zip(a.milestones, b.milestones, strict=True):
        if m1.due_at is not None:
            assert m2.due_at is not None and m2.due_at >= m1.due_at, m1.name


@given(packs_and_complaints, now_offsets, st.integers(0, 60 * 24 * 400))
def test_a_milestone_met_stays_met_at_any_later_now(
        packs: dict[str, dict[str, fp.PolicyEngine]], case: tuple[str, dict[str, Any]],
        minutes: int, more: int) -> None:
    pack, c = case
    engine = packs[pack]["compiled"]
    first = engine.complaint_sla(c, as_of=_now(c, minutes))
    later = engine.complaint_sla(c, as_of=_now(c, minutes + more))
    for m1, m2 in zip(first.milestones, later.milestones, strict=True):
        if m1.status == "met":
            assert m2.status == "met" and m2.due_at == m1.due_at, m1.name
            assert m2.completed_at == m1.completed_at


@given(packs_and_complaints, now_offsets)
def test_statuses_are_consistent_with_now_and_due_times(
        packs: dict[str, dict[str, fp.PolicyEngine]], case: tuple[str, dict[str, Any]],
        minutes: int) -> None:
    pack, c = case
    now = _now(c, minutes)
    report = packs[pack]["compiled"].complaint_sla(c, as_of=now)
    for m in report.milestones:
        if m.due_at is None:
            assert m.status == "pending" and m.started_at is None and m.completed_at is None
            continue
        assert m.due_at.tzinfo is not None
        if m.completed_at is not None:
            assert m.completed_at <= now
            assert m.status == ("met" if m.completed_at <= m.due_at else "breached")
        elif now > m.due_at:
            assert m.status == "breached"
        else:
            assert m.status in ("pending", "at_risk")
    binding = [m for m in report.milestones if pack == "cn" or m.name != "summary_resolution"]
    assert report.status == max((m.status for m in binding), key=ORDER.index, default="met")
    if report.next_due is not None:
        assert report.next_due >= now
        assert report.next_due == min(m.due_at for m in binding if m.due_at is not None
                                      and m.completed_at is None and m.status != "breached")


@given(packs_and_complaints, now_offsets)
def test_milestone_plans_decide_as_the_general_rules(
        packs: dict[str, dict[str, fp.PolicyEngine]], case: tuple[str, dict[str, Any]],
        minutes: int) -> None:
    # the short path of milestones counted from receipt (deadlines kept per receipt day) must
    # give every status exactly as the general rules evaluated milestone by milestone, with
    # each deadline from the calendar
    import functools

    from finpolicy.domains.complaints import evaluate, plan
    from finpolicy.domains.complaints.models import unpacked
    from finpolicy.domains.complaints.versions import policy_at

    pack, c = case
    now = _now(c, minutes)
    engine = packs[pack]["compiled"]
    decision = engine.complaint_sla(c, as_of=now)
    runtime = engine._runtime
    complaint = fp.Complaint.parse(c)
    doc = policy_at(runtime, complaint.received_at, None, "received_at")
    selection, _ = evaluate._selection(runtime, {}, doc, complaint, "", decision.severity)
    general = plan.Plan(doc.policy, selection.milestones, "")
    for step in general.steps:
        step.run = functools.partial(plan.milestone, general, step)
        step.slot = None
    received = complaint.received_at.astimezone(dt.UTC)
    now_utc = now.astimezone(dt.UTC)
    timeline = evaluate._timeline(doc.policy, complaint, received, now_utc, "")
    statuses = unpacked(plan.run(general, timeline, now_utc, received)[0])
    assert [_exact(s) for s in statuses] == [_exact(s) for s in decision.milestones]


def _exact(status: Any) -> tuple[Any, ...]:
    # aware datetimes in different zones compare equal: their zones are compared too
    return tuple((v, v.tzinfo) if isinstance(v, dt.datetime) else v
                 for v in attrs.astuple(status))


@given(packs_and_complaints, now_offsets, st.integers(-14 * 60, 14 * 60))
def test_the_zone_times_are_written_in_does_not_change_the_decision(
        packs: dict[str, dict[str, fp.PolicyEngine]], case: tuple[str, dict[str, Any]],
        minutes: int, offset: int) -> None:
    # every time in one fixed offset (one tzinfo object, as an application that stamps its
    # times alike gives; such events take a shorter way to UTC) against the same events
    # written in another zone: the decisions are equal, zones of every time included
    pack, c = case
    now = _now(c, minutes)
    fixed = dt.timezone(dt.timedelta(minutes=offset))
    received = c["received_at"].astimezone(fixed)
    alike = {**c, "received_at": received,
             "events": [{**e, "at": e["at"].astimezone(fixed)} for e in c["events"]]}
    utc = {**c, "received_at": received,
           "events": [{**e, "at": e["at"].astimezone(ZoneInfo("Etc/UTC"))}
                      for e in c["events"]]}
    engine = packs[pack]["compiled"]
    a = engine.complaint_sla(fp.Complaint.parse(alike), as_of=now)
    b = engine.complaint_sla(fp.Complaint.parse(utc), as_of=now)
    assert [_exact(m) for m in a.milestones] == [_exact(m) for m in b.milestones]
    assert (a.outcome, a.next_due, a.paused, a.escalations) == \
        (b.outcome, b.next_due, b.paused, b.escalations)
