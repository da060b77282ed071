"""Service targets over many complaints (e.g. "satisfaction at least 90 %"): declared in the
policy's ``targets`` and measured by ``complaint_targets``.

A target names an event (``satisfaction_surveyed``) and a content its events may state
(``satisfied``): the measure is the share of complaints with such an event by ``now`` whose
latest one states it. Complaints without the event are not counted. A target that names the
answer the other way (``against``: ``dissatisfied``) has each such event state exactly one of
the two: one stating both is refused everywhere (``contradictory_answer``), one stating
neither here, where it would have counted as the other answer (``unanswered``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from pydantic import Field, StrictFloat

from finpolicy._compat import renamed
from finpolicy.documents.models import Strict
from finpolicy.errors import InputError, InputProblem
from finpolicy.inputs import InputModel
from finpolicy.runtime import Runtime

__all__ = ["Target", "TargetResult", "TargetSpec", "complaint_targets", "contradiction"]


class TargetSpec(Strict):
    """A service target: the share of surveyed complaints whose answer states something."""

    name: str = Field(description="Target name, e.g. `satisfaction`.")
    title: str | None = None
    event: str = Field(description="The event measured, e.g. `satisfaction_surveyed`.")
    stating: str = Field(description="The content that counts, e.g. `satisfied`.")
    against: str | None = Field(
        default=None, description="The content that answers the other way, e.g. "
                                  "`dissatisfied`: an event stating both is refused.")
    at_least: StrictFloat = Field(gt=0, le=1, description="The lowest acceptable share.",
                                  title="at least",
                                  json_schema_extra={"unit": "% of the events counted"})
    reason: str = Field(min_length=1)
    cite: str = Field(min_length=1)


@attrs.frozen(slots=True)
class Target:
    """A compiled target."""

    name: str
    title: str
    event: str
    stating: str
    at_least: float
    reason: str
    cite: str
    against: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class TargetResult:
    """A target measured over a set of complaints at ``now``.

    Attributes:
        counted: complaints with the target's event by ``now``.
        stating: of those, the ones whose latest event states the content.
        share: ``stating / counted`` (``None`` when nothing was counted).
        met: ``share >= at_least`` (``None`` when nothing was counted).
    """

    name: str
    title: str
    at_least: float
    counted: int
    stating: int
    share: float | None
    met: bool | None
    cite: str

    def describe(self) -> str:
        if self.share is None:
            return f"{self.title}: nothing to measure (target {self.at_least:.0%})"
        verdict = "met" if self.met else "missed"
        return (f"{self.title}: {self.share:.1%} of {self.counted} "
                f"(target {self.at_least:.0%}, {verdict})")


def _now(value: Any) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise InputError.one("as_of", "expected a datetime with a time zone offset",
                             "bad_datetime")
    return value


def contradiction(rules: Any, event: Any, where: str, *, answered: bool = False) -> None:
    """Refuse ``event`` (at ``where``) when it is a target's event stating both the target's
    content and the one that answers the other way (satisfied and dissatisfied), or, with
    ``answered`` (when the answer is measured), neither."""
    for target in rules.targets:
        if target.against is None or event.kind != target.event:
            continue
        said = (target.stating in event.states) + (target.against in event.states)
        if said == 2 or (answered and not said):
            raise InputError([InputProblem(
                f"{where}.states", f"`{event.kind}` at {event.at.isoformat()} states "
                f"{'both' if said else 'neither'} `{target.stating}` "
                f"{'and' if said else 'nor'} `{target.against}`: the answer is one of them",
                "contradictory_answer" if said else "unanswered", list(event.states))],
                model="Complaint")


def complaint_targets(runtime: Runtime, complaints: Iterable[Any], *, as_of: Any = None,
                      policy: str | None = None, now: Any = None) -> list[TargetResult]:
    """Measure the targets of the complaint policy in force on ``as_of``'s date (``now`` is
    its deprecated name).

    Raises:
        InputError: a malformed complaint, an event kind, content or approver the policy
            does not declare, an event before receipt, an answer stating both a target's
            content and its opposite (``against``) or neither, or a naive ``as_of``.
        NotInForceError: no complaint policy is in force on that day (in its calendar's
            zone).
    """
    from finpolicy.domains.complaints.evaluate import _check_event
    from finpolicy.domains.complaints.models import Complaint
    from finpolicy.domains.complaints.versions import policy_at

    when = _now(renamed(as_of, now, old_name="now", new_name="as_of",
                        where="complaint_targets"))
    doc = policy_at(runtime, when, policy, "as_of")
    rules = doc.policy
    if isinstance(complaints, str | bytes | Mapping | InputModel):
        raise InputError.one("complaints", "expected a list of complaints", "bad_complaints")
    latest: list[dict[str, tuple[dt.datetime, frozenset[str]]]] = []
    for i, item in enumerate(complaints):
        complaint = Complaint.parse(item, field=f"complaints.{i}")
        seen: dict[str, tuple[dt.datetime, frozenset[str]]] = {}
        for j, event in enumerate(complaint.events):
            if event.kind not in rules.events:
                raise InputError([InputProblem(f"complaints.{i}.events.{j}.kind",
                                               f"unknown event kind `{event.kind}`",
                                               "unknown_event", event.kind)])
            where = f"complaints.{i}.events.{j}"
            _check_event(rules, event, where)  # (an unknown content counted as the other)
            contradiction(rules, event, where, answered=True)
            if event.at < complaint.received_at:
                raise InputError([InputProblem(
                    f"{where}.at", f"event at {event.at.isoformat()} is before the complaint "
                    f"was received ({complaint.received_at.isoformat()})", "before_receipt",
                    event.at.isoformat())], model="Complaint")
            if event.at > when:
                continue
            prev = seen.get(event.kind)
            if prev is None or event.at >= prev[0]:
                seen[event.kind] = (event.at, frozenset(event.states))
        latest.append(seen)
    out = []
    for target in rules.targets:
        counted = [seen[target.event] for seen in latest if target.event in seen]
        hits = sum(1 for _, states in counted if target.stating in states)
        share = hits / len(counted) if counted else None
        out.append(TargetResult(name=target.name, title=target.title,
                                at_least=target.at_least, counted=len(counted), stating=hits,
                                share=share, met=None if share is None
                                else share >= target.at_least, cite=target.cite))
    return out
