"""Explaining complaint SLA decisions: which deadline was missed (or is at risk), what should
have happened by when, and what would still meet it.

The outcome is the worst status of the binding milestones (met, pending, at_risk, breached,
from the better). The rules select SLA parameters only (route, milestones, durations) from the
complaint's category, severity, channel and flags, which are facts about the complaint, not
levers; they appear in the clause traces. Why-not is one obstacle per binding milestone not
met, with its deadline and the rule that set its duration. What a person can change is the
complaint's events:

- a milestone open and not yet due: record its completing event now;
- a missed one: its completing event should have been recorded by the due time (a
  counterfactual about the past, saying what should have happened by when), or an extension
  the policy allows recorded before the deadline;
- one not started: record its starting and completing events.

Pauses are never suggested: stopping the clock is for appraisal, mediation or waiting for the
complainant, not a way to meet a deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from finpolicy.decisions import Decision
from finpolicy.domains.complaints.evaluate import _now, complaint_sla
from finpolicy.domains.complaints.models import (
    STATUSES,
    Complaint,
    MilestoneStatus,
    SlaDecision,
    minute_text,
)
from finpolicy.domains.complaints.policy import (
    RECEIVED,
    ComplaintRules,
    ComplaintSpec,
    Duration,
    Milestone,
    select,
)
from finpolicy.errors import InputError
from finpolicy.explain.explainer import Explainer, Move, bad_operation
from finpolicy.explain.model import Change, Clause, Obstacle
from finpolicy.explain.patch import pointer
from finpolicy.runtime import Runtime

if TYPE_CHECKING:
    from finpolicy.explain.record import Analysis

__all__ = ["EXPLAINER", "ComplaintsExplainer"]


class ComplaintsExplainer(Explainer):
    """The complaints domain's explainer (see the module docstring)."""

    domain = "complaints"
    operations = ("complaint_sla",)
    outcomes = STATUSES
    immutable = "the complaint's receipt time, category, severity, channel and flags"

    # --- the input ----------------------------------------------------------------------------

    def case(self, method: str, args: Sequence[Any], kwargs: Mapping[str, Any]
             ) -> dict[str, Any]:
        if method != "complaint_sla":
            raise bad_operation(self, method)
        if kwargs.get("policy") is not None:
            raise InputError.one("policy", "explanations use the complaint policy in force",
                                 "unknown_option", kwargs["policy"])
        complaint = kwargs.get("complaint", args[0] if args else None)
        when = kwargs.get("as_of", kwargs.get("now"))
        return self.normalise({"complaint": complaint}, when)

    def normalise(self, data: Any, as_of: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping) or "complaints" in data or "complaint" not in data:
            raise InputError.one("input", "expected one `complaint` (batches are not "
                                          "explained)", "bad_input")
        unknown = sorted(str(k) for k in data if k not in ("complaint", "as_of", "now"))
        if unknown:
            raise InputError.one(unknown[0], "unknown key (expected complaint, as_of)",
                                 "unknown_key")
        if as_of is None:
            as_of = data.get("as_of", data.get("now"))
        complaint = Complaint.parse(data["complaint"], field="complaint")
        return {"complaint": complaint.model_dump(mode="json"),
                "as_of": _now(as_of).isoformat()}

    def decide(self, runtime: Runtime, case: Mapping[str, Any]) -> Decision:
        return complaint_sla(runtime, case["complaint"], as_of=case["as_of"])

    def effect(self, rule: Any) -> str:
        return "parameters"

    # --- why not and what would change it ------------------------------------------------------

    def obstacles(self, analysis: Analysis) -> list[Obstacle]:
        decision, out = _decision(analysis), []
        for milestone, status in _open_milestones(analysis):
            out.append(_obstacle(analysis, decision, milestone, status))
        return out

    def plans(self, analysis: Analysis) -> list[list[list[Move]]]:
        current = self.rank(analysis.decision.outcome)
        pending = _open_milestones(analysis)
        plans = []
        for outcome in self.outcomes[:current]:
            needs = [_moves(analysis, m, s) for m, s in pending
                     if self.rank(s.status) > self.rank(outcome)]
            if needs and all(needs):
                plans.append(needs)
        return plans


def _decision(analysis: Analysis) -> SlaDecision:
    decision = analysis.decision
    assert isinstance(decision, SlaDecision)
    return decision


def _rules(analysis: Analysis) -> ComplaintRules:
    doc = analysis.doc
    assert doc is not None  # a complaint decision always runs its rule set
    rules: ComplaintRules = doc.policy
    return rules


def _open_milestones(analysis: Analysis) -> list[tuple[Milestone, MilestoneStatus]]:
    """Binding milestones not met, in policy order, with their status (as the complaint's
    rules select them: a rule may set a milestone's completing events)."""
    by_name = {m.name: m for m, _ in _selection(analysis)}
    return [(by_name[s.name], s) for s in _decision(analysis).milestones
            if s.status != "met" and by_name[s.name].binding]


def _completing(analysis: Analysis, milestone: Milestone) -> list[str]:
    """The events completing ``milestone`` (as selected), in the order the policy lists
    them."""
    doc = analysis.doc
    assert doc is not None
    spec: ComplaintSpec = doc.spec
    listed = [e for m in spec.milestones if m.name == milestone.name for e in m.completed_by]
    listed += [e for r in spec.rules for e in r.completed_by.get(milestone.name, ())]
    return [e for e in dict.fromkeys(listed) if e in milestone.completed_by]


def _when(value: dt.datetime | None) -> str:
    return "not given" if value is None else minute_text(value)


def _since(analysis: Analysis, milestone: Milestone, status: MilestoneStatus) -> str:
    """What the deadline was counted from: receipt or the starting event, or the time new
    material restarted the clock; and whether paused days were left out."""
    since = "receipt" if milestone.starts == RECEIVED else f"`{milestone.starts}`"
    if milestone.starts == RECEIVED and status.started_at is not None and (
            status.started_at != dt.datetime.fromisoformat(
                analysis.case["complaint"]["received_at"])):
        since = f"the restart at {_when(status.started_at)}"
    if status.paused_seconds:
        since += ", paused days not counted"
    return since


def _obstacle(analysis: Analysis, decision: SlaDecision, milestone: Milestone,
              status: MilestoneStatus) -> Obstacle:
    events = " or ".join(f"`{e}`" for e in _completing(analysis, milestone))
    as_of = dt.datetime.fromisoformat(analysis.case["as_of"])
    since = _since(analysis, milestone, status)
    if status.started_at is None:
        text = f"`{milestone.starts}` happened (the milestone starts with it)"
        saw, note = "it has not", f"not started; {status.allowed} from `{milestone.starts}`"
    elif status.completed_at is not None:
        text = f"{events} recorded by {_when(status.due_at)}"
        saw = f"it was recorded at {_when(status.completed_at)}, late"
        note = f"due {_when(status.due_at)} ({status.allowed}; counted from {since})"
    else:
        text = f"{events} recorded by {_when(status.due_at)}"
        saw = f"not recorded by {minute_text(as_of)}"
        note = f"due {_when(status.due_at)} ({status.allowed}; counted from {since})"
    setters = [h for h in decision.hits
               if milestone.name in _rules(analysis).specs[h.rule_id].durations]
    if setters:
        note += "; duration set by " + ", ".join(f"`{h.rule_id}` [{h.cite}]" for h in setters)
    setters = [h for h in decision.hits
               if milestone.name in _rules(analysis).specs[h.rule_id].completed_by]
    if setters:
        note += "; completing events set by " + ", ".join(f"`{h.rule_id}` [{h.cite}]"
                                                          for h in setters)
    clause = Clause(text, False, saw, ("complaint.events",), (status.status,), True)
    return Obstacle("milestone", milestone.name, "blocks", status.status, milestone.reason,
                    milestone.cite, (clause,), 1, True, note)


def _event(kind: str, at: dt.datetime, states: frozenset[str] = frozenset(),
           approved_by: str | None = None) -> Change:
    """An event to add; ``states`` and ``approved_by`` are what the policy asks of it."""
    value: dict[str, Any] = {"kind": kind, "at": at.isoformat(), "note": None}
    if states:
        value["states"] = sorted(states)
    if approved_by is not None:
        value["approved_by"] = approved_by
    return Change("add", pointer("complaint", "events", "-"), value)


def _stating(states: frozenset[str]) -> str:
    return f" stating {', '.join(sorted(states))}" if states else ""


def _letter(analysis: Analysis, milestone: Milestone) -> frozenset[str]:
    """What an event completing ``milestone`` should state: everything that the open
    milestones it completes too require, so that one letter is suggested (the decision that
    states the Art. 19 contents and the handbook's cause, measures and improvements), not one
    letter per milestone."""
    kinds = milestone.completed_by
    needs = set(milestone.requires)
    for other, status in _open_milestones(analysis):
        if status.started_at is not None and other.completed_by & kinds:
            needs |= other.requires
    return frozenset(needs)


def _moves(analysis: Analysis, milestone: Milestone, status: MilestoneStatus) -> list[Move]:
    """Ways to meet one milestone (see the module docstring)."""
    as_of = dt.datetime.fromisoformat(analysis.case["as_of"])
    kinds, needs = _completing(analysis, milestone), _letter(analysis, milestone)
    said = _stating(needs)
    if status.started_at is None or status.due_at is None:
        first = kinds[0]
        return [Move(f"record `{milestone.starts}` and then `{first}`{said} now",
                     (_event(milestone.starts, as_of), _event(first, as_of, needs)),
                     "event", 3)]
    if status.status != "breached":
        return [Move(f"record `{kind}`{said} now (due {_when(status.due_at)})",
                     (_event(kind, as_of, needs),), "event", 1 + i)
                for i, kind in enumerate(kinds)]
    out = []
    due, start = status.due_at, status.started_at
    for i, kind in enumerate(kinds):
        # an event completing several missed milestones must come by the earliest deadline
        by = min([s.due_at for m, s in _open_milestones(analysis)
                  if s.status == "breached" and s.due_at is not None and kind in m.completed_by
                  and s.started_at is not None and s.started_at <= due] or [due])
        out.append(Move(f"`{kind}`{said} should have been recorded by {_when(by)}",
                        (_event(kind, min(by, as_of), needs),), "event", 1 + i))
        out.append(Move(f"`{kind}`{said} should have been recorded at {_when(start)}, when "
                        "the clock started (pauses near the deadline move it)",
                        (_event(kind, start, needs),), "event", 5 + i))
    duration = next((d for m, d in _selection(analysis) if m.name == milestone.name), None)
    if duration is None:
        return out
    recorded = {e["kind"] for e in analysis.case["complaint"]["events"]}
    unit = duration.unit.replace("_", " ")
    asks = {event: (approvers, contents) for event, approvers, contents in duration.conditions}
    for event, amount in duration.extensions:
        if event not in recorded:
            approvers, contents = asks.get(event, (frozenset(), frozenset()))
            approver = min(approvers) if approvers else None
            signed = f", approved by `{approver}`" if approver else ""
            out.append(Move(f"`{event}`{_stating(contents)}{signed} should have been recorded "
                            f"before {_when(due)} (the policy then allows {amount} {unit} "
                            "where the complaint qualifies)",
                            (_event(event, start, contents, approver),), "extension", 8))
    return out


def _selection(analysis: Analysis) -> list[tuple[Milestone, Duration]]:
    run = analysis.runs[-1]
    complaint = analysis.case["complaint"]
    chosen = select(_rules(analysis), run.matched, complaint["category"],
                    complaint.get("severity", "general"))
    return list(chosen.milestones)


EXPLAINER = ComplaintsExplainer()
