"""Hypothesis strategies for complaints, drawn from a bundle's complaint policies: received
around cut-offs and holidays, with pauses, extensions and responses hours to weeks later."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from finpolicy.documents.bundle import Bundle
from finpolicy.domains.complaints.models import Complaint, ComplaintEvent

# the module, not its names: hypothesis' entry point imports this one while
# finpolicy.testing.strategies may be half-imported (it imports hypothesis)
from finpolicy.testing import strategies as shared
from finpolicy.testing.vocabulary import effective_dates

__all__ = ["STRATEGIES", "TYPE_STRATEGIES", "complaint_cases", "complaints"]

_COMPLAINTS = "ComplaintPolicy"
# Receipt days on both sides of weekends and of China's and England's long holidays, at times
# around a 17:00 cut-off (local to the policy's zone).
_RECEIPT_DAYS = [dt.date(2025, 9, 26), dt.date(2025, 9, 28), dt.date(2025, 9, 30),
                 dt.date(2025, 10, 8), dt.date(2025, 12, 24), dt.date(2026, 2, 13),
                 dt.date(2026, 2, 14), dt.date(2026, 4, 2), dt.date(2026, 5, 6)]
_RECEIPT_TIMES = [dt.time(9, 0), dt.time(16, 59), dt.time(17, 0), dt.time(17, 1), dt.time(23, 30)]


def complaints(bundle: Bundle | None = None, *, policy: Any = None) -> st.SearchStrategy[Any]:
    """``fp.Complaint`` values with the policy's categories, severities, channels, flags,
    events and grading criteria, received around cut-offs and holidays, with events (pauses,
    extensions, responses) hours to weeks later that sometimes state every content they may
    and name an approver the policy knows; a review is requested after the decision and
    decided after the request."""
    from zoneinfo import ZoneInfo

    b = shared.bundle_or_default(bundle)
    docs = [policy] if policy is not None else shared.require(b, _COMPLAINTS)
    spec = docs[0].spec
    zone = ZoneInfo(spec.calendar.time_zone)
    categories = [c.name for c in spec.categories]
    severities = [s.name for s in spec.severities]
    channels = [c.name for c in spec.channels]
    flags = [f.name for f in spec.flags]
    pairs = [(x.pause, x.resume) for x in spec.pauses]
    paired = {k for pair in pairs for k in pair}
    events = [e.name for e in spec.events if e.name not in paired]
    offsets = st.sampled_from([1, 5, 23, 25, 47, 72, 24 * 6, 24 * 9, 24 * 16, 24 * 40])
    contents = [c.name for c in spec.contents]
    answers = _answers(spec, contents)
    approvers = [a.name for a in spec.approvers]
    criteria = _criteria(spec)

    @st.composite
    def event(draw: st.DrawFn, kind: str, at: dt.datetime) -> Any:
        stated: bool = draw(st.booleans())
        approved: bool = draw(st.booleans())
        approver = draw(st.sampled_from(approvers)) if approvers and approved else None
        return ComplaintEvent(kind=kind, at=at, states=answers.get(kind, contents) if stated
                              else [], approved_by=approver)

    receipt_days = st.sampled_from(_receipt_days(b, docs))

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        day = draw(receipt_days)
        received = dt.datetime.combine(day, draw(st.sampled_from(_RECEIPT_TIMES)),
                                       tzinfo=zone)
        kinds = draw(st.lists(st.sampled_from(events), max_size=4, unique=True))
        happened = [draw(event(k, received + dt.timedelta(hours=draw(offsets))))
                    for k in kinds]
        _in_order(draw, happened, spec, received, offsets, event)
        if draw(st.booleans()) and pairs:  # a pause, resumed some days later (or still open)
            pause, resume = draw(st.sampled_from(pairs))
            start = received + dt.timedelta(hours=draw(offsets))
            happened.append(draw(event(pause, start)))  # (stating what a pause may require)
            if draw(st.booleans()):
                happened.append(ComplaintEvent(kind=resume,
                                               at=start + dt.timedelta(hours=draw(offsets))))
        return Complaint(id=f"cmp-{draw(st.integers(0, 999))}", received_at=received,
                         channel=draw(st.sampled_from(channels)),
                         category=draw(st.sampled_from(categories)),
                         severity=draw(st.sampled_from(severities)),
                         flags=draw(st.lists(st.sampled_from(flags), max_size=1)) if flags
                         else [],
                         events=happened, criteria=draw(criteria))

    return build()


def _receipt_days(bundle: Bundle, docs: list[Any]) -> list[dt.date]:
    """The receipt days on which one of ``docs`` is in force (the day the engine picks the
    version on: ``received_at``'s date as written, here in the calendar's zone): the listed
    ones, the same days of the first years of each window, and the days around the
    windows' ends, so a version that takes effect later is drawn too."""
    years = {y for d in docs for y in (d.metadata.effective_from.year,
                                       d.metadata.effective_from.year + 1)}
    moved = [d.replace(year=y) for y in sorted(years) for d in _RECEIPT_DAYS]
    days = [d for d in dict.fromkeys([*_RECEIPT_DAYS, *moved,
                                      *effective_dates(bundle, _COMPLAINTS)])
            if any(doc.metadata.in_force(d) for doc in docs)]
    return days or [docs[0].metadata.effective_from]


def _criteria(spec: Any) -> st.SearchStrategy[dict[str, str]]:
    """Grading criteria at levels the policy declares (none when it grades none)."""
    levels = {} if spec.grading is None else {c.name: c.levels for c in spec.grading.criteria}
    if not levels:
        return st.just({})
    return st.dictionaries(st.sampled_from(sorted(levels)), st.integers(0, 9), max_size=2
                           ).map(lambda picked: {name: levels[name][i % len(levels[name])]
                                                 for name, i in picked.items()})


def _answers(spec: Any, contents: list[str]) -> dict[str, list[str]]:
    """What an event of a target's kind states when it states every content it may: all
    but the answer the other way (``contradictory_answer`` otherwise)."""
    return {t.event: [c for c in contents if c != t.against]
            for t in spec.targets if t.against is not None}


def _after_windows(draw: st.DrawFn, happened: list[Any], spec: Any, received: dt.datetime,
                   offsets: st.SearchStrategy[int], event: Any) -> None:
    """Move each window's starting event after the window's own event, drawing that one
    when there is none (a review is requested of a decision: ``early_start`` otherwise)."""
    openers = [(m.starts, m.starts_within.after) for m in spec.milestones
               if m.starts_within is not None and m.starts_within.after != "received"]
    for starts, after in openers:
        mine = [e for e in happened if e.kind == starts]
        if not mine:
            continue
        opened = next((e.at for e in happened if e.kind == after), None)
        if opened is None:
            opened = received + dt.timedelta(hours=draw(offsets))
            happened.append(draw(event(after, opened)))
        if mine[0].at < opened:
            happened[happened.index(mine[0])] = mine[0].model_copy(
                update={"at": opened + dt.timedelta(hours=draw(offsets))})


def _in_order(draw: st.DrawFn, happened: list[Any], spec: Any, received: dt.datetime,
              offsets: st.SearchStrategy[int], event: Any) -> None:
    """The events in the order a review runs: decision, request, review decision."""
    _after_starts(draw, happened, spec, received, offsets, event, move=False)
    _after_windows(draw, happened, spec, received, offsets, event)
    _after_starts(draw, happened, spec, received, offsets, event, move=True)


def _after_starts(draw: st.DrawFn, happened: list[Any], spec: Any, received: dt.datetime,
                  offsets: st.SearchStrategy[int], event: Any, *, move: bool) -> None:
    """Draw the starting event of each conditional milestone whose completing event was
    drawn without it, or (``move``) move that completing event after it (a review decided
    with none requested: ``early_completion`` otherwise)."""
    for m in spec.milestones:
        if not m.conditional:
            continue
        mine = [e for e in happened if e.kind in m.completed_by]
        began = next((e.at for e in happened if e.kind == m.starts), None)
        if not mine:
            continue
        if began is None:
            happened.append(draw(event(m.starts, received + dt.timedelta(
                hours=draw(offsets)))))
        elif move:
            for e in mine:
                if e.at < began:
                    happened[happened.index(e)] = e.model_copy(
                        update={"at": began + dt.timedelta(hours=draw(offsets))})


def complaint_cases(bundle: Bundle | None = None, *, policy: Any = None,
                    ) -> st.SearchStrategy[dict[str, Any]]:
    """``{complaint, as_of}``: a complaint and a moment from just after receipt to months
    later."""
    hours = st.sampled_from([1, 30, 24 * 3, 24 * 8, 24 * 20, 24 * 70])
    return st.builds(lambda c, h: {"complaint": c,
                                   "as_of": c.received_at + dt.timedelta(hours=h)},
                     complaints(bundle, policy=policy), hours)


STRATEGIES = ("complaint_cases", "complaints")
TYPE_STRATEGIES = {Complaint: complaints}
